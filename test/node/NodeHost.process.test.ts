/**
 * `NodeHost.runMain` on real child processes with real signals: graceful stops, exit codes,
 * logged causes, status messages and start-up warnings. The fixture is
 * test/fixtures/node/app.ts. The bounded shutdown (deadline, wall-clock guard, second signal,
 * signals during a start) is NodeHost.shutdown.process.test.ts: two files run in parallel.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, linesMatching, start } from "./child.js"

afterEach(killLeftovers)

const READY = /^READY$/m
const hookLines = (stdout: string) => linesMatching(stdout, /^(start|stopping|stop|stopped):/)

describe.sequential("NodeHost.runMain", () => {
  it("SIGINT: every stop hook in reverse order, status messages, exit 0", async () => {
    const app = start(["graceful"])
    await app.waitFor(READY)
    // Status messages are log lines: the stream and format follow the host's logger settings
    // (stderr, JSON in Production), so they may arrive after READY on stdout.
    await app.waitFor(/Content root path/)
    expect(app.output()).toContain("Application started. Press Ctrl+C to shut down.")
    expect(app.output()).toContain("Hosting environment: Production")
    expect(app.output()).toMatch(/Content root path: \S+/)
    expect(app.output()).not.toContain("Application is shutting down...")
    const exit = await app.signal("SIGINT")
    console.log(`SIGINT to exit: ${exit.elapsedMs} ms`)
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(hookLines(app.stdout())).toEqual([
      "start:A", "start:B", "start:C",
      "stopping:C", "stopping:B", "stopping:A",
      "stop:C", "stop:B", "stop:A",
      "stopped:C", "stopped:B", "stopped:A"
    ])
    expect(app.output()).toContain("Application is shutting down...")
    expect(app.output()).not.toMatch(/ERROR/)
  })

  it("a reader that closes stdout (`node app | head -1`): the stop still runs to its end, exit 0, said once on stderr", async () => {
    const app = start(["stdout-closes"])
    await app.waitFor(READY)
    // Every write to stdout from now on fails with EPIPE, which Node raises as an uncaught
    // exception unless the stream has an error listener.
    app.child.stdout?.destroy()
    const exit = await app.signal("SIGTERM")
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(app.stderr()).toContain("STOP_DONE")
    expect(linesMatching(app.stderr(), /stdout can no longer be written \(EPIPE\)/)).toHaveLength(1)
    expect(app.stderr()).not.toMatch(/Unhandled 'error' event/)
  })

  for (const [scenario, what, message] of [
    ["throws-outside", "Uncaught exception", "timer callback blew up"],
    ["rejects-outside", "Unhandled promise rejection", "nobody caught this"]
  ] as const) {
    it(`${what.toLowerCase()} outside the fibers (${scenario}): logged with its cause, every service stopped, exit 1`, async () => {
      const app = start([scenario])
      await app.waitFor(READY)
      const exit = await app.exited
      expect(exit).toMatchObject({ code: 1, signal: null })
      expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:B", "stop:A"])
      // One JSON line (Production) naming what happened, with the error and its stack.
      const fatal = linesMatching(app.stderr(), new RegExp(`${what} outside the program's fibers; stopping`))
      expect(fatal).toHaveLength(1)
      expect(JSON.parse(fatal[0] ?? "{}")).toMatchObject({ logLevel: "FATAL", cause: expect.stringContaining(message) })
      expect(app.output()).toContain("Application is shutting down...")
    })
  }

  it("--unhandled-rejections=warn keeps its meaning: Node warns, the host runs on", async () => {
    const app = start(["rejects-outside"], { NODE_OPTIONS: "--unhandled-rejections=warn" })
    await app.waitFor(READY)
    await app.waitFor(/nobody caught this/)
    expect(app.stdout()).not.toMatch(/^stop:/m)
    const exit = await app.signal("SIGTERM")
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(app.stderr()).not.toMatch(/outside the program's fibers/)
  })

  it("an uncaught exception while stopping: logged, the stop runs to its end, exit 1", async () => {
    const app = start(["throws-while-stopping"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGTERM")
    expect(exit).toMatchObject({ code: 1, signal: null })
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:B", "stop:B:done", "stop:A"])
    expect(app.stderr()).toMatch(/Uncaught exception outside the program's fibers; still stopping.*thrown while stopping/)
  })

  it("SIGTERM: graceful, exit 0; status messages suppressed by the config key", async () => {
    const app = start(["graceful"], { suppressStatusMessages: "true" })
    await app.waitFor(READY)
    const exit = await app.signal("SIGTERM")
    console.log(`SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:C", "stop:B", "stop:A"])
    expect(app.output()).not.toMatch(/Application started|Hosting environment|Content root path|shutting down/)
  })

  it("SIGQUIT: graceful, exit 0; suppressed by the option; warns about npm start in a pod", async () => {
    const app = start(["graceful", "--suppress"], { npm_lifecycle_event: "start", KUBERNETES_SERVICE_HOST: "10.0.0.1" })
    await app.waitFor(READY)
    const exit = await app.signal("SIGQUIT")
    console.log(`SIGQUIT to exit: ${exit.elapsedMs} ms`)
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:C", "stop:B", "stop:A"])
    expect(app.output()).not.toMatch(/Application started|shutting down/)
    expect(app.stderr()).toMatch(/WARN.*npm run start.*Run node directly/)
  })

  it("a failing start: rollback, exit 1, the cause on stderr", async () => {
    const app = start(["start-fails"])
    const exit = await app.exited
    expect(exit.code).toBe(1)
    expect(hookLines(app.stdout())).toEqual(["start:A", "start:Db", "stopping:A", "stop:A", "stopped:A"])
    expect(app.stderr()).toMatch(/Hosted service Db failed in start[\s\S]*database unreachable/)
    expect(linesMatching(app.stderr(), /Host finished with HostStartError/)).toHaveLength(1)
    // The cause is logged once, by the host; the runner adds one summary line.
    expect(app.stderr().match(/Error: database unreachable/g)).toHaveLength(1)
  })

  it("a failing background service: the host stops, exit 1, the cause on stderr", async () => {
    const app = start(["background-fails"])
    const exit = await app.exited
    expect(exit.code).toBe(1)
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:A"])
    expect(app.stderr()).toMatch(/Background service Poller failed; stopping the host[\s\S]*poller lost its connection/)
    expect(app.stderr()).toMatch(/Host finished with BackgroundServiceError/)
  })

  it("a failing stop hook after SIGTERM: every hook still runs, exit 1, the cause on stderr", async () => {
    const app = start(["stop-fails"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGTERM")
    expect(exit.code).toBe(1)
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:Flaky", "stop:A"])
    expect(app.stderr()).toMatch(/Hosted service Flaky failed in stop[\s\S]*could not flush the buffer/)
    expect(app.stderr()).toMatch(/Host finished with HostStopError/)
  })

  it("a finalizer that fails while the program is interrupted is logged (exit 1)", async () => {
    const app = start(["release-fails"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGINT")
    expect(exit.code).toBe(1)
    expect(app.stderr()).toMatch(/A finalizer failed while the program was stopping[\s\S]*release of the pool failed/)
  })

  it("the longest shutdownTimeout a timer can wait (24.8 days): SIGTERM still stops gracefully, exit 0", async () => {
    // The guard's delay (timeout + margin) is capped at the longest timer; the watchdog thread's
    // deadline, 0.1 s past it, overflowed its timer, which Node fires after 1 ms: exit 124 at once.
    const app = start(["configured-stop"], { shutdownTimeoutSeconds: "2147483" })
    await app.waitFor(READY)
    await app.waitFor(/Content root path/)
    const exit = await app.signal("SIGTERM")
    expect(exit, app.output()).toMatchObject({ code: 0, signal: null })
    expect(hookLines(app.stdout()).filter((line) => line.startsWith("stopped:"))).toEqual(["stopped:Slow", "stopped:A"])
  })

  it("invalid host configuration exits 78 with the key in the message", async () => {
    const app = start(["config"], { shutdownTimeoutSeconds: "soon" })
    const exit = await app.exited
    expect(exit.code).toBe(78)
    expect(app.stderr()).toMatch(/The configuration is invalid \(exit code 78\)[\s\S]*shutdownTimeoutSeconds/)
    expect(app.stdout()).not.toContain("start:A")
  })

  it("a malformed appsettings.json in Production: exit 78, reported as JSON lines naming the file, line and column", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-badjson-"))
    try {
      fs.writeFileSync(path.join(dir, "appsettings.json"), '{\n  "Http": { "Port": 80\n')
      const app = start(["config", `--contentRoot=${dir}`])
      const exit = await app.exited
      expect(exit.code).toBe(78)
      const lines = app.stderr().split("\n").filter((line) => line.trim() !== "")
      expect(lines.length).toBeGreaterThan(0)
      // Every line is one JSON object (the host's Production format), not multi-line text.
      const records = lines.map((line) => JSON.parse(line) as { readonly message: string; readonly cause?: string })
      expect(records.map((r) => `${r.message} ${r.cause ?? ""}`).join("\n")).toMatch(/appsettings\.json:3:1: invalid JSON/)
      expect(app.stdout()).not.toContain("start:A")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a malformed appsettings.json with Development set in code: reported as the host would log it there (pretty, not JSON)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-badjson-"))
    try {
      fs.writeFileSync(path.join(dir, "appsettings.json"), '{\n  "Http": { "Port": 80\n')
      const app = start(["config-development", `--contentRoot=${dir}`])
      const exit = await app.exited
      expect(exit.code).toBe(78)
      expect(app.stderr()).toMatch(/ERROR[^\n]*The configuration is invalid \(exit code 78\)[\s\S]*appsettings\.json:3:1: invalid JSON/)
      expect(() => JSON.parse(app.stderr().split("\n")[0] ?? "")).toThrow()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a process.exitCode the program set is kept on a graceful stop, as plain NodeRuntime.runMain keeps it", async () => {
    const app = start(["sets-exit-code"])
    expect((await app.exited).code).toBe(42)
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:A"])
  })

  it("a program that stops itself exits 0 without a signal; a defect exits 1 with its cause", async () => {
    const itself = start(["stop-itself"])
    const failing = start(["program-fails"])
    expect((await itself.exited).code).toBe(0)
    expect(linesMatching(itself.stdout(), /^stop:/)).toEqual(["stop:A"])
    expect((await failing.exited).code).toBe(1)
    expect(failing.stderr()).toMatch(/The program failed \(exit code 1\)[\s\S]*crashed before the host/)
  })
})
