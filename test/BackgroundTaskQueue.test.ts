/**
 * BackgroundTaskQueue (issue 4): workers as a hosted service, back-pressure, refusal after stop,
 * drain "complete" / "cancel", every task either completed or reported (never both, never
 * neither), also with 100,000 tasks from concurrent producers and a stop in the middle.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Either, Fiber, Layer, Option } from "effect"
import { BackgroundTaskQueue, ConfigurationError, HostedService, TaskQueueFullError, TaskQueueStoppedError } from "effect-host"
import type { Host } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, failureOf, settle } from "./util/background.js"

type Queue = BackgroundTaskQueue.Service
type Unprocessed = BackgroundTaskQueue.Unprocessed

/** Starts a host with `queueLayer` and hands the test the queue itself. */
const startWithQueue = (queueLayer: Layer.Layer<BackgroundTaskQueue, ConfigurationError>, options?: Host.Options) =>
  Effect.gen(function*() {
    const captured: { queue?: Queue } = {}
    const Capture = Layer.effectDiscard(Effect.map(BackgroundTaskQueue, (queue) => void (captured.queue = queue))).pipe(
      Layer.provide(queueLayer)
    )
    const host = yield* TestHost.start([queueLayer, Capture], options)
    yield* host.started
    const queue = captured.queue
    if (queue === undefined) throw new Error("the queue was not built")
    return { host, queue }
  })

/** A gate tasks wait on, with a count of how many are waiting at it right now. */
const makeGate = Effect.map(Deferred.make<void>(), (open) => {
  const state = { waiting: 0, max: 0 }
  const pass = Effect.suspend(() => {
    state.waiting++
    state.max = Math.max(state.max, state.waiting)
    return Deferred.await(open)
  }).pipe(Effect.ensuring(Effect.sync(() => void state.waiting--)))
  return { state, pass, open: Deferred.succeed(open, undefined) }
})

