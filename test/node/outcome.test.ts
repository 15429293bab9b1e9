/**
 * The runner's decisions that need no process: exit code and log lines from the main fiber's
 * exit and the hosts' reported outcomes, and the start-up warnings.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigError, Duration, Exit, FiberId } from "effect"
import { HostError } from "effect-host"
import { NodeHost } from "effect-host/node"
import { settle } from "../../src/internal/node/outcome.js"
import { processWarnings } from "../../src/internal/node/warnings.js"

const { ExitCode } = NodeHost
const interrupted = Exit.failCause(Cause.interrupt(FiberId.none))
const boom = Cause.fail(new Error("boom"))
const stopError = new HostError.HostStopError({ failures: [{ service: "Db", phase: "stop", cause: boom }] })
const deadline = new HostError.ShutdownTimeoutError({ timeout: Duration.seconds(1), stuck: ["Db"], skipped: [], failures: [] })

describe("settle", () => {
  it("success is 0, whatever the hosts reported (the program handled it)", () => {
    expect(settle(Exit.void, [stopError])).toEqual({ code: ExitCode.Success, reports: [] })
  })

  it("interrupted by a signal with a graceful host is 0", () => {
    expect(settle(interrupted, [])).toEqual({ code: ExitCode.Success, reports: [] })
  })

  it("interrupted, but the host's stop hit its deadline: 124 and one summary line", () => {
    const { code, reports } = settle(interrupted, [deadline])
    expect(code).toBe(ExitCode.ShutdownTimeout)
    expect(reports).toEqual([{ message: expect.stringMatching(/^Host finished with ShutdownTimeoutError: shutdown deadline of 1s reached; still running: Db/) }])
  })

  it("interrupted, but a stop hook failed: 1, the summary without the cause (the host logged it)", () => {
    const { code, reports } = settle(interrupted, [stopError])
    expect(code).toBe(ExitCode.ServiceFailure)
    expect(reports).toHaveLength(1)
    expect(reports[0]?.cause).toBeUndefined()
    expect(reports[0]?.message).not.toContain("boom")
  })

  it("the summary points at the lines logged above only when the error has more to say than its first line", () => {
    const timedOut = new HostError.StartupTimeoutError({ timeout: Duration.seconds(5), pending: ["Db"], rollback: { failures: [], deadline: undefined } })
    expect(settle(Exit.fail(timedOut), []).reports.map((r) => r.message)).toEqual([
      "Host finished with StartupTimeoutError: startup did not finish within 5s; still starting: Db (exit code 1)"
    ])
    expect(settle(interrupted, [stopError]).reports[0]?.message).toMatch(/\(exit code 1; details logged above\)$/)
  })

  it("a HostError as a defect (Host.make's release) gives its own code and is summarised once", () => {
    const { code, reports } = settle(Exit.die(deadline), [deadline])
    expect(code).toBe(ExitCode.ShutdownTimeout)
    expect(reports).toEqual([{ message: expect.stringMatching(/^Host finished with ShutdownTimeoutError/) }])
  })

  it("a HostError in the exit and reported by the host is summarised once", () => {
    expect(settle(Exit.fail(stopError), [stopError]).reports).toHaveLength(1)
  })

  it("a failed background service whose stop hit the deadline is 124", () => {
    const error = new HostError.BackgroundServiceError({
      service: "Poller",
      cause: boom,
      stop: { failures: [], deadline: { timeout: Duration.seconds(1), stuck: ["Db"], skipped: [] } }
    })
    expect(settle(Exit.fail(error), []).code).toBe(ExitCode.ShutdownTimeout)
  })

  it("a ConfigError is 78 and logged with its cause", () => {
    const { code, reports } = settle(Exit.fail(ConfigError.MissingData(["port"], "Expected port to exist")), [])
    expect(code).toBe(ExitCode.InvalidConfiguration)
    expect(reports).toEqual([{ message: "The configuration is invalid (exit code 78)", cause: expect.anything() }])
  })

  it("a tagged ConfigurationError is 78, so is a start that failed only on configuration", () => {
    expect(settle(Exit.fail({ _tag: "ConfigurationError" }), []).code).toBe(ExitCode.InvalidConfiguration)
    const start = new HostError.HostStartError({
      failures: [{ service: "Db", phase: "start", cause: Cause.fail(ConfigError.InvalidData(["url"], "bad url")) }],
      rollback: { failures: [], deadline: undefined }
    })
    expect(settle(Exit.fail(start), []).code).toBe(ExitCode.InvalidConfiguration)
  })

  it("a finalizer that died during interruption is 1 and logged with its cause", () => {
    const { code, reports } = settle(Exit.failCause(Cause.sequential(Cause.interrupt(FiberId.none), Cause.die(new Error("release failed")))), [])
    expect(code).toBe(ExitCode.ServiceFailure)
    expect(reports).toHaveLength(1)
    expect(reports[0]?.message).toMatch(/A finalizer failed while the program was stopping/)
    expect(Cause.pretty(reports[0]?.cause ?? Cause.empty)).toContain("release failed")
  })

  it("a HostError beside another failure: summary for the host, the other cause in full, without the host's", () => {
    const { code, reports } = settle(Exit.failCause(Cause.parallel(Cause.fail(deadline), Cause.die(new Error("other")))), [])
    expect(code).toBe(ExitCode.ShutdownTimeout)
    expect(reports).toHaveLength(2)
    const rest = Cause.pretty(reports[1]?.cause ?? Cause.empty)
    expect(rest).toContain("other")
    expect(rest).not.toContain("ShutdownTimeoutError")
  })
})

describe("processWarnings", () => {
  it("warns when node is PID 1 (no init) and under npm in a container, each with the fix", () => {
    expect(processWarnings({ pid: 4242, env: {}, inContainer: false })).toEqual([])
    const [pid1] = processWarnings({ pid: 1, env: {}, inContainer: false })
    expect(pid1).toMatch(/PID 1 without an init[\s\S]*docker run --init[\s\S]*tini/)
    const [npm] = processWarnings({ pid: 4242, env: { npm_lifecycle_event: "start" }, inContainer: true })
    expect(npm).toMatch(/npm run start[\s\S]*does not forward SIGTERM[\s\S]*Run node directly/)
    expect(processWarnings({ pid: 1, env: { npm_lifecycle_event: "start" }, inContainer: true })).toHaveLength(2)
  })

  it("does not warn about npm start on a developer machine, where Ctrl+C reaches the whole group", () => {
    expect(processWarnings({ pid: 4242, env: { npm_lifecycle_event: "start" }, inContainer: false })).toEqual([])
  })

  it("detects a Kubernetes pod from its environment", () => {
    const [npm] = processWarnings({ pid: 4242, env: { npm_lifecycle_event: "start", KUBERNETES_SERVICE_HOST: "10.0.0.1" } })
    expect(npm).toMatch(/npm run start/)
  })
})
