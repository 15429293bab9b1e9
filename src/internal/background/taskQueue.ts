/**
 * The machinery behind `BackgroundTaskQueue.layer`.
 *
 * Shape: the queued tasks in a plain array (FIFO, at most `capacity` of them), the producers
 * waiting for room in another, the idle workers in a third, and `workers` fibers that take tasks
 * one at a time with a synchronous read of the array. A fiber suspends only when it must wait: a
 * producer when the queue is full, a worker when it is empty. Room freed by a worker goes at once
 * to the first waiting producer, whose task is added in its name, so the capacity is exact and
 * producers are served in order.
 *
 * Accounting: a task is in exactly one place at a time — queued, in a worker's slot while it
 * runs, or recorded as done with — and every move is a synchronous step, so no interruption can
 * lose one. A task ends completed (success or failure: a failure is logged) or not completed:
 * `notStarted` (still queued when the queue closed), `interrupted` (it was running, the queue
 * interrupted it, it ended) or `abandoned` (interrupted, and still running when the grace ran
 * out; if it ends later it is not counted again). At any time after the stop,
 * completed + reported = accepted.
 *
 * At the shutdown deadline (the stop hook interrupted), when the layer is released without its
 * stop having run, or with `drain: "cancel"`, the queue closes: the queued tasks become
 * `notStarted` at once, the workers are interrupted and awaited at most `taskGrace` (real time),
 * and the report (a warning and `onUnprocessed`, bounded by `reportGrace`) runs before the hook
 * or finalizer returns, so before `Host.launch` returns.
 *
 * Metrics cost the hot path a boolean check per task added and per task taken. A no-op task costs about 1 µs, and on a
 * small VM a metric update costs 10–80 ns and a clock read 60–100 ns: updating the metrics (and
 * reading the time) per task took 10–30 % of the throughput (measured; a histogram of waits
 * alone a fifth: Effect has no bulk observe). So the totals are derived from the queue's own
 * positions (added = the tasks pushed, taken = the tasks past `head`) and the workers' slots,
 * and `QueueMeter` publishes them, moving Effect's metrics by the difference, once per batch of
 * fiber work (the first change after a publish queues it as a microtask). The wait is the area
 * under the depth curve, read at each publish (see `QueueMeter`).
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { Options, Service, TagClass, Task, Unprocessed } from "../../BackgroundTaskQueue.js"
import type { ConfigurationError } from "../../ConfigurationError.js"
import { register } from "../hostedService.js"
import * as Metrics from "../metrics.js"
import { isTracing } from "../tracing.js"
import { awaitWithin, interruptAllWithin, reportGrace, withFreshLayer, taskGrace } from "./fibers.js"
import { once } from "../grace.js"
import { positiveInteger, validate } from "./options.js"

export class TaskQueueStoppedError extends Data.TaggedError("TaskQueueStoppedError")<{
  readonly queue: string
}> {
  override get message() {
    return `background task queue ${this.queue} is stopping and accepts no new tasks`
  }
}

export class TaskQueueFullError extends Data.TaggedError("TaskQueueFullError")<{
  readonly queue: string
  readonly capacity: number
}> {
  override get message() {
    return `background task queue ${this.queue} is full (capacity ${this.capacity})`
  }
}

type Resume<E = never> = (effect: Effect.Effect<void, E>) => void

/** A producer waiting for room, with the task it will add (and, when traced, its span). */
interface Waiting<R> {
  readonly task: Task<R>
  readonly parent: Tracer.AnySpan | undefined
  readonly resume: Resume<TaskQueueStoppedError>
}

/** One worker: its fiber and the task it runs now (`undefined` between tasks). */
interface Worker<R> {
  fiber: Fiber.RuntimeFiber<void> | undefined
  task: Task<R> | undefined
}

/** What `QueueMeter` reads from the queue when it publishes: totals since the queue was made. */
interface Totals {
  readonly added: number
  readonly taken: number
  readonly depth: number
  /** Tasks in a worker's slot now. */
  readonly running: number
  /** Tasks that left a slot without ending: reported as interrupted or abandoned. */
  readonly leftSlot: number
  /** Tasks that ended with a failure (they count as completed too). */
  readonly failed: number
}

