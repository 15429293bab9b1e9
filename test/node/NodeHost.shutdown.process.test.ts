/**
 * `NodeHost.runMain`'s bounded shutdown on real child processes with real signals: the host's
 * deadline (exit 124, the stuck service named), the wall-clock guard for a release that never
 * returns, the forced second signal (130 / 143), signals during a start, and signals that land
 * while the runner exits. The fixture is test/fixtures/node/app.ts. The graceful stops, failures
 * and exit codes of a normal run are in NodeHost.process.test.ts (two files, so the two halves
 * run in parallel: each test mostly waits on a real clock).
 */
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, linesMatching, start } from "./child.js"

afterEach(killLeftovers)

const READY = /^READY$/m
const hookLines = (stdout: string) => linesMatching(stdout, /^(start|stopping|stop|stopped):/)

describe.sequential("NodeHost.runMain: the bounded shutdown", () => {
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
})
