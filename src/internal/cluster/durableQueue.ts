/**
 * The machinery behind `DurableTaskQueue.make`: a task queue whose tasks are durable cluster
 * messages.
 *
 * - A task is a payload (a `Schema`, so that it can be stored) and a key. `enqueue` sends it
 *   with `discard`: the message row is committed before `enqueue` returns, then the owner of its
 *   shard is notified. A send whose outcome is unknown (a lost connection, a busy SQLite file, a
 *   runner that died while we wrote to it) is sent again: the key is the message's primary key,
 *   so a task is stored once however often it is enqueued.
 * - Tasks are spread over `lanes` entity instances (`lane-<hash(key) % lanes>`), so over the
 *   shards, so over the runners; a runner runs at most `workers` tasks at once.
 * - A task is done when its reply is stored (success, or a failure that was logged). A task in
 *   progress on a runner that dies has no reply: after fail-over its shard's new owner reads it
 *   from storage and runs it again (at-least-once). At a graceful leave the tasks in progress
 *   get `entityTerminationTimeout` to finish; the rest are interrupted, stay stored and run
 *   again elsewhere, and are listed in the stop's report.
 *
 * @internal
 */
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import type * as Sharding from "@effect/cluster/Sharding"
import * as Rpc from "@effect/rpc/Rpc"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Predicate from "effect/Predicate"
import * as PrimaryKey from "effect/PrimaryKey"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { ConfigurationError } from "../../ConfigurationError.js"
import type { DurableTaskQueue, Options, Stats, TaskInfo, TypeId as TypeIdType } from "../../DurableTaskQueue.js"
import type { HostCluster } from "../../HostCluster.js"
import { withFreshLayer } from "../background/fibers.js"
import { positiveInteger, validate } from "../background/options.js"
import { isTracing, spanIf } from "../tracing.js"
import { DurableTaskEnqueueError } from "./errors.js"
import { HostClusterTag } from "./hostCluster.js"
import { isAlreadyProcessing, isEncodingError, isRetryable } from "./retry.js"

export const TypeId: TypeIdType = Symbol.for("effect-host/DurableTaskQueue") as TypeIdType

export const isDurableTaskQueue = (u: unknown): u is DurableTaskQueue<unknown> => Predicate.hasProperty(u, TypeId)

export const defaults = {
  workers: 8,
  lanes: 64,
  enqueueTimeout: Duration.seconds(30)
} as const

/** The entity type of a queue. */
export const entityType = (name: string) => `effect-host/DurableTaskQueue/${name}`