/** What `QueueMeter` chains its publishes to (see `changed`). */
const resolved: Promise<void> = Promise.resolve()

/**
 * Publishes a queue's totals to Effect's metrics, at most once per batch of fiber work: the
 * counters move by what changed since the last publish, and so do the gauges (so two queues of
 * one name, in two hosts of one process, add up instead of overwriting each other).
 *
 * The wait (`effect_host_queue_wait_seconds_total`) is the area under the depth curve: at each
 * publish, the depth published last times the time since then, i.e. the seconds every waiting
 * task spent in the queue, counted as they pass (a task still waiting counts too); one clock
 * read per publish while tasks wait (none when no task waited before or waits now), none per
 * task. Its rate over the rate of started tasks is the mean wait
 * (Little's law). The depth changes of one batch count from the end of that batch, which is
 * exact to one batch (well under a millisecond unless a task blocks the thread).
 */
class QueueMeter {
  private readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  private readonly unprocessedLabels: Record<Unprocessed["status"], ReadonlyArray<MetricLabel.MetricLabel>>
  private last: Totals = { added: 0, taken: 0, depth: 0, running: 0, leftSlot: 0, failed: 0 }
  private lastAt: number
  /** A publish is queued. */
  pending = false
  readonly publish: () => void

  constructor(name: string, private readonly clock: Clock.Clock, totals: () => Totals) {
    this.labels = Metrics.labels(["service", name])
    this.unprocessedLabels = {
      notStarted: Metrics.labels(["service", name], ["status", "notStarted"]),
      interrupted: Metrics.labels(["service", name], ["status", "interrupted"]),
      abandoned: Metrics.labels(["service", name], ["status", "abandoned"])
    }
    this.lastAt = clock.unsafeCurrentTimeMillis()
    this.publish = () => this.publishTotals(totals())
    // Every series exists from the start, at 0: a scraper (and `increase()`) sees the first task.
    for (const counter of [Metrics.queueEnqueued, Metrics.queueStarted, Metrics.queueCompleted, Metrics.queueFailed, Metrics.queueWait]) {
      counter.unsafeUpdate(0, this.labels)
    }
    for (const gauge of [Metrics.queueDepth, Metrics.queueInFlight]) gauge.unsafeModify(0, this.labels)
    for (const labels of Object.values(this.unprocessedLabels)) Metrics.queueUnprocessed.unsafeUpdate(0, labels)
  }

  /**
   * Something changed: publish at the end of this batch (call only when `pending` is false). A
   * microtask through a resolved promise, not `queueMicrotask`: Node's wraps every callback in an
   * `AsyncResource`, and a task that yields ends its batch, so that cost (about a tenth of a
   * yielding task's) was paid once per task.
   */
  changed(): void {
    this.pending = true
    void resolved.then(this.publish)
  }

  /** Tasks reported as not completed, by status (counted at once: it happens once, at stop). */
  unprocessed(status: Unprocessed["status"], n: number): void {
    if (n > 0) Metrics.queueUnprocessed.unsafeUpdate(n, this.unprocessedLabels[status])
    if (!this.pending) this.changed()
  }

  private publishTotals(now: Totals): void {
    this.pending = false
    const last = this.last
    const labels = this.labels
    // The wait grows only while tasks wait: with none waiting before or now, no clock read.
    if (last.depth > 0 || now.depth > 0) {
      const at = this.clock.unsafeCurrentTimeMillis()
      if (last.depth > 0 && at > this.lastAt) Metrics.queueWait.unsafeUpdate((last.depth * (at - this.lastAt)) / 1000, labels)
      this.lastAt = at
    }
    // Completed: taken and no longer in a slot, except those that left it without ending.
    const completed = now.taken - now.running - now.leftSlot
    const completedBefore = last.taken - last.running - last.leftSlot
    if (now.added > last.added) Metrics.queueEnqueued.unsafeUpdate(now.added - last.added, labels)
    if (now.taken > last.taken) Metrics.queueStarted.unsafeUpdate(now.taken - last.taken, labels)
    if (completed > completedBefore) Metrics.queueCompleted.unsafeUpdate(completed - completedBefore, labels)
    if (now.failed > last.failed) Metrics.queueFailed.unsafeUpdate(now.failed - last.failed, labels)
    if (now.depth !== last.depth) Metrics.queueDepth.unsafeModify(now.depth - last.depth, labels)
    if (now.running !== last.running) Metrics.queueInFlight.unsafeModify(now.running - last.running, labels)
    this.last = now
  }
}

