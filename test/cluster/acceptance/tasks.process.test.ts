/**
 * Acceptance, real processes: a client-only producer enqueues 3,000 durable tasks to two runners
 * (on one SQLite file, and on PostgreSQL).
 *
 * - kill -9 of a runner once 30 % are done: every task that was enqueued completes at least
 *   once, none is lost; the tasks run twice are counted and reported;
 * - SIGTERM of a runner once 30 % are done (tasks of 50 ms, so some are in progress): it exits 0,
 *   and nothing is lost.
 */
import { describe, expect, it } from "vitest"
import { balanced, eventsFile, type Event, isRunning, isUp, type Member, outputs, readEvents, seconds, start, stopAll, storages, waitUntil } from "./util.js"

const ids = (events: ReadonlyArray<Event>, kind: string) => events.filter((e) => e.kind === kind).map((e) => String(e["id"]))

const counts = (values: ReadonlyArray<string>) => {
  const map = new Map<string, number>()
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1)
  return map
}

interface Outcome {
  readonly sent: number
  readonly failedSends: number
  readonly completed: number
  readonly lost: number
  readonly ranTwice: number
  readonly startedTwice: number
  readonly perRunner: Record<string, number>
  readonly victimExit: { readonly code: number | null; readonly signal: string | null; readonly afterMs: number }
  readonly lastDoneAfterMs: number
  readonly tasksPerSecond: number
}

/** Two runners, a producer of `n` tasks, `signal` to runner B once `at` of them are done. */
const scenario = async (
  storage: (typeof storages)[number],
  n: number,
  workMs: number,
  signal: "SIGKILL" | "SIGTERM",
  at = 0.3
): Promise<Outcome> => {
  const file = eventsFile()
  const env = { ...(await storage.fresh("tasks")), EVENTS: file, FEATURES: "tasks", WORK_MS: String(workMs) }
  const members: Array<Member> = []
  try {
    const a = start("runner", "A", env)
    members.push(a)
    await waitUntil("A up", isUp(file, "A"), 60_000)
    const b = start("runner", "B", env)
    members.push(b)
    await waitUntil("A and B sharing the shards", balanced(file, ["A", "B"]), 60_000)

    const producer = start("producer", "P", { ...env, N: String(n) })
    members.push(producer)
    const done = () => new Set(ids(readEvents(file), "task-done")).size
    await waitUntil(`${Math.round(at * 100)} % done`, () => done() >= n * at, 180_000, 20)
    const signalledAt = Date.now()
    b.process.child.kill(signal)
    const victimExit = await b.process.exited
    const exitAfter = Date.now() - signalledAt

    await waitUntil("the producer to finish", () => !isRunning(producer), 180_000, 200)
    const sentIds = new Set(ids(readEvents(file), "sent"))
    await waitUntil("every enqueued task done", () => {
      const completed = new Set(ids(readEvents(file), "task-done"))
      return [...sentIds].every((id) => completed.has(id))
    }, 180_000, 200)
    const events = readEvents(file)
    const done_ = counts(ids(events, "task-done"))
    const started = counts(ids(events, "task-start"))
    const doneEvents = events.filter((e) => e.kind === "task-done")
    const producerStart = events.find((e) => e.kind === "producer-start")?.t ?? signalledAt
    const lastDone = Math.max(...doneEvents.map((e) => e.t))
    return {
      sent: sentIds.size,
      failedSends: events.filter((e) => e.kind === "send-failed").length,
      completed: done_.size,
      lost: [...sentIds].filter((id) => !done_.has(id)).length,
      ranTwice: [...done_.values()].filter((c) => c > 1).length,
      startedTwice: [...started.values()].filter((c) => c > 1).length,
      perRunner: { A: doneEvents.filter((e) => e.runner === "A").length, B: doneEvents.filter((e) => e.runner === "B").length },
      victimExit: { code: victimExit.code, signal: victimExit.signal, afterMs: exitAfter },
      lastDoneAfterMs: lastDone - signalledAt,
      tasksPerSecond: Math.round(done_.size / ((lastDone - producerStart) / 1000))
    }
  } catch (error) {
    throw new Error(`${String(error)}\n${outputs(members)}`)
  } finally {
    await stopAll(members)
  }
}

const report = (label: string, o: Outcome) =>
  console.log(
    `[tasks ${label}] sent ${o.sent}, failed sends ${o.failedSends}, completed ${o.completed}, lost ${o.lost}, ` +
      `run twice ${o.ranTwice} (started twice ${o.startedTwice}), per runner ${JSON.stringify(o.perRunner)}, ` +
      `B exited ${o.victimExit.code ?? o.victimExit.signal} after ${seconds(o.victimExit.afterMs)}, ` +
      `last task done ${seconds(o.lastDoneAfterMs)} after the signal, ${o.tasksPerSecond} tasks/s overall`
  )

describe.each(storages)("3,000 durable tasks on two runners ($kind)", (storage) => {
  it("kill -9 of a runner at 30 %: every task completes at least once, none lost, duplicates counted", async () => {
    const outcome = await scenario(storage, 3000, 5, "SIGKILL")
    report(`${storage.kind} kill -9`, outcome)
    expect(outcome.victimExit.signal).toBe("SIGKILL")
    expect(outcome.failedSends).toBe(0)
    expect(outcome.sent).toBe(3000)
    expect(outcome.completed).toBe(3000)
    expect(outcome.lost).toBe(0)
  }, 300_000)

  it("SIGTERM of a runner at 30 % (tasks in progress): it exits 0 and nothing is lost", async () => {
    const outcome = await scenario(storage, 1000, 50, "SIGTERM")
    report(`${storage.kind} SIGTERM`, outcome)
    expect(outcome.victimExit.code).toBe(0)
    expect(outcome.failedSends).toBe(0)
    expect(outcome.sent).toBe(1000)
    expect(outcome.completed).toBe(1000)
    expect(outcome.lost).toBe(0)
  }, 300_000)
})
