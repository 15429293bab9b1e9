/**
 * A queue of background tasks worked off by a fixed number of workers (the "queued background
 * tasks" of the .NET hosted-services docs), done so that queued work is never lost silently:
 * producers feel back-pressure, the workers are a hosted service, the stop either completes the
 * queued tasks within the shutdown budget or cancels them, and every task that was not completed
 * is logged and handed to `onUnprocessed`. At any time after the stop,
 * completed + reported-not-completed = enqueued; also at the shutdown deadline, where the
 * accounting, the warning and `onUnprocessed` all run within the host's finalization grace,
 * before `Host.launch` returns.
 *
 * Metrics (tagged with the queue's name as `service`): `HostMetrics.queueDepth`,
 * `queueInFlight`, `queueEnqueued`, `queueStarted`, `queueCompleted`, `queueFailed`,
 * `queueUnprocessed` and `queueWait`, kept so that enqueued = depth + in flight + completed +
 * unprocessed. They cost a no-op task two boolean checks: derived from the queue's own
 * bookkeeping, published once per batch of fiber work.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { ConfigurationError } from "./ConfigurationError.js"
import * as internal from "./internal/background/taskQueue.js"

/**
 * `enqueue` was called after the queue's stop began.
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskQueueStoppedError: typeof internal.TaskQueueStoppedError = internal.TaskQueueStoppedError

/**
 * @since 0.1.0
 * @category errors
 */
export type TaskQueueStoppedError = internal.TaskQueueStoppedError

/**
 * The queue was full and it was configured with `whenFull: "fail"`.
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskQueueFullError: typeof internal.TaskQueueFullError = internal.TaskQueueFullError

/**
 * @since 0.1.0
 * @category errors
 */
export type TaskQueueFullError = internal.TaskQueueFullError

/**
 * A task, requiring `R` (what the queue's `perTask` layer provides).
 *
 * @since 0.1.0
 * @category models
 */
export type Task<R = never> = Effect.Effect<unknown, unknown, R>

/**
 * The queue as seen by producers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service<R = never> {
  /**
   * Adds a task. When the queue is full it waits for room (`whenFull: "wait"`, the default) or
   * fails with `TaskQueueFullError` (`whenFull: "fail"`). Waiting producers are let in in the
   * order they came, once the queue has room for a batch (an eighth of `capacity`, at most 64
   * tasks), so that a full queue does not wake its producer for every task it takes; the queue
   * never holds more than `capacity` tasks. Once the queue's own stop has begun it fails with
   * `TaskQueueStoppedError`: services stop in reverse order, so a producer listed after the queue
   * stops first and may still enqueue from its stop hooks. An `enqueue` that succeeded guarantees
   * the task will be completed or reported to `onUnprocessed`, never both and never neither; one
   * interrupted while it waited for room did not add its task, unless the room was given to it
   * in the same moment as the interruption (the queue adds a waiting producer's task as it lets
   * it in): then the task was added and is completed or reported like any other, although the
   * `enqueue` ended interrupted. A caller that retries an interrupted `enqueue` should make the
   * task idempotent.
   */
  readonly enqueue: (task: Task<R>) => Effect.Effect<void, TaskQueueFullError | TaskQueueStoppedError>
  /** Tasks waiting for a worker (not counting those being processed). */
  readonly size: Effect.Effect<number>
  readonly capacity: number
}

/**
 * A task that was not completed, with what happened to it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unprocessed<R = never> {
  readonly task: Task<R>
  /**
   * - `"notStarted"`: still queued when the queue closed;
   * - `"interrupted"`: it was running, the queue interrupted it and it ended;
   * - `"abandoned"`: it was running and still had not ended when the grace after the shutdown
   *   deadline ran out (it ignores interruption). It may still end later; the queue does not count
   *   it again (a warning is logged if it does).
   */
  readonly status: "notStarted" | "interrupted" | "abandoned"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never, ROut = never, E = never, RIn = never> {
  /**
   * How many tasks may wait (a positive integer). An invalid value fails the layer's build with
   * a `ConfigurationError` (issue `BackgroundTaskQueue <name>: capacity`), reported by the host
   * with every other invalid option before any service starts.
   */
  readonly capacity: number
  /** How many tasks run at once (a positive integer, checked like `capacity`). Defaults to 1. */
  readonly workers?: number | undefined
  /** The hosted service's name (in logs, spans and host errors). Defaults to the tag's name. */
  readonly name?: string | undefined
  /** What `enqueue` does when the queue is full: `"wait"` (default) for room, or `"fail"` at once. */
  readonly whenFull?: "wait" | "fail" | undefined
  /**
   * At stop: `"complete"` (default) works off the queued tasks within the shutdown budget;
   * `"cancel"` interrupts the running tasks and leaves the queued ones. Either way, what was not
   * completed goes to `onUnprocessed`. At the shutdown deadline (or when the host never reached
   * the queue's stop) the queued tasks are `notStarted` at once, the running ones are interrupted
   * and given 0.2 s (real time) to end, and the report follows, all before `Host.launch` returns.
   */
  readonly drain?: "complete" | "cancel" | undefined
  /** A layer built fresh for every task and released when the task ends (success, failure or interruption). */
  readonly perTask?: Layer.Layer<ROut, E, RIn> | undefined
  /**
   * A span (`BackgroundTaskQueue.task`) around every task, a child of the span current where the
   * task was enqueued (the request that asked for the work), or a trace of its own when there was
   * none; attributes `effect_host.service` (the queue's name) and `effect_host.outcome`. Default:
   * only when a tracer is installed (the program's fibers have a tracer other than Effect's
   * default), since without one a span per task costs time and tells no one anything.
   */
  readonly taskSpans?: boolean | undefined
  /**
   * Receives every task that was not completed, once, when the queue stops (or, at the shutdown
   * deadline, within the grace that follows it, before `Host.launch` returns). Without it they are
   * only logged. A failure of the handler is logged with its cause; after the deadline it gets
   * 0.2 s (real time), then it is interrupted and that is logged.
   *
   * A task counts by its exit, as the worker sees it. One the stop interrupts while it is inside
   * an uninterruptible region ends interrupted when the region ends, even if its body ran to its
   * end (Effect discards the region's value once an interruption is pending), so it is reported
   * `"interrupted"`: a handler that enqueues the tasks again for the next start may run such a
   * task twice. Make such tasks idempotent, or let them record their own completion.
   */
  readonly onUnprocessed?: ((tasks: ReadonlyArray<Unprocessed<R>>) => Effect.Effect<unknown, unknown>) | undefined
}

