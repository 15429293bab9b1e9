/**
 * The shutdown bound that holds while the event loop is blocked (the watchdog thread), on real
 * child processes with real signals: a stop hook or a finalizer that never yields, with and
 * without `--inspect`, one blocked in native code, and the same stop with the thread disabled
 * (which only the test's kill ends). The fixture is test/fixtures/node/blocked.ts; the guard's
 * margin is 0.7 s, so the watchdog acts at 0.5 s + 0.7 s + 0.1 s after the stop begins.
 */
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, nodeArgs, onJournalStream, spawnWatched, type Watched } from "../util/child.js"

afterEach(killLeftovers)

const fixture = path.join("test", "fixtures", "node", "blocked.ts")
const shutdownTimeoutMs = 500
const marginMs = 700
/** The watchdog's deadline after the stop began (runMain's `watchdogLagMs` is 100 ms). */
const deadlineMs = shutdownTimeoutMs + marginMs + 100
const slackMs = 1000

const start = (scenario: string, options: { nodeFlags?: ReadonlyArray<string>; env?: Record<string, string>; detached?: boolean } = {}) =>
  spawnWatched(process.execPath, [...(options.nodeFlags ?? []), ...nodeArgs(fixture), scenario], {
    env: { FIXTURE_GUARD_MARGIN_MS: String(marginMs), ...options.env },
    drop: ["NODE_ENV", "npm_lifecycle_event", "KUBERNETES_SERVICE_HOST", "NOTIFY_SOCKET", "JOURNAL_STREAM", "NODE_OPTIONS"],
    detached: options.detached ?? false,
    label: `blocked.ts ${scenario}`
  })

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? ""

/**
 * The message of the last stderr line, which must be a JSON line as the host's logger writes in
 * Production (the fixture's environment): an error of the runner's category.
 */
const lastMessage = (text: string): string => {
  const line = lastLine(text)
  let record: unknown
  try {
    record = JSON.parse(line)
  } catch {
    expect.fail(`the last line is not a JSON line: ${line}`)
  }
  expect(record).toMatchObject({ logLevel: "ERROR", annotations: { category: "effect-host.NodeHost" }, message: expect.any(String) })
  return (record as { readonly message: string }).message
}

/** Sends SIGTERM once the app is blocked; resolves with the exit and the time from the signal. */
const stopWhileBlocked = async (app: Watched) => {
  await app.waitFor(/^READY$/m)
  const exit = app.signal("SIGTERM")
  await app.waitFor(/^BLOCKING$/m)
  return exit
}

