/**
 * One Ctrl+C under the `tsx` command is one stop signal; a deliberate second one still forces the
 * exit. A terminal sends SIGINT to its whole foreground process group: `detached: true` makes the
 * tsx command the leader of a new group (tsx's CLI + the app), and `process.kill(-pid, "SIGINT")`
 * does what the terminal does. tsx's CLI then relays the signal to the app again when the app's
 * acknowledgement is late or lost (see src/internal/node/relayedSignals.ts).
 *
 * Scenario `slow-stop` (its stop sleeps 30 s, shutdownTimeout 20 s): nothing ends the process in
 * the observation window unless a signal is taken as a second one ("Received SIGINT while
 * stopping"). tsx's CLI may also SIGKILL an app that is slow to acknowledge its relay; that is
 * tsx's doing, counted and printed here, and the reason the README says to run `node --import tsx`.
 */
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killGroup, killLeftovers, nodeArgs, root, spawnWatched, type Watched } from "../util/child.js"

afterEach(killLeftovers)

const RUNS = 20
const AT_ONCE = 4
const tsx = path.join(root, "node_modules", "tsx", "dist", "cli.mjs")
// tsx runs the fixture's prebuilt bundle when there is one: the relay is tsx's CLI either way.
const program = nodeArgs(path.join("test", "fixtures", "node", "app.ts")).at(-1) ?? ""
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
// tsx relays after 30 ms (and kills 30 ms later); 500 ms covers that on a loaded machine.
const OBSERVE_MS = 500

const startInGroup = (): Watched =>
  spawnWatched(process.execPath, [tsx, program, "slow-stop"], {
    detached: true,
    drop: ["NODE_ENV", "KUBERNETES_SERVICE_HOST", "npm_lifecycle_event"],
    label: "the node fixture app under the tsx command"
  })

/** What a terminal does for one Ctrl+C: SIGINT to every process of the foreground group. */
const ctrlC = (app: Watched) => {
  // `detached` children always have a pid; undefined would mean the spawn failed.
  if (app.child.pid !== undefined) process.kill(-app.child.pid, "SIGINT")
}

const oneRun = async () => {
  const app = startInGroup()
  await app.waitFor(/^READY$/m)
  // A person presses Ctrl+C after start-up, not within tsx's own set-up.
  await sleep(300)
  ctrlC(app)
  const ended = await Promise.race([app.exited.then(() => true), sleep(OBSERVE_MS).then(() => false)])
  const forced = /while stopping/.test(app.stderr())
  killGroup(app.child)
  await app.exited
  return { forced, killedByTsx: ended && !forced }
}

describe.sequential("one Ctrl+C under the tsx command", () => {
  it(`is one stop signal: never a forced exit (${RUNS} runs)`, async () => {
    const runs: Array<{ readonly forced: boolean; readonly killedByTsx: boolean }> = []
    for (let i = 0; i < RUNS; i += AT_ONCE) runs.push(...(await Promise.all(Array.from({ length: AT_ONCE }, oneRun))))
    console.log(`${RUNS} runs under the tsx command: ${runs.filter((r) => r.forced).length} forced by a second signal, ` +
      `${runs.filter((r) => r.killedByTsx).length} killed by tsx's CLI`)
    expect(runs.filter((r) => r.forced)).toEqual([])
  }, 120_000)

  it("a deliberate second Ctrl+C 400 ms later still exits at once with 130", async () => {
    const app = startInGroup()
    await app.waitFor(/^READY$/m)
    await sleep(300)
    ctrlC(app)
    await sleep(400)
    ctrlC(app)
    const exit = await app.exited
    expect(exit.code).toBe(130)
    expect(app.stderr()).toMatch(/Received SIGINT while stopping; still stopping: Slow \(stop\); exiting now with code 130/)
  })
})