describe("BackgroundTaskQueue", () => {
  it.scoped("workers run tasks concurrently, up to `workers` at once; size counts the waiting ones", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const done: Array<number> = []
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 100, workers: 4 }))
      for (let i = 0; i < 10; i++) yield* queue.enqueue(Effect.zipRight(gate.pass, Effect.sync(() => void done.push(i))))
      yield* settle
      expect(gate.state.waiting).toBe(4)
      expect(yield* queue.size).toBe(6)
      yield* gate.open
      yield* settle
      expect(done.sort((a, b) => a - b)).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(gate.state.max).toBe(4)
      expect(yield* queue.size).toBe(0)
      assertSuccess(yield* host.stop)
    }))

  it.scoped("the tag's static accessors work from a producer service", () =>
    Effect.gen(function*() {
      const done: Array<string> = []
      const QueueLive = BackgroundTaskQueue.layer({ capacity: 10 })
      const Producer = HostedService.make("Producer", {
        start: BackgroundTaskQueue.enqueue(Effect.sync(() => void done.push("from producer")))
      }).pipe(Layer.provide(QueueLive))
      const host = yield* TestHost.start([QueueLive, Producer])
      yield* host.started
      yield* settle
      expect(done).toStrictEqual(["from producer"])
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a failing task is logged with its cause and does not kill its worker", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const done: Array<string> = []
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 10, workers: 1 }))
      yield* queue.enqueue(Effect.fail("typed failure"))
      yield* queue.enqueue(Effect.die(new Error("a defect")))
      yield* queue.enqueue(Effect.sync(() => void done.push("third")))
      yield* settle
      expect(done).toStrictEqual(["third"])
      const errors = logs.lines.filter((l) => l.level === "ERROR")
      expect(errors.map((l) => Cause.pretty(l.cause))).toStrictEqual([
        expect.stringContaining("typed failure"),
        expect.stringContaining("a defect")
      ])
      assertSuccess(yield* host.stop)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("back-pressure: a producer at capacity waits until a worker takes a task", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 2, workers: 1 }))
      yield* queue.enqueue(gate.pass) // taken by the worker at once
      yield* settle
      yield* queue.enqueue(gate.pass)
      yield* queue.enqueue(gate.pass)
      expect(yield* queue.size).toBe(2)
      const blocked = yield* Effect.fork(queue.enqueue(Effect.void))
      yield* settle
      expect(Option.isNone(yield* Fiber.poll(blocked))).toBe(true)
      yield* gate.open
      yield* Fiber.join(blocked)
      yield* settle
      expect(yield* queue.size).toBe(0)
      assertSuccess(yield* host.stop)
    }))

  it.scoped("whenFull: \"fail\" fails fast with TaskQueueFullError", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const { host, queue } = yield* startWithQueue(
        BackgroundTaskQueue.layer({ capacity: 2, workers: 1, whenFull: "fail", name: "Mailer" })
      )
      yield* queue.enqueue(gate.pass)
      yield* settle
      yield* queue.enqueue(gate.pass)
      yield* queue.enqueue(gate.pass)
      const error = yield* Effect.flip(queue.enqueue(Effect.void))
      expect(error).toBeInstanceOf(TaskQueueFullError)
      expect(error.message).toBe("background task queue Mailer is full (capacity 2)")
      yield* gate.open
      assertSuccess(yield* host.stop)
    }))

  it.scoped("enqueue after the stop began fails with TaskQueueStoppedError, also while queued tasks drain", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const done: Array<number> = []
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 10, workers: 1 }))
      for (let i = 0; i < 3; i++) yield* queue.enqueue(Effect.zipRight(gate.pass, Effect.sync(() => void done.push(i))))
      yield* settle
      yield* host.requestStop
      yield* settle
      // Still draining (the first task waits at the gate) ...
      expect(Option.isNone(yield* host.poll)).toBe(true)
      const error = yield* Effect.flip(queue.enqueue(Effect.void))
      expect(error).toBeInstanceOf(TaskQueueStoppedError)
      expect(error._tag).toBe("TaskQueueStoppedError")
      // ... and the queued tasks are completed (drain "complete", the default).
      yield* gate.open
      assertSuccess(yield* host.exit)
      expect(done).toStrictEqual([0, 1, 2])
      expect((yield* Effect.flip(queue.enqueue(Effect.void)))._tag).toBe("TaskQueueStoppedError")
    }))

  it.scoped("a producer waiting for room when the stop begins is released with TaskQueueStoppedError", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 1, workers: 1, drain: "cancel" }))
      yield* queue.enqueue(gate.pass)
      yield* settle
      yield* queue.enqueue(gate.pass)
      const blocked = yield* Effect.fork(queue.enqueue(Effect.void))
      yield* settle
      expect(Option.isNone(yield* Fiber.poll(blocked))).toBe(true)
      assertSuccess(yield* host.stop)
      const exit = yield* Fiber.await(blocked)
      expect(failureOf(exit)).toBeInstanceOf(TaskQueueStoppedError)
    }))

  it.scoped("drain \"cancel\": the running tasks are interrupted, the queued ones left; all go to onUnprocessed", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const gate = yield* makeGate
      const reported: Array<Unprocessed> = []
      const tasks = Array.from({ length: 5 }, () => gate.pass)
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({
        capacity: 10,
        workers: 2,
        drain: "cancel",
        name: "Jobs",
        onUnprocessed: (unprocessed) => Effect.sync(() => void reported.push(...unprocessed))
      }))
      for (const task of tasks) yield* queue.enqueue(task)
      yield* settle
      expect(gate.state.waiting).toBe(2)
      assertSuccess(yield* host.stop)
      expect(reported.map((u) => u.status).sort()).toStrictEqual(["interrupted", "interrupted", "notStarted", "notStarted", "notStarted"])
      // The very task values that were enqueued, each once.
      expect(new Set(reported.map((u) => u.task))).toStrictEqual(new Set(tasks))
      expect(logs.messages("WARN")).toContain("Background task queue Jobs: 5 task(s) not completed (2 interrupted, 3 never started)")
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("drain \"complete\" cut off by the shutdown deadline: the rest is interrupted and reported", () =>
    Effect.gen(function*() {
      const reported: Array<Unprocessed["status"]> = []
      const done: Array<number> = []
      const { host, queue } = yield* startWithQueue(
        BackgroundTaskQueue.layer({
          capacity: 10,
          workers: 1,
          onUnprocessed: (unprocessed) => Effect.sync(() => void reported.push(...unprocessed.map((u) => u.status)))
        }),
        { shutdownTimeout: "25 seconds" }
      )
      for (let i = 0; i < 5; i++) yield* queue.enqueue(Effect.zipRight(Effect.sleep("10 seconds"), Effect.sync(() => void done.push(i))))
      yield* settle
      yield* host.requestStop
      yield* host.advance("25 seconds")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["BackgroundTaskQueue"] })
      yield* settle
      expect(done).toStrictEqual([0, 1])
      expect(reported).toStrictEqual(["interrupted", "notStarted", "notStarted"])
    }))

  it.scoped("tasks enqueued for a queue whose start never ran are reported, not lost", () =>
    Effect.gen(function*() {
      const reported: Array<Unprocessed["status"]> = []
      const QueueLive = BackgroundTaskQueue.layer({
        capacity: 10,
        onUnprocessed: (unprocessed) => Effect.sync(() => void reported.push(...unprocessed.map((u) => u.status)))
      })
      const Broken = HostedService.make("Broken", { start: Effect.fail("cannot start") })
      // Enqueues while the host is being built, before any service has started.
      const EarlyProducer = Layer.effectDiscard(
        Effect.forEach([1, 2, 3], () => BackgroundTaskQueue.enqueue(Effect.void), { discard: true })
      ).pipe(Layer.provide(QueueLive))
      const host = yield* TestHost.start([Broken, QueueLive, EarlyProducer])
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "HostStartError" })
      expect(reported).toStrictEqual(["notStarted", "notStarted", "notStarted"])
    }))

  // Changed on purpose: an invalid capacity or worker count used to be an untyped defect; it is a
  // ConfigurationError of the layer's build now (every invalid option of the queue at once).
  it.effect("capacity and workers must be positive integers: a ConfigurationError naming both", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Layer.build(BackgroundTaskQueue.layer({ capacity: 0, workers: Number.NaN, name: "Emails" })).pipe(Effect.scoped)
      )
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error.issues).toStrictEqual([
        { key: "BackgroundTaskQueue Emails: capacity", message: "must be a positive integer, got 0", source: { _tag: "Code" } },
        { key: "BackgroundTaskQueue Emails: workers", message: "must be a positive integer, got NaN", source: { _tag: "Code" } }
      ])
      for (const [capacity, workers] of [[-1, 1], [1.5, 1], [Infinity, 1], [1, 0], [1, -3]] as const) {
        const exit = yield* Effect.exit(Layer.build(BackgroundTaskQueue.layer({ capacity, workers })).pipe(Effect.scoped))
        expect(failureOf(exit)).toBeInstanceOf(ConfigurationError)
      }
    }))
})

