/**
 * DurableTaskQueue in one process, on real SQLite files and a real PostgreSQL database: enqueue
 * has stored the task when it returns (a member without workers; another process reads the
 * row), the tasks complete once per key, a task interrupted by a stop stays stored and runs at
 * the next start, and a storage that cannot take the task fails the enqueue with a typed error.
 */
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, Schedule, Schema, TestClock } from "effect"
import { DurableTaskQueue, HostCluster } from "effect-host/cluster"
import * as path from "node:path"
import { describePostgres, freshDatabase, hostOptions, queryDatabase, startHost, tempDir } from "./util/cluster.js"

const Job = Schema.Struct({ id: Schema.String, ms: Schema.Number })

/** A queue whose runs are recorded (by key) and take `ms` each. */
const recordingQueue = (ran: Array<string>, name = "jobs") =>
  DurableTaskQueue.make(name, {
    payload: Job,
    key: (job) => job.id,
    run: (job) => Effect.zipRight(Effect.sleep(Duration.millis(job.ms)), Effect.sync(() => void ran.push(job.id))),
    workers: 4,
    lanes: 8
  })

const sqliteRows = (filename: string, statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.unsafe<Record<string, unknown>>(statement)
  }).pipe(Effect.provide(SqliteClient.layer({ filename })), Effect.orDie)

const waitFor = (condition: () => boolean, timeout: Duration.DurationInput = "20 seconds") =>
  Effect.suspend(() => (condition() ? Effect.void : Effect.fail("not yet"))).pipe(
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeout(timeout)
  )

const storedTasks = "SELECT message_id FROM cluster_messages WHERE entity_type = 'effect-host/DurableTaskQueue/jobs'"

describe("DurableTaskQueue on SQLite", () => {
  it.scopedLive("enqueue returns once the task is stored; a runner started later runs it", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "c.db")
      const ran: Array<string> = []
      const queue = recordingQueue(ran)
      // A client-only member, and no runner yet: nothing runs the tasks, they can only be stored.
      const producer = yield* startHost([HostCluster.layerClient({ sql: { filename } })], hostOptions())
      yield* Effect.provide(Effect.forEach(["a", "b", "c"], (id) => queue.enqueue({ id, ms: 0 })), producer.context)
      const rows = yield* sqliteRows(filename, storedTasks)
      expect(rows).toHaveLength(3)
      expect((yield* queue.stats).enqueued).toBe(3)
      yield* producer.stop
      expect(ran).toEqual([])

      // Another member with the workers, on the same file: the stored tasks run there.
      yield* startHost([HostCluster.layer({ sql: { filename } }), queue.layer], hostOptions())
      yield* waitFor(() => ran.length === 3)
      expect([...ran].sort()).toEqual(["a", "b", "c"])
    }))

  it.scopedLive("a key is stored and run once, however often it is enqueued", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "c.db")
      const ran: Array<string> = []
      const queue = recordingQueue(ran)
      const { context } = yield* startHost([HostCluster.layer({ sql: { filename } }), queue.layer], hostOptions())
      yield* Effect.provide(Effect.forEach(["x", "y", "x", "x", "y"], (id) => queue.enqueue({ id, ms: 0 })), context)
      yield* waitFor(() => ran.length === 2)
      // Re-enqueueing a completed key stores nothing and runs nothing.
      yield* Effect.provide(queue.enqueue({ id: "x", ms: 0 }), context)
      yield* Effect.sleep("1500 millis")
      expect([...ran].sort()).toEqual(["x", "y"])
      expect(yield* sqliteRows(filename, storedTasks)).toHaveLength(2)
      const stats = yield* queue.stats
      expect(stats.succeeded).toBe(2)
      expect(stats.started).toBe(2)
    }))

  it.scopedLive("tasks still running when the stop's termination timeout ends stay stored and run at the next start", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "c.db")
      const slow: Array<string> = []
      const slowQueue = recordingQueue(slow)
      const warnings: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      const first = yield* startHost(
        [HostCluster.layer({ sql: { filename }, entityTerminationTimeout: "500 millis" }), slowQueue.layer],
        hostOptions()
      ).pipe(Effect.provide(Logger.add(capture)))
      yield* Effect.provide(Effect.forEach(["s1", "s2"], (id) => slowQueue.enqueue({ id, ms: 60_000 })), first.context)
      yield* waitFor(() => Effect.runSync(slowQueue.stats).running === 2)
      yield* first.stop
      const afterStop = yield* slowQueue.stats
      expect(afterStop.interrupted).toBe(2)
      expect(slow).toEqual([])
      // The stop's report names them (it said "none left in progress": the entity's stop had
      // interrupted them, and their runs' ends were taken for completions).
      const report = warnings.find((w) => w.startsWith("Durable task queue jobs: stopped"))
      expect(report).toMatch(/2 task\(s\) were still in progress and stay stored/)
      expect(report).toMatch(/keys: (s1, s2|s2, s1)/)

      // The same tasks (same keys), stored: the next runner runs them. Its queue runs fast.
      const ran: Array<string> = []
      const fast = DurableTaskQueue.make("jobs", {
        payload: Job,
        key: (job) => job.id,
        run: (job) => Effect.sync(() => void ran.push(job.id)),
        lanes: 8
      })
      yield* startHost([HostCluster.layer({ sql: { filename } }), fast.layer], hostOptions())
      yield* waitFor(() => ran.length === 2)
      expect([...ran].sort()).toEqual(["s1", "s2"])
    }))
})

