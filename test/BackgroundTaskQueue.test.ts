/**
 * BackgroundTaskQueue (issue 4): workers as a hosted service, back-pressure, refusal after stop,
 * drain "complete" / "cancel", every task either completed or reported (never both, never
 * neither), also with 100,000 tasks from concurrent producers and a stop in the middle.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, DefaultServices, Deferred, Effect, Either, Fiber, Layer, Option, TestClock, Tracer } from "effect"
import { ApplicationLifetime, BackgroundTaskQueue, ConfigurationError, Host, HostedService, TaskQueueFullError, TaskQueueStoppedError } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, countingLayer, failureOf, Resource, settle, startWithQueue } from "./util/background.js"

type Queue = BackgroundTaskQueue.Service
type Unprocessed = BackgroundTaskQueue.Unprocessed

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

  it.scoped("with fewer places than workers (capacity 1, 4 workers) every worker still gets a task", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 1, workers: 4 }))
      // The producer waits for room after the first task; each task it gets in must find an idle
      // worker, not wait for a busy one.
      const producer = yield* Effect.fork(Effect.forEach([0, 1, 2, 3, 4], () => queue.enqueue(gate.pass), { discard: true }))
      yield* settle
      expect(gate.state.waiting).toBe(4)
      expect(yield* queue.size).toBe(1)
      yield* gate.open
      yield* Fiber.join(producer)
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

describe("BackgroundTaskQueue at the shutdown deadline: nothing lost, all accounted for before Host.launch returns", () => {
  const total = 100_000

  // Host.launch itself (not TestHost), so that the counts are read in the fiber that ran it, the
  // moment it returned: nothing else gets to run in between.
  it.scoped("100,000 tasks, 4 workers, drain \"complete\", deadline mid-drain: completed + reported = enqueued when Host.launch returns", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      let completed = 0
      const reported: Array<Unprocessed> = []
      const twoThousand = yield* Deferred.make<void>()
      const QueueLive = BackgroundTaskQueue.layer({
        capacity: total,
        workers: 4,
        drain: "complete",
        onUnprocessed: (tasks) => Effect.sync(() => void reported.push(...tasks))
      })
      const captured = yield* Deferred.make<{ readonly queue: Queue; readonly lifetime: ApplicationLifetime["Type"] }>()
      const Capture = Layer.effectDiscard(Effect.gen(function*() {
        yield* Deferred.succeed(captured, { queue: yield* BackgroundTaskQueue, lifetime: yield* ApplicationLifetime })
      })).pipe(Layer.provide(QueueLive))
      let atReturn: { readonly completed: number; readonly reported: number } | undefined
      const launched = yield* Host.launch([QueueLive, Capture], { shutdownTimeout: "1 second" }).pipe(
        Effect.onExit(() => Effect.sync(() => void (atReturn = { completed, reported: reported.length }))),
        Effect.fork
      )
      const { lifetime, queue } = yield* Deferred.await(captured)
      yield* lifetime.started
      const tasks = Array.from({ length: total }, () =>
        Effect.zipRight(
          Effect.yieldNow(),
          Effect.sync(() => {
            if (++completed === 2_000) Deferred.unsafeDone(twoThousand, Effect.void)
          })
        ))
      for (const task of tasks) yield* queue.enqueue(task)
      yield* Deferred.await(twoThousand)
      yield* lifetime.stopApplication
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(launched)
      expect(failureOf(exit)).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["BackgroundTaskQueue"] })
      // Every task was either completed or reported by the time Host.launch returned.
      expect(atReturn).toBeDefined()
      if (atReturn === undefined) return
      expect(atReturn.completed + atReturn.reported).toBe(total)
      expect(atReturn.reported).toBeGreaterThan(50_000)
      const statuses = new Map<string, number>()
      for (const { status } of reported) statuses.set(status, (statuses.get(status) ?? 0) + 1)
      expect(statuses.get("interrupted") ?? 0).toBeLessThanOrEqual(4)
      expect(statuses.get("abandoned")).toBeUndefined()
      // Each reported task is one of those enqueued, once.
      const enqueued = new Set<BackgroundTaskQueue.Task>(tasks)
      expect(new Set(reported.map((u) => u.task)).size).toBe(reported.length)
      expect(reported.every((u) => enqueued.has(u.task))).toBe(true)
      expect(logs.messages("WARN")).toContainEqual(expect.stringMatching(new RegExp(`: ${atReturn.reported} task\\(s\\) not completed`)))
      // Nothing arrives later.
      yield* settle
      expect({ completed, reported: reported.length }).toStrictEqual(atReturn)
    }).pipe(Effect.provide(logs.layer))
  }, 30_000)

  it.scoped("a task that ignores interruption is reported as abandoned within the grace, and not counted again when it ends", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const reports: Array<ReadonlyArray<Unprocessed["status"]>> = []
      let finished = 0
      const { host, queue } = yield* startWithQueue(
        BackgroundTaskQueue.layer({
          capacity: 10,
          workers: 1,
          onUnprocessed: (tasks) => Effect.sync(() => void reports.push(tasks.map((t) => t.status)))
        }),
        { shutdownTimeout: "1 second" }
      )
      // Sleeps on the TestClock, which nobody advances during the grace.
      yield* queue.enqueue(Effect.uninterruptible(Effect.zipRight(Effect.sleep("1 hour"), Effect.sync(() => void finished++))))
      yield* queue.enqueue(Effect.sync(() => void finished++))
      yield* settle
      yield* host.requestStop
      const before = Date.now()
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
      // Bounded by the grace (0.5 s) plus scheduling, not by the task.
      expect(Date.now() - before).toBeLessThan(2_000)
      expect(reports).toStrictEqual([["abandoned", "notStarted"]])
      expect(logs.messages("WARN")).toContain(
        "Background task queue BackgroundTaskQueue: 2 task(s) not completed (0 interrupted, 1 never started, 1 abandoned still running after a 200ms grace)"
      )
      // The abandoned task ends after all: logged, not reported again, not completed.
      yield* host.advance("1 hour")
      yield* settle
      expect(finished).toBe(1)
      expect(reports).toHaveLength(1)
      expect(logs.messages("WARN")).toContainEqual(expect.stringContaining("a task reported as abandoned at stop has ended after all"))
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("queues the stop never reached are cut off together at the deadline, inside the one grace, not one after the other", () =>
    Effect.gen(function*() {
      const reports: Array<string> = []
      // Each task's interruption handler ends only once all four tasks were interrupted: cut off
      // one queue after the other, each would wait for the next one's cut-off and be abandoned.
      const allInterrupted = yield* Deferred.make<void>()
      let interrupted = 0
      const task = Effect.onInterrupt(Effect.never, () =>
        ++interrupted === 4 ? Deferred.succeed(allInterrupted, undefined) : Deferred.await(allInterrupted))
      const queue = (i: number) => {
        class Q extends BackgroundTaskQueue.Tag(`test/CutOff${i}`)<Q>() {}
        return Q.layer({
          name: `Q${i}`,
          capacity: 10,
          workers: 1,
          onUnprocessed: (tasks) => Effect.sync(() => void reports.push(`Q${i}: ${tasks.map((t) => t.status).join(", ")}`))
        }).pipe(Layer.tap((context) => Effect.forkDaemon(Context.get(context, Q).enqueue(task))))
      }
      // Listed after the queues, so the stop is still in its hook at the deadline and never reaches them.
      const Stuck = HostedService.make("Stuck", { stop: Effect.never })
      const host = yield* TestHost.start([queue(0), queue(1), queue(2), queue(3), Stuck], { shutdownTimeout: "1 second" })
      yield* host.started
      yield* settle
      yield* host.requestStop
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Stuck"] })
      expect(reports.sort()).toStrictEqual(["Q0: interrupted", "Q1: interrupted", "Q2: interrupted", "Q3: interrupted"])
    }))

  it.scoped("an onUnprocessed that hangs after the deadline is interrupted after its grace and logged; the host still returns", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      let handed = 0
      const { host, queue } = yield* startWithQueue(
        BackgroundTaskQueue.layer({
          capacity: 10,
          workers: 1,
          onUnprocessed: (tasks) => Effect.zipRight(Effect.sync(() => void (handed += tasks.length)), Effect.never)
        }),
        { shutdownTimeout: "1 second" }
      )
      for (let i = 0; i < 3; i++) yield* queue.enqueue(Effect.sleep("1 hour"))
      yield* settle
      yield* host.requestStop
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
      expect(handed).toBe(3)
      expect(logs.messages("ERROR")).toContainEqual(expect.stringContaining("onUnprocessed did not finish within 200ms"))
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("the grace also bounds perTask releases: an interrupted task's layer is released before the host returns", () =>
    Effect.gen(function*() {
      const resource = countingLayer()
      class Jobs extends BackgroundTaskQueue.Tag("test/DeadlineJobs")<Jobs, Resource>() {}
      const reported: Array<Unprocessed["status"]> = []
      const JobsLive = Jobs.layer({
        capacity: 10,
        workers: 2,
        perTask: resource.layer,
        onUnprocessed: (tasks) => Effect.sync(() => void reported.push(...tasks.map((t) => t.status)))
      })
      const host = yield* TestHost.start([JobsLive, HostedService.make("Producer", {
        start: Effect.forEach([1, 2, 3], () => Jobs.enqueue(Effect.zipRight(Resource, Effect.sleep("1 hour"))), { discard: true })
      }).pipe(Layer.provide(JobsLive))], { shutdownTimeout: "1 second" })
      yield* host.started
      yield* settle
      expect(resource.counts).toStrictEqual({ acquired: 2, released: 0 })
      yield* host.requestStop
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
      expect(resource.counts).toStrictEqual({ acquired: 2, released: 2 })
      expect(reported).toStrictEqual(["interrupted", "interrupted", "notStarted"])
    }))
})

describe("BackgroundTaskQueue order and back-pressure", () => {
  it.scoped("one worker runs the tasks in the order they were enqueued, also across producers waiting for room", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const order: Array<string> = []
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 16, workers: 1 }))
      const task = (id: string) => Effect.sync(() => void order.push(id))
      yield* queue.enqueue(gate.pass)
      yield* settle
      for (let i = 0; i < 16; i++) yield* queue.enqueue(task(`q${i}`))
      // Three producers wait for room, in this order, each with two tasks.
      const producers = yield* Effect.forEach(["a", "b", "c"], (p) =>
        Effect.tap(Effect.fork(Effect.zipRight(queue.enqueue(task(`${p}1`)), queue.enqueue(task(`${p}2`)))), () => settle))
      expect(yield* queue.size).toBe(16)
      yield* gate.open
      yield* Effect.forEach(producers, Fiber.join, { discard: true })
      yield* settle
      expect(order).toStrictEqual([
        ...Array.from({ length: 16 }, (_, i) => `q${i}`),
        "a1", "b1", "c1", "a2", "b2", "c2"
      ])
      assertSuccess(yield* host.stop)
    }))

  it.scoped("the queue never holds more than its capacity; a full queue lets producers in once it has room for a batch", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      let maxSize = 0
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 64, workers: 1 }))
      const observe = Effect.flatMap(queue.size, (n) => Effect.sync(() => void (maxSize = Math.max(maxSize, n))))
      yield* queue.enqueue(gate.pass)
      yield* settle
      const producer = yield* Effect.fork(Effect.forEach(Array.from({ length: 1_000 }), () => Effect.zipRight(queue.enqueue(observe), observe), {
        discard: true
      }))
      yield* settle
      expect(yield* queue.size).toBe(64)
      yield* gate.open
      yield* Fiber.join(producer)
      yield* settle
      expect(maxSize).toBe(64)
      assertSuccess(yield* host.stop)
    }))
})

describe("BackgroundTaskQueue per-task spans", () => {
  /** A tracer that records the names of the spans it starts (Effect's own tracer does the rest). */
  const recordingTracer = () => {
    const names: Array<string> = []
    const native = Context.get(DefaultServices.liveServices, Tracer.Tracer)
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        names.push(name)
        return native.span(name, parent, context, links, startTime, kind, options)
      },
      context: (f, fiber) => native.context(f, fiber)
    })
    return { names, tracer }
  }

  const runTasks = (options: { readonly taskSpans?: boolean }, tracer?: Tracer.Tracer) =>
    Effect.gen(function*() {
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 10, workers: 2, ...options }))
      for (let i = 0; i < 3; i++) yield* queue.enqueue(Effect.void)
      yield* settle
      assertSuccess(yield* host.stop)
    }).pipe((effect) => (tracer === undefined ? effect : Effect.withTracer(effect, tracer)))

  it.scoped("with a tracer installed, every task gets a BackgroundTaskQueue.task span", () =>
    Effect.gen(function*() {
      const { names, tracer } = recordingTracer()
      yield* runTasks({}, tracer)
      expect(names.filter((n) => n === "BackgroundTaskQueue.task")).toHaveLength(3)
    }))

  it.scoped("without a tracer a task runs in no span of its own; taskSpans: true forces one", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const spanName = Effect.map(Effect.option(Effect.currentSpan), (span) => void seen.push(span._tag === "Some" ? span.value.name : "none"))
      for (const taskSpans of [undefined, true]) {
        const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ capacity: 10, ...(taskSpans ? { taskSpans } : {}) }))
        yield* queue.enqueue(spanName)
        yield* settle
        assertSuccess(yield* host.stop)
      }
      expect(seen[0]).not.toBe("BackgroundTaskQueue.task")
      expect(seen[1]).toBe("BackgroundTaskQueue.task")
    }))

  it.scoped("taskSpans: false turns them off under a tracer; taskSpans: true gives them", () =>
    Effect.gen(function*() {
      const off = recordingTracer()
      yield* runTasks({ taskSpans: false }, off.tracer)
      expect(off.names).not.toContain("BackgroundTaskQueue.task")
      expect(off.names).toContain("HostedService.start")
      const on = recordingTracer()
      // The workers' tracer is the recording one, but the queue decides from the option alone.
      yield* runTasks({ taskSpans: true }, on.tracer)
      expect(on.names.filter((n) => n === "BackgroundTaskQueue.task")).toHaveLength(3)
    }))
})