describe("BackgroundTaskQueue: 100,000 tasks from concurrent producers, stop in the middle", () => {
  const total = 100_000
  const producers = 10
  const stopAfter = 30_000

  const scenario = (drain: "complete" | "cancel") =>
    Effect.gen(function*() {
      const completed: Array<number> = []
      const reported: Array<number> = []
      const enqueued: Array<number> = []
      const refused: Array<number> = []
      const taskIds = new WeakMap<BackgroundTaskQueue.Task, number>()
      const stopAt = yield* Deferred.make<void>()

      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({
        capacity: 1_000,
        workers: 4,
        drain,
        onUnprocessed: (tasks) =>
          Effect.sync(() => {
            for (const { task } of tasks) reported.push(taskIds.get(task) ?? -1)
          })
      }))

      const task = (id: number): BackgroundTaskQueue.Task => {
        // Every 7th task yields half-way, so "cancel" finds some of them mid-run.
        const body = Effect.sync(() => {
          completed.push(id)
          if (completed.length === stopAfter) Deferred.unsafeDone(stopAt, Effect.void)
        })
        const t = id % 7 === 0 ? Effect.zipRight(Effect.yieldNow(), body) : body
        taskIds.set(t, id)
        return t
      }

      const produce = (p: number) =>
        Effect.forEach(
          Array.from({ length: total / producers }, (_, i) => p + i * producers),
          (id) =>
            Effect.map(Effect.either(queue.enqueue(task(id))), (result) => {
              if (Either.isRight(result)) enqueued.push(id)
              else refused.push(id)
            }),
          { discard: true }
        )

      const producing = yield* Effect.fork(Effect.forEach(Array.from({ length: producers }, (_, p) => p), produce, {
        concurrency: "unbounded",
        discard: true
      }))
      yield* Deferred.await(stopAt)
      assertSuccess(yield* host.stop)
      yield* Fiber.join(producing)

      expect(enqueued.length + refused.length).toBe(total)
      // The stop came in the middle: some were refused, some completed.
      expect(refused.length).toBeGreaterThan(0)
      expect(completed.length).toBeGreaterThanOrEqual(stopAfter)
      // None twice, none lost.
      expect(new Set(completed).size).toBe(completed.length)
      expect(new Set(reported).size).toBe(reported.length)
      const all = new Set([...completed, ...reported])
      expect(all.size).toBe(completed.length + reported.length)
      expect(completed.length + reported.length).toBe(enqueued.length)
      expect([...all].sort((a, b) => a - b)).toStrictEqual([...enqueued].sort((a, b) => a - b))
      return { completed: completed.length, reported: reported.length, refused: refused.length }
    })

  it.scoped("drain \"cancel\": completed + reported-not-completed = enqueued", () =>
    Effect.gen(function*() {
      const result = yield* scenario("cancel")
      expect(result.reported).toBeGreaterThan(0)
    }), 20_000)

  it.scoped("drain \"complete\": every enqueued task completes", () =>
    Effect.gen(function*() {
      const result = yield* scenario("complete")
      expect(result.reported).toBe(0)
    }), 20_000)
})
