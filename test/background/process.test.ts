/**
 * Background work on real child processes under `NodeHost.runMain` with real signals: invalid
 * options exit 78, and at the shutdown deadline (exit 124) nothing is lost: the queue accounts
 * for every task and the interrupted scheduled run releases its `perRun` layer, all before the
 * process exits. The fixtures are in test/fixtures/background/.
 */
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { type Exited, killLeftovers, spawnTsx, type Watched } from "../util/child.js"

afterEach(killLeftovers)

/**
 * Exit 124 from the host's own deadline (1 s, plus its 0.5 s grace and slack for a loaded
 * machine), not from the runner's wall-clock guard, which both fixtures give a 3 s margin.
 */
const expectEndedByHostDeadline = (app: Watched, exit: Exited & { readonly elapsedMs: number }) => {
  expect(exit.code).toBe(124)
  expect(exit.elapsedMs).toBeLessThan(3_000)
  expect(app.stderr()).not.toContain("Shutdown did not finish within")
}

const fixture = (name: string, args: ReadonlyArray<string> = []) =>
  spawnTsx(path.join("test", "fixtures", "background", name), args, {
    // The host reads NODE_ENV and the runner warns about npm: keep the child's environment neutral.
    drop: ["NODE_ENV", "npm_lifecycle_event", "KUBERNETES_SERVICE_HOST"],
    label: `the fixture ${name}`
  })

describe.sequential("background work under NodeHost.runMain", () => {
  it("invalid options (two cron strings, a queue capacity): exit 78, all named, nothing started", async () => {
    const app = fixture("invalid-options.ts")
    const exit = await app.exited
    expect(exit.code).toBe(78)
    expect(app.stdout()).not.toMatch(/^start:/m)
    const stderr = app.stderr()
    expect(stderr).toContain("Invalid configuration (3 problems)")
    expect(stderr).toContain("ScheduledService Cleanup: schedule: invalid cron expression \\\"61 * * * *\\\"")
    expect(stderr).toContain("BackgroundTaskQueue Emails: capacity: must be a positive integer, got 0 (from code)")
    expect(stderr).toContain("ScheduledService Reports: schedule: invalid cron expression \\\"0 25 * * *\\\"")
  })

  it("SIGTERM mid-drain, 1 s deadline: exit 124, and before it exits completed + reported = enqueued (100,000 tasks)", async () => {
    const app = fixture("queue-deadline.ts", ["100000", "4"])
    await app.waitFor(/^READY \d+$/m)
    const exit = await app.signal("SIGTERM")
    console.log(`queue deadline, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expectEndedByHostDeadline(app, exit)
    const account = /^ACCOUNT completed=(\d+) reported=(\d+) enqueued=(\d+)$/m.exec(app.stdout())
    expect(account, app.output()).not.toBeNull()
    const [completed, reported, enqueued] = (account ?? []).slice(1).map(Number)
    expect(enqueued).toBe(100_000)
    expect((completed ?? 0) + (reported ?? 0)).toBe(enqueued)
    expect(reported).toBeGreaterThan(0)
    // onUnprocessed ran, once, before Host.launch returned; the warning was logged before the exit.
    const lines = app.stdout().split("\n")
    expect(lines.filter((l) => l.startsWith("UNPROCESSED "))).toEqual([`UNPROCESSED ${reported}`])
    expect(lines.findIndex((l) => l.startsWith("UNPROCESSED "))).toBeLessThan(lines.findIndex((l) => l.startsWith("ACCOUNT ")))
    expect(app.stderr()).toContain(`Background task queue BackgroundTaskQueue: ${reported} task(s) not completed`)
    expect(app.stderr()).toMatch(/Shutdown deadline of 1s reached; still stopping: BackgroundTaskQueue/)
  })

  it("SIGTERM during a scheduled run longer than the budget: exit 124, the run's perRun layer released before the exit", async () => {
    const app = fixture("perrun-deadline.ts")
    await app.waitFor(/^RUNNING 1$/m)
    const exit = await app.signal("SIGTERM")
    console.log(`perRun deadline, SIGTERM to exit: ${exit.elapsedMs} ms`)
    expectEndedByHostDeadline(app, exit)
    const lines = app.stdout().split("\n").filter((l) => /^(RUNNING|RELEASED|LAUNCH)/.test(l))
    expect(lines).toEqual(["RUNNING 1", "RELEASED perRun 1", "LAUNCH RETURNED"])
    expect(app.stderr()).toMatch(/Shutdown deadline of 1s reached; still stopping: Sync/)
  })
})