/** FNV-1a, 32 bits: a stable hash of a task key (the same on every member and release). */
export const hashKey = (key: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The lane (entity id) of a task key. */
export const laneOf = (key: string, lanes: number): string => `lane-${hashKey(key) % lanes}`

export const enqueuedTotal: Metric.Metric.Counter<number> = Metric.counter("effect_host_durable_tasks_enqueued_total", {
  description: "Tasks persisted by DurableTaskQueue.enqueue, by queue",
  incremental: true
})

export const tasksTotal: Metric.Metric.Counter<number> = Metric.counter("effect_host_durable_tasks_total", {
  description: "Durable task runs on this runner, by queue and outcome (success, failure, interrupted)",
  incremental: true
})

const emptyStats: Stats = { enqueued: 0, started: 0, succeeded: 0, failed: 0, interrupted: 0, running: 0 }

/** The retries of an enqueue whose outcome is unknown (bounded by the enqueue timeout). */
const enqueueRetry = Schedule.exponential(Duration.millis(50), 2).pipe(Schedule.union(Schedule.spaced(Duration.seconds(2))))

class EnqueueTimeout extends Schema.TaggedError<EnqueueTimeout>()("EnqueueTimeout", { after: Schema.String }) {
  override get message() {
    return `not persisted within ${this.after}`
  }
}

export const make = <P, I, A, E, R, ROut = never, E2 = never, RIn = never>(
  name: string,
  options: Options<P, I, A, E, R, ROut, E2, RIn>
): DurableTaskQueue<P, ConfigurationError, Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> => {
  type Needs = Exclude<Exclude<R, Scope.Scope>, ROut> | RIn
  const serviceName = `DurableTaskQueue ${name}`
  const workers = options.workers ?? defaults.workers
  const lanes = options.lanes ?? defaults.lanes
  const enqueueTimeout = options.enqueueTimeout === undefined ? defaults.enqueueTimeout : Duration.decode(options.enqueueTimeout)

  /** A stored task: its key (the message's primary key) and its payload. */
  class Task extends Schema.Class<Task>(`effect-host/DurableTaskQueue/${name}/Task`)({
    key: Schema.String,
    payload: options.payload
  }) {
    [PrimaryKey.symbol](): string {
      return this.key
    }
  }

  const TaskEntity = Entity.make(entityType(name), [
    Rpc.make("run", { payload: Task }).annotate(ClusterSchema.Persisted, true)
  ]).annotate(ClusterSchema.ClientTracingEnabled, false)

  const stats = { ...emptyStats }
  const enqueued = enqueuedTotal.pipe(Metric.tagged("queue", name))
  const byOutcome = {
    success: tasksTotal.pipe(Metric.tagged("queue", name), Metric.tagged("outcome", "success")),
    failure: tasksTotal.pipe(Metric.tagged("queue", name), Metric.tagged("outcome", "failure")),
    interrupted: tasksTotal.pipe(Metric.tagged("queue", name), Metric.tagged("outcome", "interrupted"))
  }

  // ---------------------------------------------------------------------------------------------
  // Producers.
  // ---------------------------------------------------------------------------------------------

  type Client = (entityId: string) => {
    readonly run: (task: Task, options: { readonly discard: true }) => Effect.Effect<void, unknown>
  }
  let cached: { readonly sharding: Sharding.Sharding["Type"]; readonly client: Client } | undefined

  const clientOf = (sharding: Sharding.Sharding["Type"]): Effect.Effect<Client> =>
    cached !== undefined && cached.sharding === sharding
      ? Effect.succeed(cached.client)
      : Effect.map(sharding.makeClient(TaskEntity), (client) => {
        cached = { sharding, client }
        return client
      })

  const enqueue = (payload: P): Effect.Effect<void, DurableTaskEnqueueError, HostCluster> =>
    Effect.gen(function*() {
      const key = options.key(payload)
      const fail = (reason: DurableTaskEnqueueError["reason"], cause: Cause.Cause<unknown>) =>
        new DurableTaskEnqueueError({ queue: name, key, reason, cause })
      const member = yield* HostClusterTag
      const sharding = yield* Effect.mapError(member.sharding, (error) => fail("notRunning", Cause.fail(error)))
      const client = yield* clientOf(sharding)
      const send = client(laneOf(key, lanes)).run(new Task({ key, payload }), { discard: true })
      // The last failure, so that a timeout still says what kept failing.
      let last: Cause.Cause<unknown> = Cause.empty
      yield* send.pipe(
        Effect.sandbox,
        // Stored already, and being processed: what the enqueue was for.
        Effect.catchIf(isAlreadyProcessing, () => Effect.void),
        Effect.tapError((cause) => Effect.sync(() => void (last = cause))),
        Effect.retry({ while: isRetryable, schedule: enqueueRetry }),
        Effect.timeoutFail({
          duration: enqueueTimeout,
          onTimeout: (): Cause.Cause<unknown> =>
            Cause.sequential(last, Cause.fail(new EnqueueTimeout({ after: Duration.format(enqueueTimeout) })))
        }),
        Effect.mapError((cause) => {
          const timedOut = Cause.failures(cause).pipe(Chunk.some((e) => e instanceof EnqueueTimeout))
          return fail(timedOut ? "timeout" : isEncodingError(cause) ? "payload" : "storage", cause)
        })
      )
      stats.enqueued++
      yield* Metric.increment(enqueued)
    })

  // ---------------------------------------------------------------------------------------------
  // Workers.
  // ---------------------------------------------------------------------------------------------

  const workersLayer = Layer.unwrapScoped(Effect.gen(function*() {
    yield* validate([
      ...positiveInteger(serviceName, "workers", workers),
      ...positiveInteger(serviceName, "lanes", lanes)
    ])
    const member = yield* HostClusterTag
    const context = yield* Effect.context<Needs>()
    const traced = options.taskSpans ?? (yield* isTracing)
    const span = spanIf(traced)
    const permits = yield* Effect.makeSemaphore(workers)
    /**
     * The keys of the tasks started on this runner and not done with: running now, or
     * interrupted (by the leave, or a shard moving away), which stay stored and run again.
     */
    const inProgress = new Set<string>()

    /** What a run's end does to the counts (also when the runner's fiber is interrupted). */
    const record = (key: string, exit: Exit.Exit<unknown, unknown>) =>
      Effect.suspend(() => {
        stats.running--
        if (Exit.isSuccess(exit)) {
          inProgress.delete(key)
          stats.succeeded++
          return Metric.increment(byOutcome.success)
        }
        if (Cause.isInterruptedOnly(exit.cause)) {
          // No reply is stored: the task stays in storage and runs again. It stays listed, so
          // the leave's report names it (the entity's stop interrupts the tasks before it).
          stats.interrupted++
          return Metric.increment(byOutcome.interrupted)
        }
        inProgress.delete(key)
        stats.failed++
        // Done with, as in the local queue: logged with its cause, not run again.
        return Effect.zipRight(
          Metric.increment(byOutcome.failure),
          Effect.logError(`Durable task ${key} failed in queue ${name}`, exit.cause)
        )
      })

    const runTask = (task: Task, lane: string) =>
      Effect.suspend(() => {
        const info: TaskInfo = { queue: name, key: task.key, lane }
        inProgress.add(task.key)
        stats.started++
        stats.running++
        return withFreshLayer(options.run(task.payload, info), options.perTask).pipe(
          Effect.provide(context),
          span("DurableTaskQueue.task", { "durable_task.queue": name, "durable_task.key": task.key }),
          Effect.onExit((exit) => record(task.key, exit)),
          // A failure was logged by `record` and the task is done with; an interruption goes on
          // up, so that no reply is stored.
          Effect.catchAllCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.interrupt : Effect.void))
        )
      }).pipe(
        permits.withPermits(1),
        Effect.annotateLogs({ service: serviceName, task: task.key })
      )

    const entity = TaskEntity.toLayer(
      Effect.gen(function*() {
        const address = yield* Entity.CurrentAddress
        return { run: (request) => runTask(request.payload, address.entityId) }
      }),
      { concurrency: workers, maxIdleTime: Duration.minutes(5) }
    )

    /** At the leave, after the entity stopped: what this runner did, and what it left stored. */
    const report = Layer.scopedDiscard(Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const left = [...inProgress]
        inProgress.clear()
        const done = `${stats.succeeded + stats.failed} task(s) completed on this runner (${stats.failed} failed)`
        if (left.length === 0) return Effect.logInfo(`Durable task queue ${name}: stopped; ${done}, none left in progress`)
        const shown = left.slice(0, 20).join(", ") + (left.length > 20 ? `, … (${left.length - 20} more)` : "")
        return Effect.logWarning(
          `Durable task queue ${name}: stopped; ${done}; ${left.length} task(s) were still in progress and stay stored: ` +
            `they run again on another runner, or here at the next start (keys: ${shown})`
        )
      }).pipe(Effect.annotateLogs({ service: serviceName }))
    ))

    // The report is built first, so that its finalizer runs after the entity's (which waits for
    // the tasks in progress, up to entityTerminationTimeout).
    const workload = entity.pipe(Layer.provide(report))
    return Layer.effectDiscard(Effect.orDie(member.addWorkload({ name: serviceName, layer: workload })))
  }))

  const value: DurableTaskQueue<P, ConfigurationError, Needs> = {
    [TypeId]: TypeId,
    name,
    lanes,
    layer: workersLayer,
    enqueue,
    stats: Effect.sync((): Stats => ({ ...stats }))
  }
  return value
}