describe("DurableTaskQueue's enqueue timeout, under TestClock", () => {
  it.scoped("a locked storage: the enqueue retries on the clock and fails at its timeout, not before", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "c.db")
      const queue = DurableTaskQueue.make("jobs", { payload: Job, key: (job) => job.id, run: () => Effect.void, enqueueTimeout: "10 seconds" })
      const { context } = yield* startHost(
        [HostCluster.layerSingle({ sql: { filename }, sqliteBusyTimeout: 0 }), queue.layer],
        hostOptions()
      )
      const other = yield* Layer.build(SqliteClient.layer({ filename }))
      const sql = yield* Effect.provide(SqlClient.SqlClient, other)
      yield* sql.unsafe("BEGIN EXCLUSIVE")
      const enqueue = yield* Effect.fork(Effect.provide(queue.enqueue({ id: "locked", ms: 0 }), context))
      yield* TestClock.adjust("9 seconds")
      expect(enqueue.unsafePoll()).toBeNull()
      yield* TestClock.adjust("2 seconds")
      const error = yield* Effect.flip(Fiber.join(enqueue))
      yield* sql.unsafe("ROLLBACK")
      expect(error._tag).toBe("DurableTaskEnqueueError")
      expect(error.queue).toBe("jobs")
      expect(error.key).toBe("locked")
      expect(error.message).toMatch(/durable task queue jobs: task "locked" was not persisted: the storage did not accept it/)
      expect(error.reason).toBe("timeout")
      expect(String(error.cause)).toContain("database is locked")
    }))
})

describePostgres("DurableTaskQueue on PostgreSQL", () => {
  it.scopedLive("enqueue stores the task; the workers complete every task once", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase("queue")
      const ran: Array<string> = []
      const queue = recordingQueue(ran)
      const { context } = yield* startHost([HostCluster.layer({ sql: { url } }), queue.layer], hostOptions())
      const ids = Array.from({ length: 20 }, (_, i) => `t${i}`)
      yield* Effect.provide(Effect.forEach(ids, (id) => queue.enqueue({ id, ms: 10 }), { concurrency: 4 }), context)
      yield* waitFor(() => ran.length === 20)
      expect(new Set(ran).size).toBe(20)
      const rows = yield* queryDatabase<{ n: number }>(
        url,
        "SELECT count(*)::int AS n FROM cluster_messages WHERE entity_type = 'effect-host/DurableTaskQueue/jobs'"
      )
      expect(rows[0]?.n).toBe(20)
    }))
})
