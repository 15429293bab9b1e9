/**
 * `NodeHost.runMain` on real child processes with real signals: graceful stops, the bounded
 * shutdown (host deadline and wall-clock guard), the forced second signal, exit codes, logged
 * causes, status messages and start-up warnings. The fixture is test/fixtures/node/app.ts.
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

  it("a stop hook that sleeps past shutdownTimeout: exit 124 at the deadline, the stuck service named", async () => {
    const app = start(["stop-sleeps"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGTERM")
    console.log(`stop hook past a 1 s deadline, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(exit.code).toBe(124)
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(1000)
    expect(exit.elapsedMs).toBeLessThan(3000)
    expect(app.stderr()).toMatch(/Shutdown deadline of 1s reached; still stopping: Sleepy/)
    expect(app.stderr()).toMatch(/never stopped: A/)
    expect(app.stderr()).toMatch(/Host finished with ShutdownTimeoutError/)
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:Sleepy"])
  })

  it("a stop hook that never yields (Effect.never): exit 124 at the deadline", async () => {
    const app = start(["stop-never"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGINT")
    console.log(`Effect.never stop hook, 1 s deadline, SIGINT to exit: ${exit.elapsedMs} ms`)
    expect(exit.code).toBe(124)
    expect(exit.elapsedMs).toBeLessThan(3000)
    expect(app.stderr()).toMatch(/still stopping: Stuck/)
  })

  it("a finalizer outside the host that never returns: the wall-clock guard exits 124", async () => {
    const app = start(["release-hangs"], { FIXTURE_GUARD_MARGIN_MS: "700" })
    await app.waitFor(READY)
    const exit = await app.signal("SIGTERM")
    console.log(`hanging release, 1 s deadline + 0.7 s guard margin, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(exit.code).toBe(124)
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(1700)
    expect(exit.elapsedMs).toBeLessThan(3700)
    expect(app.stdout()).toContain("release:hanging")
    expect(app.stderr()).toMatch(/Shutdown did not finish within 1s \(\+700ms margin\); no hosted service is in a hook/)
  })

  it("a stop without any signal (stopApplication) is bounded by the guard too", async () => {
    const app = start(["stop-itself-hangs"])
    await app.waitFor(/^release:hanging$/m)
    const exit = await app.exited
    expect(exit.code).toBe(124)
    expect(app.stderr()).toMatch(/Shutdown did not finish within 1s \(\+1s margin\)/)
  })

  it("a second SIGINT during a slow stop exits at once with 130, naming the services still stopping", async () => {
    const app = start(["slow-stop"])
    await app.waitFor(READY)
    app.child.kill("SIGINT")
    await app.waitFor(/^stop:Slow$/m)
    const exit = await app.signal("SIGINT")
    console.log(`second SIGINT to exit: ${exit.elapsedMs} ms`)
    expect(exit.code).toBe(130)
    expect(exit.elapsedMs).toBeLessThan(1000)
    expect(linesMatching(app.stderr(), /Received SIGINT while stopping/)).toEqual([
      expect.stringMatching(/still stopping: Slow \(stop\); exiting now with code 130/)
    ])
    expect(app.stdout()).not.toContain("stop:A")
  })

  it("a second SIGTERM during a slow stop exits with 143", async () => {
    const app = start(["slow-stop"])
    await app.waitFor(READY)
    app.child.kill("SIGTERM")
    await app.waitFor(/^stop:Slow$/m)
    const exit = await app.signal("SIGTERM")
    expect(exit.code).toBe(143)
  })

  it("a signal during a start hook that ignores interruption: abandoned after the grace, named, the started ones stopped, exit 1", async () => {
    const app = start(["start-stubborn"])
    await app.waitFor(/^STUBBORN$/m)
    const exit = await app.signal("SIGTERM")
    console.log(`stubborn start hook, 5 s budget, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expect(exit.code).toBe(1)
    // Not the deadline: the host waited the 0.5 s grace for Stubborn, then stopped A.
    expect(exit.elapsedMs).toBeLessThan(4000)
    expect(hookLines(app.stdout())).toEqual(["start:A", "start:Stubborn", "stopping:A", "stop:A", "stopped:A"])
    expect(app.stderr()).toMatch(/Stubborn ignored interruption in start/)
    expect(app.stderr()).not.toMatch(/Shutdown deadline/)
  })

  it("stopApplication during a start hook that ignores interruption: abandoned after the grace, the started ones stopped, exit 1 (not the guard's 124)", async () => {
    const app = start(["start-stubborn-stops-itself"])
    const exit = await app.exited
    expect(exit.code).toBe(1)
    expect(hookLines(app.stdout())).toEqual(["start:A", "start:Stubborn", "stopping:A", "stop:A", "stopped:A"])
    expect(app.stderr()).toMatch(/Stubborn ignored interruption in start/)
    expect(app.stderr()).not.toMatch(/Shutdown did not finish/)
  })

  it("SIGINT, SIGTERM, then SIGQUIT 2 ms later: every signal stays handled until the exit, 10 of 10", async () => {
    const runs = await Promise.all(Array.from({ length: 10 }, async () => {
      const app = start(["slow-stop"])
      await app.waitFor(READY)
      app.child.kill("SIGINT")
      await app.waitFor(/^stop:Slow$/m)
      app.child.kill("SIGTERM")
      // The third signal lands while the runner is exiting (or, when the kernel delivers both at
      // once, lowest number first, it is the forcing one): never Node's default action.
      setTimeout(() => app.child.kill("SIGQUIT"), 2)
      const exit = await app.exited
      const named = /exiting now with code (\d+)/.exec(app.stderr())?.[1]
      return { ...exit, named: named === undefined ? null : Number(named) }
    }))
    for (const run of runs) {
      expect(run.signal).toBeNull()
      expect([143, 131]).toContain(run.code)
      expect(run.named).toBe(run.code)
    }
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

  it("a signal during a slow start: the start is interrupted, rolled back, exit 0", async () => {
    const app = start(["slow-start"])
    await app.waitFor(/^SLOW_START$/m)
    const exit = await app.signal("SIGTERM")
    console.log(`SIGTERM during start to exit: ${exit.elapsedMs} ms`)
    expect(exit.code).toBe(0)
    expect(exit.elapsedMs).toBeLessThan(2000)
    expect(hookLines(app.stdout())).toEqual(["start:A", "start:Slow", "stopping:A", "stop:A", "stopped:A"])
    expect(app.output()).not.toContain("READY")
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

  it("a program that stops itself exits 0 without a signal; a defect exits 1 with its cause", async () => {
    const itself = start(["stop-itself"])
    const failing = start(["program-fails"])
    expect((await itself.exited).code).toBe(0)
    expect(linesMatching(itself.stdout(), /^stop:/)).toEqual(["stop:A"])
    expect((await failing.exited).code).toBe(1)
    expect(failing.stderr()).toMatch(/The program failed \(exit code 1\)[\s\S]*crashed before the host/)
  })
})