/** Drops the first occurrence of `item` from `items`. */
const remove = <A>(items: Array<A>, item: A) => {
  const i = items.indexOf(item)
  if (i !== -1) items.splice(i, 1)
}

export const makeQueue = <R, ROut, E, RIn>(
  name: string,
  options: Options<R, ROut, E, RIn>
): Effect.Effect<
  { readonly service: Service<R>; readonly hostedService: Layer.Layer<never, never, RIn> },
  ConfigurationError
> =>
  Effect.gen(function*() {
    const serviceName = `BackgroundTaskQueue ${name}`
    const capacity = options.capacity
    const workerCount = options.workers ?? 1
    // Every invalid option at once, as configuration errors of this service.
    yield* validate([
      ...positiveInteger(serviceName, "capacity", capacity),
      ...positiveInteger(serviceName, "workers", workerCount)
    ])
    const failWhenFull = options.whenFull === "fail"
    // A full queue lets its waiting producers in once it has room for a batch (capacity / 8, at
    // most 64), not at every task taken: admitted one at a time, a producer would wake, add one
    // task, find the queue full and sleep again for every task (measured: 3x the CPU time per
    // task with yielding tasks). A task's start time does not change (FIFO), only the moment its
    // producer's `enqueue` returns: at most that many tasks later.
    const lowWater = capacity - Math.min(64, Math.max(1, Math.floor(capacity / 8)))
    const cancelAtStop = options.drain === "cancel"
    // One span per task only when someone is tracing: without a tracer it would only cost. A
    // task's span is a child of the span that enqueued it (the request that asked for the work),
    // or a trace of its own; never a child of the queue's start hook.
    const traced = options.taskSpans ?? (yield* isTracing)

    // -------------------------------------------------------------------------------------------
    // The queue: tasks `queued[head..]` (when traced, `parents[i]` is the span that enqueued
    // `queued[i]`), producers waiting for room, idle workers, the workers.
    // -------------------------------------------------------------------------------------------
    let queued: Array<Task<R> | undefined> = []
    let parents: Array<Tracer.AnySpan | undefined> = []
    let head = 0
    /** The parent span of the task `take` returned last (when traced). */
    let takenParent: Tracer.AnySpan | undefined
    // Tasks added to, and taken from, the arrays before they were last emptied or compacted:
    // the totals are these plus `queued.length` and `head` (see `totals`).
    let addedBefore = 0
    let takenBefore = 0
    let leftSlot = 0
    let failed = 0
    const workers: Array<Worker<R>> = []
    const producers: Array<Waiting<R>> = []
    const idle: Array<Resume> = []
    /** `enqueue` is refused from the queue's own stop on. */
    let accepting = true
    /** Workers leave when the queue is empty (drain "complete"). */
    let draining = false
    /** The accounting has begun: queued tasks are `notStarted`, interrupted ones are not completed. */
    let closed = false
    // Not completed: the tasks that were running, then those still queued (enqueue order, roughly).
    const unprocessed: Array<Unprocessed<R>> = []
    const neverStarted: Array<Unprocessed<R>> = []

    const size = () => queued.length - head

    const totals = (): Totals => {
      let running = 0
      for (const worker of workers) if (worker.task !== undefined) running++
      return {
        added: addedBefore + queued.length,
        taken: takenBefore + head,
        depth: queued.length - head,
        running,
        leftSlot,
        failed
      }
    }
    const meter = new QueueMeter(name, yield* Effect.clock, totals)

    const add = (task: Task<R>, parent: Tracer.AnySpan | undefined) => {
      queued.push(task)
      if (traced) parents.push(parent)
      if (!meter.pending) meter.changed()
      const worker = idle.pop()
      if (worker !== undefined) worker(Effect.void)
    }

    /**
     * Lets waiting producers in, first come first served, while there is room: each one's task is
     * added in its name, then it is resumed.
     */
    const admitProducers = () => {
      for (let producer = producers.shift(); producer !== undefined; producer = size() < capacity ? producers.shift() : undefined) {
        queued.push(producer.task)
        if (traced) parents.push(producer.parent)
        producer.resume(Effect.void)
        // As `add` does: with fewer places than workers (`capacity` < `workers`), the admitted
        // task would otherwise wait for a busy worker while an idle one sleeps.
        idle.pop()?.(Effect.void)
      }
    }

    /**
     * The next task, or `undefined` when there is none. The room it frees goes to the waiting
     * producers once there is room for a batch (see `lowWater`).
     */
    const take = (): Task<R> | undefined => {
      if (head === queued.length) return undefined
      const task = queued[head]
      if (traced) {
        takenParent = parents[head]
        parents[head] = undefined
      }
      queued[head++] = undefined
      if (head === queued.length) {
        addedBefore += head
        takenBefore += head
        queued.length = 0
        if (traced) parents.length = 0
        head = 0
      } else if (head >= 1024 && head * 2 >= queued.length) {
        addedBefore += head
        takenBefore += head
        queued = queued.slice(head)
        if (traced) parents = parents.slice(head)
        head = 0
      }
      if (producers.length > 0 && size() <= lowWater) admitProducers()
      return task
    }

    const stoppedError = new TaskQueueStoppedError({ queue: name })
    const fullError = new TaskQueueFullError({ queue: name, capacity })

    const offer = (task: Task<R>, parent: Tracer.AnySpan | undefined): Effect.Effect<void, TaskQueueFullError | TaskQueueStoppedError> => {
      if (!accepting) return Effect.fail(stoppedError)
      // Producers already waiting go first (FIFO), even when the queue has room for a few.
      if (size() < capacity && producers.length === 0) {
        add(task, parent)
        return Effect.void
      }
      if (failWhenFull) return Effect.fail(fullError)
      return Effect.async<void, TaskQueueStoppedError>((resume) => {
        const waiting: Waiting<R> = { task, parent, resume }
        producers.push(waiting)
        // Interrupted before room was given to it: its task was not added.
        return Effect.sync(() => remove(producers, waiting))
      })
    }

    // Traced: the span current where `enqueue` runs becomes the task span's parent.
    const enqueue: (task: Task<R>) => Effect.Effect<void, TaskQueueFullError | TaskQueueStoppedError> = traced
      ? (task) =>
        Effect.withFiberRuntime((fiber) =>
          offer(task, Option.getOrUndefined(Context.getOption(fiber.currentContext, Tracer.ParentSpan)))
        )
      : (task) => Effect.suspend(() => offer(task, undefined))

    /** Refuses new tasks and releases the producers waiting for room, whose tasks were not added. */
    const refuseNewTasks = () => {
      accepting = false
      for (const producer of producers.splice(0)) producer.resume(Effect.fail(stoppedError))
    }

    /** The accounting's first step: the queued tasks will never start. */
    const close = () => {
      refuseNewTasks()
      closed = true
      const before = neverStarted.length
      for (let i = head; i < queued.length; i++) {
        const task = queued[i]
        if (task !== undefined) neverStarted.push({ task, status: "notStarted" })
      }
      addedBefore += queued.length
      takenBefore += head
      queued = []
      parents = []
      head = 0
      meter.unprocessed("notStarted", neverStarted.length - before)
    }

    const service: Service<R> = { enqueue, size: Effect.sync(size), capacity }

    const hostedService = register(name, () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<RIn>()
        let report: Fiber.RuntimeFiber<void> | undefined

        // The guard on `TagClass.layer` makes sure `perTask` provides what tasks require; without
        // `perTask`, `R` is `never` and the task runs as it is (no scope, nothing to provide).
        const perTask = options.perTask
        const provided = perTask === undefined
          ? (task: Task<R>) => task as Effect.Effect<unknown, unknown>
          : (task: Task<R>) => Effect.provide(withFreshLayer(task, perTask), context) as Effect.Effect<unknown, unknown>

        // -----------------------------------------------------------------------------------------
        // Workers. A worker is interruptible throughout: taking a task and putting it in its slot
        // is one synchronous step, and the task leaves the slot only when it has ended, so an
        // interruption at any point leaves the task in the slot, where the accounting finds it.
        // -----------------------------------------------------------------------------------------
        const waitForWork = Effect.async<void>((resume) => {
          idle.push(resume)
          return Effect.sync(() => remove(idle, resume))
        })

        const makeWorker = (worker: Worker<R>): Effect.Effect<void> => {
          const run = traced
            ? (task: Task<R>) =>
              provided(task).pipe(
                Effect.onExit((exit) => Effect.annotateCurrentSpan("effect_host.outcome", Metrics.outcome(exit))),
                Effect.withSpan("BackgroundTaskQueue.task", {
                  attributes: { "effect_host.service": name },
                  parent: takenParent,
                  root: takenParent === undefined,
                  captureStackTrace: false
                })
              )
            : provided
          // Straight on to the next task, without another `suspend` step.
          const succeeded = (): Effect.Effect<void> => {
            worker.task = undefined
            return next()
          }
          // Only reached when the task itself failed (an interruption it caused itself included):
          // when the queue interrupts the worker, the worker unwinds without coming here and the
          // task stays in the slot for `collectSlots`. A failed task is done with: it is logged,
          // and must not take its worker down.
          const failedTask = (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
            worker.task = undefined
            failed++
            return Effect.zipRight(Effect.logError(`Background task failed in queue ${name}`, cause), loop)
          }
          const next = (): Effect.Effect<void> => {
            // A task ended, or one is about to be taken: publish at the end of this batch.
            if (!meter.pending) meter.changed()
            if (closed) return Effect.void
            const task = take()
            if (task === undefined) return draining ? Effect.void : Effect.zipRight(waitForWork, loop)
            worker.task = task
            return Effect.matchCauseEffect(run(task), { onFailure: failedTask, onSuccess: succeeded })
          }
          const loop: Effect.Effect<void> = Effect.suspend(next)
          return loop
        }

        const startWorkers = Effect.gen(function*() {
          for (let i = 1; i <= workerCount; i++) {
            const worker: Worker<R> = { fiber: undefined, task: undefined }
            workers.push(worker)
            // `interruptible`: a fork inherits the caller's interruptibility, and the stop must
            // be able to interrupt the workers whatever region `start` was called from.
            worker.fiber = yield* Effect.forkDaemon(
              Effect.interruptible(makeWorker(worker)).pipe(Effect.annotateLogs({ service: name, phase: "task", worker: i }))
            )
          }
        })

        const fibers = () => workers.flatMap((w) => (w.fiber === undefined ? [] : [w.fiber]))

        /**
         * The tasks still in a slot once the workers were interrupted: `interrupted` when their
         * worker has ended (the task ended with it), `abandoned` when it has not.
         */
        const collectSlots = Effect.suspend(() => {
          const late: Array<Fiber.RuntimeFiber<void>> = []
          for (const worker of workers) {
            const task = worker.task
            if (task === undefined) continue
            const status = worker.fiber === undefined || worker.fiber.unsafePoll() !== null ? "interrupted" : "abandoned"
            // Reported now; an abandoned task's worker, interrupted, will not come back to count it.
            worker.task = undefined
            unprocessed.push({ task, status })
            leftSlot++
            meter.unprocessed(status, 1)
            if (status === "abandoned" && worker.fiber !== undefined) late.push(worker.fiber)
          }
          // An abandoned task that ends after all (its worker ends with it) stays reported; say so.
          return Effect.forEach(late, (fiber) =>
            Effect.forkDaemon(Effect.zipRight(
              Fiber.await(fiber),
              Effect.logWarning(
                `Background task queue ${name}: a task reported as abandoned at stop has ended after all; ` +
                  "it stays reported, not completed"
              )
            )), { discard: true })
        })

        // -----------------------------------------------------------------------------------------
        // The report: what was not completed, logged and handed to `onUnprocessed`, once.
        // -----------------------------------------------------------------------------------------
        const reportBody = Effect.suspend(() => {
          const tasks = [...unprocessed.splice(0), ...neverStarted.splice(0)]
          if (tasks.length === 0) return Effect.void
          const count = (status: Unprocessed["status"]) => tasks.filter((t) => t.status === status).length
          const abandoned = count("abandoned")
          const warning = Effect.logWarning(
            `Background task queue ${name}: ${tasks.length} task(s) not completed ` +
              `(${count("interrupted")} interrupted, ${count("notStarted")} never started` +
              (abandoned > 0 ? `, ${abandoned} abandoned still running after a ${Duration.format(taskGrace)} grace` : "") + ")"
          )
          const handler = options.onUnprocessed
          if (handler === undefined) return warning
          return Effect.zipRight(
            warning,
            Effect.catchAllCause(
              Effect.suspend(() => handler(tasks)),
              (cause) => Effect.logError(`Background task queue ${name}: onUnprocessed failed`, cause)
            )
          )
        }).pipe(Effect.annotateLogs({ service: name }))

        /** Starts the report (once) and yields its fiber. */
        const startReport = Effect.suspend(() => {
          if (report !== undefined) return Effect.succeed(report)
          return Effect.map(Effect.forkDaemon(Effect.interruptible(reportBody)), (fiber) => (report = fiber))
        })

        /** Waits for the report, at most `reportGrace` when the deadline has passed. */
        const awaitReport = (bounded: boolean) =>
          Effect.flatMap(startReport, (fiber) => {
            if (!bounded) return Fiber.join(fiber)
            return Effect.flatMap(awaitWithin(Fiber.await(fiber), reportGrace), (ended) =>
              ended
                ? Effect.void
                : Effect.zipRight(
                  Fiber.interruptFork(fiber),
                  Effect.logError(
                    `Background task queue ${name}: onUnprocessed did not finish within ${Duration.format(reportGrace)} ` +
                      "after the shutdown deadline and was interrupted"
                  )
                ))
          })

        /**
         * The shutdown deadline cut the stop short, or the stop never ran: account for every task
         * at once, interrupt the workers and wait for them at most `taskGrace`, then report
         * within `reportGrace`. Bounded, so the host is never kept waiting.
         */
        const abandon = Effect.suspend(() => {
          if (report !== undefined) return awaitReport(true)
          close()
          return Effect.zipRight(interruptAllWithin(fibers(), taskGrace), Effect.zipRight(collectSlots, awaitReport(true)))
        })

        const abandonOnce = yield* once(abandon)
        yield* Effect.addFinalizer(() => abandonOnce)

        const stop = Effect.gen(function*() {
          if (cancelAtStop) {
            // The queued tasks never start, the running ones are interrupted; all are reported.
            close()
            yield* Effect.forEach(fibers(), (fiber) => Fiber.interruptFork(fiber), { discard: true })
          } else {
            // The workers work off the queue, then leave.
            refuseNewTasks()
            draining = true
            for (const worker of idle.splice(0)) worker(Effect.void)
          }
          yield* Fiber.awaitAll(fibers())
          yield* collectSlots
          yield* awaitReport(false)
        }).pipe(Effect.onInterrupt(() => abandonOnce))

        return { hooks: { start: startWorkers, stop }, cutOff: abandonOnce }
      }).pipe(Effect.annotateLogs({ service: name })))

    return { service, hostedService }
  })

/** The tag classes of `BackgroundTaskQueue.Tag`: a `Context.Tag` with `layer` and accessors. */
export const Tag = <const Id extends string>(id: Id) => <Self, R = never>(): TagClass<Self, Id, R> => {
  const defaultName = id.slice(id.lastIndexOf("/") + 1)
  class QueueTag extends Context.Tag(id)<Self, Service<R>>() {
    static layer = <ROut = never, E = never, RIn = never>(
      options: Options<R, ROut, E, RIn>
    ): Layer.Layer<Self, ConfigurationError, RIn> =>
      Layer.unwrapEffect(Effect.map(
        makeQueue<R, ROut, E, RIn>(options.name ?? defaultName, options),
        // A subclass a user declares has the same key, so `QueueTag` finds its service too.
        (queue) => Layer.merge(Layer.succeed(QueueTag as unknown as Context.Tag<Self, Service<R>>, queue.service), queue.hostedService)
      ))
    static enqueue = (task: Task<R>) => Effect.flatMap(QueueTag, (queue) => queue.enqueue(task))
    static size = Effect.flatMap(QueueTag, (queue) => queue.size)
  }
  return QueueTag as unknown as TagClass<Self, Id, R>
}
