/**
 * Acceptance, real processes: two runners started at the same instant on an empty PostgreSQL
 * database, 10 times. Both processes start, then wait for a shared instant (`START_AT`) before
 * they launch their hosts, so that their migrations run together (without the advisory lock this
 * failed 2 and 6 times out of 10 in the research). Each time both must join and leave with exit
 * code 0.
 */
import { expect, it } from "vitest"
import { postgresUrl } from "../util/cluster.js"
import { eventsFile, isRunning, isUp, type Member, outputs, postgres, readEvents, start, stopAll, waitUntil } from "./util.js"

const tries = 10

it.skipIf(postgresUrl === undefined)(`two runners starting at once on an empty PostgreSQL database, ${tries} times: no failure`, async () => {
  const results: Array<string> = []
  for (let i = 0; i < tries; i++) {
    const file = eventsFile()
    const env = { ...(await postgres.fresh("race")), EVENTS: file, START_AT: String(Date.now() + 2500) }
    const members: Array<Member> = [start("runner", "RA", env), start("runner", "RB", env)]
    try {
      await waitUntil("both runners up", () => isUp(file, "RA")() && isUp(file, "RB")(), 40_000)
      expect(members.every(isRunning)).toBe(true)
      const joined = readEvents(file).filter((e) => e.kind === "up").map((e) => e.t)
      const exits = await Promise.all(members.map((m) => m.process.signal("SIGTERM")))
      expect(exits.map((e) => e.code)).toEqual([0, 0])
      const retried = members.some((m) => /joining failed \(attempt/.test(m.process.output()))
      results.push(`try ${i}: both up ${Math.max(...joined) - Number(env.START_AT)} ms after the start instant${retried ? " (a retry)" : ""}`)
    } catch (error) {
      throw new Error(`try ${i}: ${String(error)}\n${outputs(members)}`)
    } finally {
      await stopAll(members)
    }
  }
  console.log(`[race] ${results.join("; ")}`)
}, 600_000)