/**
 * A queue tag class: the tag, its `layer`, and accessors like `Effect.Tag`'s.
 *
 * @since 0.1.0
 * @category models
 */
export interface TagClass<Self, Id extends string, R> extends Context.TagClass<Self, Id, Service<R>> {
  /**
   * Provides the queue and registers its workers as a hosted service. Tasks may require `R`, so
   * `perTask` must provide it.
   */
  readonly layer: <ROut = never, E = never, RIn = never>(
    options: Options<R, ROut, E, RIn> & ([Exclude<R, ROut>] extends [never] ? unknown : { readonly perTask: MissingPerTask<Exclude<R, ROut>> })
  ) => Layer.Layer<Self, ConfigurationError, RIn>
  /** `enqueue` on the queue in the context. */
  readonly enqueue: (task: Task<R>) => Effect.Effect<void, TaskQueueFullError | TaskQueueStoppedError, Self>
  /** `size` of the queue in the context. */
  readonly size: Effect.Effect<number, never, Self>
}

/**
 * Shown by the compiler when tasks need services that `perTask` does not provide.
 *
 * @since 0.1.0
 * @category models
 */
export interface MissingPerTask<R> {
  readonly "perTask must provide what the tasks require": R
}

/**
 * Creates a queue tag whose tasks may require `R`, provided per task by the layer's `perTask`.
 * Use it for a second queue, or for tasks that need a per-task service (a transaction, a
 * request-scoped client).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { BackgroundTaskQueue } from "effect-host"
 * import { Context, Effect, Layer } from "effect"
 *
 * class Tx extends Context.Tag("Tx")<Tx, { readonly commit: Effect.Effect<void> }>() {}
 * const TxLive = Layer.scoped(Tx, Effect.acquireRelease(
 *   Effect.succeed({ commit: Effect.log("commit") }),
 *   () => Effect.log("tx closed")
 * ))
 *
 * class Emails extends BackgroundTaskQueue.Tag("app/Emails")<Emails, Tx>() {}
 *
 * const EmailsLive = Emails.layer({ capacity: 1000, workers: 4, perTask: TxLive })
 * const send = Emails.enqueue(Effect.flatMap(Tx, (tx) => tx.commit))
 * ```
 */
export const Tag: <const Id extends string>(id: Id) => <Self, R = never>() => TagClass<Self, Id, R> = internal.Tag

/**
 * The application's background task queue: a `Context.Tag` for producers, and a `layer` that
 * runs the workers as a hosted service (give it to `Host.make`/`Host.launch` like any service).
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { BackgroundTaskQueue, Host } from "effect-host"
 * import { Effect } from "effect"
 *
 * const Queue = BackgroundTaskQueue.layer({
 *   capacity: 100,
 *   workers: 4,
 *   onUnprocessed: (tasks) => Effect.log(`${tasks.length} task(s) left for the next start`)
 * })
 *
 * const Producer = BackgroundTaskQueue.enqueue(Effect.log("sending an email"))
 *
 * Host.launch([Queue])
 * ```
 */
export class BackgroundTaskQueue extends Tag("effect-host/BackgroundTaskQueue")<BackgroundTaskQueue>() {
  /** Creates another queue tag; see {@link Tag}. */
  static readonly Tag = Tag
  static readonly StoppedError = TaskQueueStoppedError
  static readonly FullError = TaskQueueFullError
}

type Service_<R> = Service<R>
type Options_<R, ROut, E, RIn> = Options<R, ROut, E, RIn>
type Task_<R> = Task<R>
type Unprocessed_<R> = Unprocessed<R>

/**
 * The queue's types, reachable from the class: `BackgroundTaskQueue.Unprocessed`, ...
 *
 * @since 0.1.0
 */
export declare namespace BackgroundTaskQueue {
  /** @since 0.1.0 */
  export type Service<R = never> = Service_<R>
  /** @since 0.1.0 */
  export type Options<R = never, ROut = never, E = never, RIn = never> = Options_<R, ROut, E, RIn>
  /** @since 0.1.0 */
  export type Task<R = never> = Task_<R>
  /** @since 0.1.0 */
  export type Unprocessed<R = never> = Unprocessed_<R>
}
