/**
 * A durable task queue for the runners of a `HostCluster`: tasks are stored before `enqueue`
 * returns, any runner's workers take them, and a task whose runner died on it runs again on
 * another runner.
 *
 * **Delivery: at-least-once.** A task runs until its outcome is stored. A task in progress on a
 * runner that is killed (or that leaves and is cut off at its `entityTerminationTimeout`) runs
 * again elsewhere, so a task can run twice; write `run` so that a second run does no harm (the
 * task's key is the natural idempotency key). Nothing that `enqueue` accepted is lost.
 *
 * **Keys.** Every task has a key (`key: (payload) => string`), which is its message's primary
 * key: enqueueing a key that is stored already is a no-op, for as long as the row is kept
 * (`@effect/cluster` keeps processed messages), so retrying an enqueue is always safe.
 *
 * **Accounting.** As for `BackgroundTaskQueue`, nothing is dropped silently: a task is completed
 * (succeeded, or failed and logged with its cause: a failed task is not retried) or still stored.
 * At a graceful stop the tasks in progress get `Cluster:EntityTerminationTimeoutSeconds` to
 * finish; those that do not are interrupted, stay stored, run again on another runner (or here at
 * the next start), and are listed in the stop's log.
 *
 * **Order.** None across keys; the queue spreads tasks over `lanes` entity instances, each on one
 * runner.
 *
 * @since 0.2.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { ConfigurationError } from "./ConfigurationError.js"
import type { HostCluster } from "./HostCluster.js"
import * as internal from "./internal/cluster/durableQueue.js"
import * as errors from "./internal/cluster/errors.js"

/**
 * @since 0.2.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.2.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * What a running task knows about itself.
 *
 * @since 0.2.0
 * @category models
 */
export interface TaskInfo {
  readonly queue: string
  readonly key: string
  /** The entity instance the task ran in. */
  readonly lane: string
}

/**
 * This process's counts since it started.
 *
 * @since 0.2.0
 * @category models
 */
export interface Stats {
  /** Tasks this process persisted with `enqueue`. */
  readonly enqueued: number
  /** Task runs begun on this runner (a task run again after a crash counts again). */
  readonly started: number
  readonly succeeded: number
  /** Runs that failed (logged with their cause; done with). */
  readonly failed: number
  /** Runs interrupted (the runner left, or a shard moved): those tasks stay stored and run again. */
  readonly interrupted: number
  readonly running: number
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Options<P, I, A, E, R, ROut = never, E2 = never, RIn = never> {
  /** The payload's schema: a task is stored encoded. */
  readonly payload: Schema.Schema<P, I>
  /** The task's key: a task is stored once per key (its idempotency key). */
  readonly key: (payload: P) => string
  /** One run of a task. May use `Scope` (closed when the run ends) and what `perTask` provides. */
  readonly run: (payload: P, task: TaskInfo) => Effect.Effect<A, E, R>
  /** How many tasks run at once on each runner (a positive integer). Default 8. */
  readonly workers?: number | undefined
  /**
   * How many entity instances the tasks are spread over (a positive integer; default 64). The
   * same on every member: a task's lane is its key's hash modulo this, and the key is
   * deduplicated within its lane.
   */
  readonly lanes?: number | undefined
  /** A layer built fresh for every task run and released when it ends. */
  readonly perTask?: Layer.Layer<ROut, E2, RIn> | undefined
  /**
   * How long `enqueue` keeps trying a storage that fails (a busy SQLite file, a lost
   * connection) before it fails with `DurableTaskEnqueueError`. Default 30 seconds.
   */
  readonly enqueueTimeout?: Duration.DurationInput | undefined
  /** A span per task run; default: only when a tracer is installed. */
  readonly taskSpans?: boolean | undefined
}

/**
 * A durable task queue.
 *
 * @since 0.2.0
 * @category models
 */
export interface DurableTaskQueue<P, E = never, R = never> {
  readonly [TypeId]: TypeId
  readonly name: string
  readonly lanes: number
  /**
   * The workers on this runner: give it to `Host.launch` after `HostCluster`. A process that
   * only enqueues (a `HostCluster.layerClient`, an API) leaves it out.
   */
  readonly layer: Layer.Layer<never, E, HostCluster | R>
  /**
   * Persists a task. Returns once it is stored (committed), however often that took retrying;
   * fails with `DurableTaskEnqueueError` otherwise (the storage kept failing until the enqueue
   * timeout, the payload does not encode, or the cluster is not running here). Enqueueing a key
   * that is stored already succeeds and stores nothing.
   */
  readonly enqueue: (payload: P) => Effect.Effect<void, DurableTaskEnqueueError, HostCluster>
  readonly stats: Effect.Effect<Stats>
}

/**
 * `true` for a value made by {@link make}.
 *
 * @since 0.2.0
 * @category refinements
 */
export const isDurableTaskQueue: (u: unknown) => u is DurableTaskQueue<unknown> = internal.isDurableTaskQueue

/**
 * The defaults of the options.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaults: typeof internal.defaults = internal.defaults

/**
 * Tasks persisted by `enqueue`, tagged `queue`.
 *
 * @since 0.2.0
 * @category metrics
 */
export const enqueuedTotal: Metric.Metric.Counter<number> = internal.enqueuedTotal

/**
 * Task runs on this runner, tagged `queue` and `outcome` (`success`, `failure`, `interrupted`).
 *
 * @since 0.2.0
 * @category metrics
 */
export const tasksTotal: Metric.Metric.Counter<number> = internal.tasksTotal

/**
 * A task was not persisted; see `reason` and `cause`. Enqueueing it again is safe.
 *
 * @since 0.2.0
 * @category errors
 */
export const DurableTaskEnqueueError: typeof errors.DurableTaskEnqueueError = errors.DurableTaskEnqueueError

/**
 * @since 0.2.0
 * @category errors
 */
export type DurableTaskEnqueueError = errors.DurableTaskEnqueueError

/**
 * Makes a durable task queue: `queue.layer` runs its workers on a runner, `queue.enqueue`
 * persists a task from any member.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * ```ts
 * import { Host } from "effect-host"
 * import { DurableTaskQueue, HostCluster } from "effect-host/cluster"
 * import { Effect, Schema } from "effect"
 *
 * const Emails = DurableTaskQueue.make("Emails", {
 *   payload: Schema.Struct({ id: Schema.String, to: Schema.String }),
 *   key: (email) => email.id,          // stored once per id; a retry is a no-op
 *   run: (email) => Effect.log(`sending ${email.id} to ${email.to}`),
 *   workers: 4
 * })
 *
 * const signUp = Emails.enqueue({ id: "welcome-42", to: "ada@example.com" })
 *
 * Host.launch([HostCluster.layer(), Emails.layer])
 * ```
 */
export const make: <P, I, A, E, R, ROut = never, E2 = never, RIn = never>(
  name: string,
  options: Options<P, I, A, E, R, ROut, E2, RIn>
) => DurableTaskQueue<P, ConfigurationError, Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> = internal.make
