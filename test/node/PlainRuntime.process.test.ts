/**
 * `Host.launch(...).pipe(NodeRuntime.runMain)` — the plain Effect runner, no `effect-host/node` —
 * on real child processes: the host still stops gracefully in reverse order, still bounds the
 * stop by `shutdownTimeout` and still logs failures. What plain `runMain` cannot do is documented
 * here as asserted behaviour: it exits 0 after a signal whatever the stop's outcome, and it does
 * not handle SIGQUIT.
 */
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, linesMatching, start } from "./child.js"

afterEach(killLeftovers)

const READY = /^READY$/m

describe.sequential("Host.launch under plain NodeRuntime.runMain", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: every stop hook in reverse order, exit 0`, async () => {
      const app = start(["graceful", "plain"])
      await app.waitFor(READY)
      const exit = await app.signal(signal)
      console.log(`plain runMain, ${signal} to exit: ${exit.elapsedMs} ms`)
      expect(exit).toMatchObject({ code: 0, signal: null })
      expect(linesMatching(app.stdout(), /^(stopping|stop|stopped):/)).toEqual([
        "stopping:C", "stopping:B", "stopping:A",
        "stop:C", "stop:B", "stop:A",
        "stopped:C", "stopped:B", "stopped:A"
      ])
    })
  }

  for (const scenario of ["stop-sleeps", "stop-never"] as const) {
    it(`${scenario}: the stop ends at shutdownTimeout, the stuck service is logged, exit 1`, async () => {
      const app = start([scenario, "plain"])
      await app.waitFor(READY)
      const exit = await app.signal("SIGTERM")
      console.log(`plain runMain, ${scenario}, 1 s deadline, SIGTERM to exit: ${exit.elapsedMs} ms`)
      // Plain runMain knows no deadline code, but Host.launch adds the ShutdownTimeoutError to
      // the interruption, so the failure is not hidden behind a 0.
      expect(exit.code).toBe(1)
      expect(exit.elapsedMs).toBeGreaterThanOrEqual(1000)
      expect(exit.elapsedMs).toBeLessThan(3000)
      expect(app.output()).toMatch(/Shutdown deadline of 1s reached; still stopping: (Sleepy|Stuck)/)
    })
  }

  it("a signal during a start hook that ignores interruption: abandoned and named, the started ones stopped, exit 1", async () => {
    const app = start(["start-stubborn", "plain"])
    await app.waitFor(/^STUBBORN$/m)
    const exit = await app.signal("SIGTERM")
    // The rollback's failure (the abandoned hook) is added to the interruption, as a stop's is.
    expect(exit.code).toBe(1)
    expect(linesMatching(app.stdout(), /^(start|stopping|stop|stopped):/)).toEqual(["start:A", "start:Stubborn", "stopping:A", "stop:A", "stopped:A"])
    expect(app.output()).toMatch(/Stubborn ignored interruption in start/)
  })

  it("a failing stop hook after a signal is logged with its cause, exit 1", async () => {
    const app = start(["stop-fails", "plain"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGTERM")
    expect(exit.code).toBe(1)
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual(["stop:Flaky", "stop:A"])
    expect(app.output()).toMatch(/Hosted service Flaky failed in stop[\s\S]*could not flush the buffer/)
  })

  it("a failing start: rollback, exit 1, the cause logged", async () => {
    const app = start(["start-fails", "plain"])
    const exit = await app.exited
    expect(exit.code).toBe(1)
    expect(linesMatching(app.stdout(), /^(start|stop):/)).toEqual(["start:A", "start:Db", "stop:A"])
    expect(app.output()).toMatch(/database unreachable/)
  })

  it("SIGQUIT is not handled: Node's default action kills the process, no stop hook runs", async () => {
    const app = start(["graceful", "plain"])
    await app.waitFor(READY)
    const exit = await app.signal("SIGQUIT")
    expect(exit).toMatchObject({ code: null, signal: "SIGQUIT" })
    expect(linesMatching(app.stdout(), /^stop:/)).toEqual([])
  })
})