describe.sequential("the watchdog thread", () => {
  it("a stop hook in `while (true) {}`: exit 124 at the deadline, the last stderr line names the stuck service", async () => {
    const app = start("busy-stop")
    const exit = await stopWhileBlocked(app)
    console.log(`busy stop hook, SIGTERM to exit: ${exit.elapsedMs} ms (deadline ${deadlineMs} ms)`)
    expect(exit).toMatchObject({ code: 124, signal: null })
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(deadlineMs - 50)
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + marginMs + slackMs)
    expect(lastMessage(app.stderr())).toMatch(
      /^Shutdown did not finish within 500ms \(\+700ms margin\); still stopping: Spinner \(stop\); the event loop is blocked: ended by the watchdog thread with code 124$/
    )
    // C stopped before the Spinner; A, after it, never got its stop hook.
    expect(app.stdout()).toMatch(/^stop:C$[\s\S]*^stop:Spinner$/m)
    expect(app.stdout()).not.toMatch(/^stop:A$/m)
  })

  it("a stop long after the start (the thread already waiting on standby): the same exit 124 at the same deadline", async () => {
    const app = start("busy-stop")
    await app.waitFor(/^READY$/m)
    // runMain starts the thread idle 25 ms after `started`; arming it is then a message.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const exit = app.signal("SIGTERM")
    await app.waitFor(/^BLOCKING$/m)
    const result = await exit
    console.log(`busy stop hook, thread on standby, SIGTERM to exit: ${result.elapsedMs} ms (deadline ${deadlineMs} ms)`)
    expect(result).toMatchObject({ code: 124, signal: null })
    expect(result.elapsedMs).toBeGreaterThanOrEqual(deadlineMs - 50)
    expect(result.elapsedMs).toBeLessThan(shutdownTimeoutMs + marginMs + slackMs)
    expect(lastMessage(app.stderr())).toMatch(
      /still stopping: Spinner \(stop\); the event loop is blocked: ended by the watchdog thread with code 124$/
    )
  })

  it("a finalizer outside the host in `while (true) {}`: exit 124, the line says no service is in a hook", async () => {
    const app = start("busy-finalizer")
    const exit = await stopWhileBlocked(app)
    console.log(`busy finalizer, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(exit).toMatchObject({ code: 124, signal: null })
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(deadlineMs - 50)
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + marginMs + slackMs)
    expect(app.stdout()).toMatch(/^release:spinning$/m)
    expect(lastMessage(app.stderr())).toMatch(
      /Shutdown did not finish within 500ms \(\+700ms margin\); no hosted service is in a hook \(a finalizer outside the host has not returned\); the event loop is blocked: ended by the watchdog thread with code 124$/
    )
  })

  it("with --inspect=0 in execArgv: still 124 and the line last (the inspector server does not hold the exit)", async () => {
    const app = start("busy-stop", { nodeFlags: ["--inspect=127.0.0.1:0"] })
    const exit = await stopWhileBlocked(app)
    console.log(`busy stop hook under --inspect, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(app.stderr()).toMatch(/Debugger listening on ws:/)
    expect(exit).toMatchObject({ code: 124, signal: null })
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + marginMs + slackMs)
    expect(lastMessage(app.stderr())).toMatch(/still stopping: Spinner \(stop\); the event loop is blocked: ended by the watchdog thread with code 124$/)
  })

  it("a stop that begins without a signal (stopApplication) and blocks: armed by the stop, exit 124", async () => {
    const app = start("stops-itself-busy")
    await app.waitFor(/^BLOCKING$/m)
    const exit = await app.exited
    expect(exit).toMatchObject({ code: 124, signal: null })
    expect(lastMessage(app.stderr())).toMatch(/still stopping: Spinner \(stop\); the event loop is blocked: ended by the watchdog thread/)
  })

  it("in Development (the pretty format) the line is plain text: time, level, category, message", async () => {
    const app = start("busy-stop", { env: { EFFECT_HOST_ENVIRONMENT: "Development" } })
    const exit = await stopWhileBlocked(app)
    expect(exit).toMatchObject({ code: 124, signal: null })
    expect(lastLine(app.stderr())).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR \[effect-host\.NodeHost\] Shutdown did not finish within 500ms \(\+700ms margin\); still stopping: Spinner \(stop\); the event loop is blocked: ended by the watchdog thread with code 124$/
    )
  })

  it("stderr is the journal (JOURNAL_STREAM): the line starts with the error priority, <3>, as the host's own lines do", async () => {
    const app = spawnWatched(...onJournalStream(2, process.execPath, [...nodeArgs(fixture), "busy-stop"]), {
      env: { FIXTURE_GUARD_MARGIN_MS: String(marginMs) },
      drop: ["NODE_ENV", "npm_lifecycle_event", "KUBERNETES_SERVICE_HOST", "NOTIFY_SOCKET", "NODE_OPTIONS"],
      label: "blocked.ts busy-stop, JOURNAL_STREAM = fd 2"
    })
    const exit = await stopWhileBlocked(app)
    expect(exit).toMatchObject({ code: 124, signal: null })
    const line = lastLine(app.stderr())
    expect(line).toMatch(/^<3>\{"message":"Shutdown did not finish within 500ms/)
    expect(JSON.parse(line.slice(3))).toMatchObject({ logLevel: "ERROR", annotations: { category: "effect-host.NodeHost" } })
  })

  it("a stop hook blocked in native code (a synchronous child process): exit 124 from the watchdog thread (WASI)", async () => {
    const app = start("native-stop", { detached: true })
    try {
      const exit = await stopWhileBlocked(app)
      console.log(`native-blocked stop hook, SIGTERM to exit: ${exit.elapsedMs} ms`)
      expect(exit).toMatchObject({ code: 124, signal: null })
      // The inspector's interrupt is not taken in native code: 250 ms later the thread exits itself.
      expect(exit.elapsedMs).toBeGreaterThanOrEqual(deadlineMs + 200)
      expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + marginMs + slackMs + 250)
      expect(lastMessage(app.stderr())).toMatch(
        /Shutdown did not finish within 500ms \(\+700ms margin\); the main thread is blocked; (last seen in a hook: .*|no hosted service was seen in a hook); it is in native code: exiting from the watchdog thread with code 124$/
      )
    } finally {
      // The `sleep 30` the hook started outlives the process: end its group.
      try {
        if (app.child.pid !== undefined) process.kill(-app.child.pid, "SIGKILL")
      } catch {
        // Already gone.
      }
    }
  })

  it("without the thread (disableWatchdogThread) the same stop is not bounded: still running well past the deadline", async () => {
    const app = start("busy-stop", { env: { FIXTURE_NO_WATCHDOG: "1" } })
    await app.waitFor(/^READY$/m)
    app.child.kill("SIGTERM")
    await app.waitFor(/^BLOCKING$/m)
    const outcome = await Promise.race([
      app.exited.then(() => "exited"),
      new Promise<string>((resolve) => setTimeout(() => resolve("still running"), shutdownTimeoutMs + marginMs + slackMs))
    ])
    expect(outcome).toBe("still running")
    app.child.kill("SIGKILL")
    expect(await app.exited).toMatchObject({ code: null, signal: "SIGKILL" })
  })

  it("a stop that finishes: exit 0 at once, nothing on stderr (the armed thread neither holds nor changes the exit)", async () => {
    const app = start("graceful")
    await app.waitFor(/^READY$/m)
    const exit = await app.signal("SIGTERM")
    console.log(`graceful stop with the watchdog armed, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(exit.elapsedMs).toBeLessThan(1000)
    expect(app.stderr()).toBe("")
  })
})
