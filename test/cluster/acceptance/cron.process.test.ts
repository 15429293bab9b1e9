/**
 * Acceptance, real processes: two runners on one SQLite file, and two on PostgreSQL, run a 1 s
 * ClusterScheduledService.
 *
 * - 30 slots in a row, each run exactly once across both runners;
 * - kill -9 of the runner that ran the last slot: the slots go on on the other runner within the
 *   documented fail-over time (Cluster:ShardLockExpirationSeconds 10 s, plus the 1 s poll, plus
 *   slack for this loaded 2-core machine: 15 s); slots run twice after the kill are counted;
 * - a third runner joins, then SIGTERM of the runner that ran the last slot: it exits 0, and the
 *   slots go on without a gap longer than 3 s (the hand-over).
 */
import { describe, expect, it } from "vitest"
import { balanced, eventsFile, type Event, isUp, outputs, readEvents, seconds, start, stopAll, storages, waitUntil } from "./util.js"

/** The documented fail-over bound after a kill -9 (see the module's comment). */
const failoverBoundMs = 15_000
const handOverBoundMs = 3_000

const cronRuns = (events: ReadonlyArray<Event>) => events.filter((e) => e.kind === "cron")
const slotOf = (e: Event) => Date.parse(String(e["slot"]))

/** Slots run more than once. */
const duplicates = (runs: ReadonlyArray<Event>) => {
  const counts = new Map<number, number>()
  for (const run of runs) counts.set(slotOf(run), (counts.get(slotOf(run)) ?? 0) + 1)
  return [...counts.entries()].filter(([, n]) => n > 1).map(([slot]) => new Date(slot).toISOString())
}

/** The longest time between two consecutive runs in [from, to]. */
const longestGap = (runs: ReadonlyArray<Event>, from: number, to: number) => {
  const times = [from, ...runs.map((r) => r.t).filter((t) => t > from && t <= to), to].sort((a, b) => a - b)
  let gap = 0
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0))
  return gap
}

describe.each(storages)("a 1 s cluster cron job on two runners ($kind)", (storage) => {
  it("runs once per slot, fails over after kill -9, hands over at SIGTERM", async () => {
    const file = eventsFile()
    const env = { ...(await storage.fresh("cron")), EVENTS: file, FEATURES: "cron" }
    const a = start("runner", "A", env)
    const members = [a]
    try {
      await waitUntil("A up", isUp(file, "A"), 60_000)
      const b = start("runner", "B", env)
      members.push(b)
      await waitUntil("A and B sharing the shards", balanced(file, ["A", "B"]), 60_000)
      const balancedAt = Date.now()

      // 30 slots in a row, after both own shards.
      await waitUntil("30 slots", () => cronRuns(readEvents(file)).filter((e) => slotOf(e) > balancedAt).length >= 31, 90_000)
      const window = cronRuns(readEvents(file)).filter((e) => slotOf(e) > balancedAt)
      const slots = [...new Set(window.map(slotOf))].sort((x, y) => x - y).slice(0, 30)
      const first = slots[0] ?? 0
      expect(slots).toEqual(Array.from({ length: 30 }, (_, i) => first + i * 1000))
      const inWindow = window.filter((e) => slotOf(e) <= first + 29_000)
      expect(duplicates(inWindow)).toEqual([])
      expect(inWindow).toHaveLength(30)
      const perRunner = { A: inWindow.filter((e) => e.runner === "A").length, B: inWindow.filter((e) => e.runner === "B").length }

      // kill -9 the runner that ran the last slot.
      const lastRun = cronRuns(readEvents(file)).at(-1)
      const victim = lastRun?.runner === "B" ? b : a
      const survivor = victim === a ? b : a
      const killedAt = Date.now()
      victim.process.child.kill("SIGKILL")
      await victim.process.exited
      await waitUntil(
        "a run on the survivor after the fail-over",
        () => cronRuns(readEvents(file)).some((e) => e.runner === survivor.name && e.t > killedAt + 12_000),
        60_000
      )
      const afterKill = cronRuns(readEvents(file))
      const firstOnSurvivor = afterKill.find((e) => e.runner === survivor.name && e.t > killedAt)
      const gapAfterKill = longestGap(afterKill, killedAt, killedAt + 12_000)
      const duplicatedAfterKill = duplicates(afterKill)

      // A third runner joins; then SIGTERM of the runner that ran the last slot.
      const c = start("runner", "C", env)
      members.push(c)
      await waitUntil("survivor and C sharing the shards", balanced(file, [survivor.name, "C"]), 60_000)
      await waitUntil("two more slots", () => cronRuns(readEvents(file)).filter((e) => e.t > Date.now() - 3000).length >= 2, 30_000)
      const lastBefore = cronRuns(readEvents(file)).at(-1)
      const leaver = lastBefore?.runner === "C" ? c : survivor
      const stays = leaver === c ? survivor : c
      const termAt = Date.now()
      const exit = await leaver.process.signal("SIGTERM")
      await waitUntil("5 s of slots after the SIGTERM", () => Date.now() > termAt + 6_000, 10_000)
      const afterTerm = cronRuns(readEvents(file))
      const gapAfterTerm = longestGap(afterTerm, termAt, termAt + 6_000)
      const firstOnStayer = afterTerm.find((e) => e.runner === stays.name && e.t > termAt)

      console.log(
        `[cron ${storage.kind}] 30 slots once each (A ${perRunner.A}, B ${perRunner.B}); ` +
          `kill -9 ${victim.name}: first run on ${survivor.name} after ${seconds((firstOnSurvivor?.t ?? Number.NaN) - killedAt)}, ` +
          `longest gap ${seconds(gapAfterKill)}, slots run twice: ${duplicatedAfterKill.length}; ` +
          `SIGTERM ${leaver.name}: exit ${exit.code} after ${seconds(exit.elapsedMs)}, longest gap ${seconds(gapAfterTerm)}, ` +
          `first run on ${stays.name} after ${seconds((firstOnStayer?.t ?? Number.NaN) - termAt)}`
      )
      expect(gapAfterKill).toBeLessThanOrEqual(failoverBoundMs)
      expect(firstOnSurvivor).toBeDefined()
      // Duplicates only around the kill (a slot the victim had begun), counted above.
      expect(duplicatedAfterKill.every((slot) => Math.abs(Date.parse(slot) - killedAt) < failoverBoundMs)).toBe(true)
      expect(exit.code).toBe(0)
      expect(exit.elapsedMs).toBeLessThanOrEqual(handOverBoundMs)
      expect(gapAfterTerm).toBeLessThanOrEqual(handOverBoundMs)
    } catch (error) {
      throw new Error(`${String(error)}\n${outputs(members)}`)
    } finally {
      await stopAll(members)
    }
  }, 300_000)
})
