/**
 * The machinery behind `BackgroundTaskQueue.layer`.
 *
 * Shape: an unbounded `Queue` of entries, a `Semaphore` of `capacity` slots for back-pressure
 * (a producer takes a slot, the worker that dequeues the task gives it back), and `workers`
 * fibers. Workers dequeue with interruption masked, so a task can never be lost between "taken
 * off the queue" and "running": a worker is only interruptible while it runs a task, and it
 * leaves its loop when it dequeues a `Stop` marker (one per worker, offered at stop behind every
 * task already queued). That makes the accounting exact: every accepted task is either completed
 * (success or failure) or recorded as not completed, exactly once.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type { Options, Service, TagClass, Task, Unprocessed } from "../../BackgroundTaskQueue.js"
import type { ConfigurationError } from "../../ConfigurationError.js"
import { register } from "../hostedService.js"
import { detachedFiberSet, withFreshLayer } from "./fibers.js"
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

const Stop: unique symbol = Symbol.for("effect-host/BackgroundTaskQueue/Stop")
type Entry<R> = Task<R> | typeof Stop

export const makeQueue = <R, ROut, E, RIn>(
  name: string,
  options: Options<R, ROut, E, RIn>
): Effect.Effect<
  { readonly service: Service<R>; readonly hostedService: Layer.Layer<never, never, RIn> },
  ConfigurationError
> =>
  Effect.gen(function*() {
    const service_ = `BackgroundTaskQueue ${name}`
    const capacity = options.capacity
    const workerCount = options.workers ?? 1
    // Every invalid option at once, as configuration errors of this service.
    yield* validate([
      ...positiveInteger(service_, "capacity", capacity),
      ...positiveInteger(service_, "workers", workerCount)
    ])
    const failWhenFull = options.whenFull === "fail"
    const cancelAtStop = options.drain === "cancel"

    const queue = yield* Queue.unbounded<Entry<R>>()
    const slots = yield* Effect.makeSemaphore(capacity)
    let accepting = true
    // Set before any worker is interrupted: an interruption seen after this is ours.
    let cancelling = false
    let waiting = 0
    const unprocessed: Array<Unprocessed<R>> = []

    const push = (task: Task<R>) => {
      waiting++
      queue.unsafeOffer(task)
    }

    const enqueue = (task: Task<R>): Effect.Effect<void, TaskQueueFullError | TaskQueueStoppedError> =>
      Effect.suspend((): Effect.Effect<void, TaskQueueFullError | TaskQueueStoppedError> => {
        if (!accepting) return Effect.fail(new TaskQueueStoppedError({ queue: name }))
        if (failWhenFull) {
          if (waiting >= capacity) return Effect.fail(new TaskQueueFullError({ queue: name, capacity }))
          push(task)
          return Effect.void
        }
        return Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(restore(slots.take(1)), () => {
            // The stop wakes every waiting producer by opening all slots; they must not get in.
            if (!accepting) return Effect.fail(new TaskQueueStoppedError({ queue: name }))
            push(task)
            return Effect.void
          })
        )
      })

    const service: Service<R> = { enqueue, size: Effect.sync(() => waiting), capacity }

    const hostedService = register(name, () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<RIn>()
        const workers = yield* detachedFiberSet<void, never>()
        let stopsOffered = false
        let reported = false

        // The guard on `TagClass.layer` makes sure `perTask` provides what tasks require; without
        // `perTask`, `R` is `never` and the task runs as it is (no scope, nothing to provide).
        const perTask = options.perTask
        const provided = perTask === undefined
          ? (task: Task<R>) => task as Effect.Effect<unknown, unknown>
          : (task: Task<R>) => Effect.provide(withFreshLayer(task, perTask), context) as Effect.Effect<unknown, unknown>

        const runTask = (task: Task<R>, restore: <A, E1, R1>(effect: Effect.Effect<A, E1, R1>) => Effect.Effect<A, E1, R1>) =>
          Effect.flatMap(Effect.exit(restore(provided(task))), (exit): Effect.Effect<void> => {
            if (Exit.isSuccess(exit)) return Effect.void
            if (cancelling && Cause.isInterruptedOnly(exit.cause)) {
              unprocessed.push({ task, status: "interrupted" })
              return Effect.void
            }
            // A failed task is done with; it must not take its worker down.
            return Effect.logError(`Background task failed in queue ${name}`, exit.cause)
          })

        const worker = (id: number) =>
          Effect.uninterruptibleMask((restore) => {
            const loop: Effect.Effect<void> = Effect.flatMap(Queue.take(queue), (entry) => {
              if (entry === Stop) return Effect.void
              waiting--
              const next = cancelling
                ? Effect.sync(() => void unprocessed.push({ task: entry, status: "notStarted" }))
                : runTask(entry, restore)
              return failWhenFull
                ? Effect.zipRight(next, loop)
                : Effect.zipRight(Effect.zipRight(slots.release(1), next), loop)
            })
            return loop
          }).pipe(Effect.annotateLogs({ service: name, phase: "task", worker: id }))

        const refuseNewTasks = Effect.suspend(() => {
          accepting = false
          // Wake every producer waiting for a slot; each sees `accepting` and fails.
          return slots.resize(Number.MAX_SAFE_INTEGER)
        })

        const offerStops = Effect.sync(() => {
          if (stopsOffered) return
          stopsOffered = true
          for (let i = 0; i < workerCount; i++) queue.unsafeOffer(Stop)
        })

        // Logs what was not completed and hands it to the user's handler, once.
        const report = Effect.suspend(() => {
          if (reported) return Effect.void
          reported = true
          return Effect.gen(function*() {
            for (const entry of Chunk.toReadonlyArray(yield* Queue.takeAll(queue))) {
              if (entry === Stop) continue
              waiting--
              unprocessed.push({ task: entry, status: "notStarted" })
            }
            if (unprocessed.length === 0) return
            const tasks = unprocessed.splice(0)
            const interrupted = tasks.filter((t) => t.status === "interrupted").length
            yield* Effect.logWarning(
              `Background task queue ${name}: ${tasks.length} task(s) not completed ` +
                `(${interrupted} interrupted, ${tasks.length - interrupted} never started)`
            )
            if (options.onUnprocessed !== undefined) {
              yield* options.onUnprocessed(tasks).pipe(
                Effect.catchAllCause((cause) => Effect.logError(`Background task queue ${name}: onUnprocessed failed`, cause))
              )
            }
          })
        })

        // The shutdown deadline cut the stop short, or the stop never ran: interrupt the tasks
        // in progress, then report, without making the host wait for it.
        const abandon = Effect.suspend(() => {
          if (reported) return Effect.void
          cancelling = true
          return Effect.zipRight(
            Effect.zipRight(refuseNewTasks, offerStops),
            Effect.forkDaemon(Effect.zipRight(FiberSet.clear(workers), report))
          )
        }).pipe(Effect.asVoid)

        yield* Effect.addFinalizer(() => abandon)

        const start = Effect.forEach(
          Array.from({ length: workerCount }, (_, i) => i + 1),
          // `interruptible`: the worker's `restore` must make tasks interruptible whatever
          // region `start` was called from.
          (id) => FiberSet.run(workers, Effect.interruptible(worker(id))),
          { discard: true }
        )

        const stop = Effect.gen(function*() {
          yield* refuseNewTasks
          if (cancelAtStop) cancelling = true
          yield* offerStops
          // With "cancel", interrupt the running tasks; either way, the workers leave their loop
          // at the Stop markers (with "cancel", recording every task still queued before them).
          if (cancelAtStop) yield* FiberSet.clear(workers)
          else yield* FiberSet.awaitEmpty(workers)
          yield* report
        }).pipe(Effect.onInterrupt(() => abandon))

        return { start, stop }
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
