/**
 * Background work on real child processes under `NodeHost.runMain` with real signals: invalid
 * options exit 78, and at the shutdown deadline (exit 124) nothing is lost: the queue accounts
 * for every task and the interrupted scheduled run releases its `perRun` layer, all before the
 * process exits. The fixtures are in test/fixtures/background/.
 */
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, spawnTsx } from "../util/child.js"

afterEach(killLeftovers)

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
})
