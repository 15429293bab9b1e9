/**
 * The machinery behind `ClusterScheduledService.make`: a scheduled job that runs once per slot
 * across every runner of a cluster.
 *
 * Cron (a cron string or `Cron`): the host's own variant of `@effect/cluster`'s `ClusterCron`.
 * Each slot is one durable message to an entity instance whose id is the slot's time (so a slot
 * is stored once: its message id is unique), delivered at the slot's time (`DeliverAt`) to the
 * runner owning its shard. That runner runs the job, handing it the slot's time, then sends the
 * next slot's message. A singleton starts the chain (and restarts it when it moves). What the
 * upstream version does not: the slot reaches the job; overlap, missed slots, `perRun`, stats,
 * metrics and logs follow the local `ScheduledService`.
 *
 * - Once per slot; a slot runs twice only when its runner died (or left past
 *   `entityTerminationTimeout`) during the run: the message had no reply, so it is delivered
 *   again after fail-over (at-least-once).
 * - Overlap: `"skip"` (default) schedules the first slot after the run's length, counted from
 *   its slot's time but never from earlier than a poll interval before the run ended (slots a
 *   long run covered are skipped and counted; a late pick-up by the storage poll skips none; the
 *   schedule never falls more than a poll interval behind); `"queue"` schedules the slot after the one that
 *   ran, even if it is past (no slot lost, runs back to back); `"allow"` schedules the next slot
 *   before the run starts (runs may overlap, on different runners).
 * - Missed slots: a slot that starts more than `missedAfter` after it was due (no runner owned
 *   it: fail-over, the whole cluster down) is `"catchUpOnce"` (default): run once, late, with its
 *   own slot time, the slots between skipped; or `"skip"`: not run. Either way the schedule goes
 *   on from the next slot after now.
 *
 * Schedule (an Effect `Schedule`): a `Singleton` that runs the local `ScheduledService` (its tick
 * loop, overlap, perRun, stats, metrics and logs as they are) on exactly one runner. Not durable:
 * after a hand-over the schedule starts again on the new runner; the gap is the fail-over time
 * (about 1 s graceful, about 10 s after a crash).
 *
 * @internal
 */
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as DeliverAt from "@effect/cluster/DeliverAt"
import * as Entity from "@effect/cluster/Entity"
import * as Singleton from "@effect/cluster/Singleton"
import * as Rpc from "@effect/rpc/Rpc"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Cron from "effect/Cron"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as PrimaryKey from "effect/PrimaryKey"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type {
  ClusterScheduledService,
  MissedSlots,
  Options,
  TypeId as TypeIdType
} from "../../ClusterScheduledService.js"
import type { HostCluster } from "../../HostCluster.js"
import type { Overlap, ScheduledService, Stats } from "../../ScheduledService.js"
import { withFreshLayer } from "../background/fibers.js"
import { ConfigurationError, issue } from "../background/options.js"
import * as Local from "../background/scheduledService.js"
import * as HostOptions from "../config/hostOptions.js"
import { currentHostContext, type HostContext, type ServiceDefinition } from "../hostContext.js"
import { isTracing, spanIf } from "../tracing.js"
import { HostClusterTag } from "./hostCluster.js"
import { isRetryable } from "./retry.js"

export const TypeId: TypeIdType = Symbol.for("effect-host/ClusterScheduledService") as TypeIdType

export const isClusterScheduledService = (u: unknown): u is ClusterScheduledService<unknown, unknown> =>
  Predicate.hasProperty(u, TypeId)

/** The entity (and singleton) name of a job. */
export const entityType = (name: string) => `effect-host/ClusterScheduledService/${name}`

/**
 * One slot's message: the slot's time, and when it was sent (a slot sent late, by a run that
 * ended after it, is due when it was sent). One message per slot: the primary key is empty and
 * the entity id is the slot's time, so a second send of a slot is a no-op.
 */
export class SlotPayload extends Schema.Class<SlotPayload>("effect-host/ClusterScheduledService/Slot")({
  slot: Schema.DateTimeUtc,
  scheduledAt: Schema.DateTimeUtc
}) {
  [PrimaryKey.symbol](): string {
    return ""
  }
  [DeliverAt.symbol](): DateTime.DateTime {
    return this.slot
  }
}

/** How many cron slots lie strictly between `from` and `until` (capped: a count for logs). */
export const slotsBetween = (cron: Cron.Cron, from: DateTime.Utc, until: DateTime.Utc): number => {
  const end = DateTime.toEpochMillis(until)
  let n = 0
  let t = Cron.next(cron, from).getTime()
  while (t < end && n < 100_000) {
    n++
    t = Cron.next(cron, new Date(t)).getTime()
  }
  return n
}

/** The shortest gap between the next few slots (to compare with the storage poll interval). */
export const shortestPeriod = (cron: Cron.Cron, from: Date): Duration.Duration => {
  let previous = Cron.next(cron, from).getTime()
  let shortest = Number.POSITIVE_INFINITY
  for (let i = 0; i < 6; i++) {
    const t = Cron.next(cron, new Date(previous)).getTime()
    shortest = Math.min(shortest, t - previous)
    previous = t
  }
  return Duration.millis(shortest)
}

/** What to do with a slot that was picked up `lateness` after it was due. */
export type Decision =
  | { readonly _tag: "Run"; readonly missed: boolean }
  | { readonly _tag: "Skip" }

export const decide = (lateness: Duration.Duration, missedAfter: Duration.Duration, missed: MissedSlots): Decision => {
  const isMissed = Duration.greaterThan(lateness, missedAfter)
  if (!isMissed) return { _tag: "Run", missed: false }
  return missed === "skip" ? { _tag: "Skip" } : { _tag: "Run", missed: true }
}

/**
 * The slot to schedule after `slot`, whose run started at `startedAt` and ended at `endedAt`
 * (both `now` for a slot that was skipped).
 *
 * - A missed slot: the schedule goes on from the first slot after now.
 * - `"queue"`: the slot after it, even if that is past (runs back to back, none lost).
 * - `"skip"`: the first slot after the run would have ended had it started at its slot's time:
 *   the slots a run of that length covers are skipped, as the local service's ticks during a run
 *   are. It is measured from the slot, not from when the run started, because a slot is picked up
 *   by a storage poll, up to `pollInterval` late: measured from the pick-up, a 10 ms run of a
 *   1 s cron picked up 995 ms late would skip the next slot, which no run was in the way of. But
 *   never from earlier than `pollInterval` before the run ended: slots older than that are
 *   skipped too, so that runs that together take longer than the period (late pick-ups included)
 *   do not fall further behind with every slot.
 */
export const nextSlot = (
  cron: Cron.Cron,
  slot: DateTime.Utc,
  startedAt: DateTime.Utc,
  endedAt: DateTime.Utc,
  overlap: Overlap,
  missed: boolean,
  pollInterval: Duration.Duration
): DateTime.Utc => {
  if (missed) return DateTime.unsafeFromDate(Cron.next(cron, DateTime.max(slot, endedAt)))
  if (overlap === "queue") return DateTime.unsafeFromDate(Cron.next(cron, slot))
  const ranFor = Math.max(0, DateTime.toEpochMillis(endedAt) - DateTime.toEpochMillis(startedAt))
  const from = DateTime.max(DateTime.add(slot, { millis: ranFor }), DateTime.subtractDuration(endedAt, pollInterval))
  return DateTime.unsafeFromDate(Cron.next(cron, from))
}

/** The retries of a send of the next slot: as `ClusterCron`, on and on (a slot must not end the chain). */
const sendRetry = Schedule.exponential(Duration.millis(200), 1.5).pipe(Schedule.union(Schedule.spaced(Duration.minutes(1))))

const formatMs = (ms: number) => `${Math.round(ms)}ms`

export const make = <A, E, R, ROut = never, E2 = never, RIn = never>(
  name: string,
  options: Options<A, E, R, ROut, E2, RIn>
): ClusterScheduledService<ConfigurationError, HostCluster | Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> => {
  type Needs = Exclude<Exclude<R, Scope.Scope>, ROut> | RIn
  const overlap: Overlap = options.overlap ?? "skip"
  const missedPolicy: MissedSlots = options.missed ?? "catchUpOnce"
  const stopOnFailure = options.onFailure === "stop"
  const serviceName = `ClusterScheduledService ${name}`
  let current: { -readonly [K in keyof Stats]: Stats[K] } | undefined
  let localService: ScheduledService<unknown, unknown> | undefined

  const parsed: Either.Either<Cron.Cron | Schedule.Schedule<unknown>, string> = Schedule.isSchedule(options.schedule)
    ? Either.right(options.schedule)
    : Cron.isCron(options.schedule)
    ? Either.right(options.schedule)
    : Either.mapLeft(
      Cron.parse(options.schedule, options.timeZone),
      (error) => `invalid cron expression "${options.schedule}": ${error.message}`
    )

  const layer = Layer.scopedDiscard(Effect.gen(function*() {
    const member = yield* HostClusterTag
    const host = Option.getOrUndefined(yield* FiberRef.get(currentHostContext))
    const context = yield* Effect.context<Needs>()
    const schedule = yield* Either.mapLeft(
      parsed,
      (detail) => new ConfigurationError({ issues: [issue(serviceName, "schedule", detail)] })
    )
    const settings = member.settings
    const workload = Cron.isCron(schedule)
      ? yield* cronWorkload(schedule, context, host, settings.entityMessagePollInterval)
      : yield* scheduleWorkload(schedule, context, host, settings.entityTerminationTimeout)
    yield* Effect.orDie(member.addWorkload({ name: serviceName, layer: workload }))
  }))

  /** The cron variant's workload: the slot entity and the singleton that starts the chain. */
  const cronWorkload = (
    cron: Cron.Cron,
    context: Context.Context<Needs>,
    host: HostContext | undefined,
    pollInterval: Duration.Duration
  ) =>
    Effect.gen(function*() {
      const period = shortestPeriod(cron, new Date(yield* Clock.currentTimeMillis))
      if (Duration.greaterThan(pollInterval, period)) {
        return yield* new ConfigurationError({
          issues: [issue(
            serviceName,
            "schedule",
            `runs every ${Duration.format(period)}, but the cluster polls its storage for due slots only every ` +
              `${Duration.format(pollInterval)} (Cluster:MessagePollSeconds): slots would be skipped; ` +
              "lower the poll interval to at most the shortest period"
          )]
        })
      }
      if (Duration.greaterThan(Duration.times(pollInterval, 2), period)) {
        yield* Effect.logWarning(
          `Scheduled service ${name}: runs every ${Duration.format(period)} and the cluster polls every ` +
            `${Duration.format(pollInterval)}: runs may start up to a poll interval late`
        )
      }
      const missedAfter = options.missedAfter === undefined
        ? Duration.sum(Duration.times(pollInterval, 2), Duration.seconds(1))
        : Duration.decode(options.missedAfter)
      const tracing = yield* isTracing
      const span = spanIf(tracing)
      const stats = { ...Local.emptyStats }
      current = stats
      const runsByOutcome = {
        success: Local.runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", "success")),
        failure: Local.runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", "failure")),
        interrupted: Local.runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", "interrupted"))
      }
      const skippedMetric = Local.skippedTotal.pipe(Metric.tagged("service", name))
      const addSkipped = (n: number) =>
        n <= 0 ? Effect.void : Effect.suspend(() => {
          stats.skipped += n
          return Metric.incrementBy(skippedMetric, n)
        })

      const SlotEntity = Entity.make(entityType(name), [
        Rpc.make("run", { payload: SlotPayload })
          .annotate(ClusterSchema.Persisted, true)
          .annotate(ClusterSchema.Uninterruptible, true)
      ]).annotate(ClusterSchema.ClientTracingEnabled, false)

      /** What a run's end does to the stats (also when the runner's fiber is interrupted). */
      const record = (startedAt: number, exit: Exit.Exit<unknown, unknown>) =>
        Effect.gen(function*() {
          const endedAt = yield* Clock.currentTimeMillis
          stats.running--
          const outcome = Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"
          stats.lastRun = Option.some({ startedAt, endedAt, outcome, exit })
          if (Exit.isSuccess(exit)) stats.succeeded++
          else if (outcome === "interrupted") stats.interrupted++
          else stats.failed++
          yield* Metric.increment(runsByOutcome[outcome])
          if (outcome === "interrupted") {
            yield* Effect.logWarning(
              `Scheduled service ${name}: run interrupted after ${formatMs(endedAt - startedAt)}; the slot stays stored and runs again`
            )
          } else if (Exit.isFailure(exit)) {
            yield* stopOnFailure
              ? Effect.logError(`Scheduled service ${name}: run failed; no more slots scheduled from it (onFailure: "stop")`)
              : Effect.logError(`Scheduled service ${name}: run failed after ${formatMs(endedAt - startedAt)}`, exit.cause)
          }
        })

      /** One run of `slot`, recorded; its exit (an interruption is re-raised by the caller). */
      const runSlot = (slot: DateTime.Utc) =>
        Effect.flatMap(Clock.currentTimeMillis, (startedAt) => {
          stats.runs++
          stats.running++
          return withFreshLayer(options.run(slot), options.perRun).pipe(
            Effect.provide(context),
            span("ClusterScheduledService.run", { "hosted_service.name": name, "cluster.slot": DateTime.formatIso(slot) }),
            Effect.onExit((exit) => record(startedAt, exit)),
            Effect.exit
          )
        })

      return Layer.merge(
        Singleton.make(
          entityType(name),
          Effect.gen(function*() {
            const makeClient = yield* SlotEntity.client
            const now = yield* DateTime.now
            yield* sendSlot(makeClient, DateTime.unsafeFromDate(Cron.next(cron, now)), now)
          }).pipe(Effect.annotateLogs({ service: name }))
        ),
        SlotEntity.toLayer(Effect.gen(function*() {
          const makeClient = yield* SlotEntity.client
          return {
            run: (request) =>
              Effect.gen(function*() {
                const { scheduledAt, slot } = request.payload
                const pickedUp = yield* DateTime.now
                const due = DateTime.max(slot, scheduledAt)
                const lateness = Duration.millis(Math.max(0, DateTime.toEpochMillis(pickedUp) - DateTime.toEpochMillis(due)))
                const decision = decide(lateness, missedAfter, missedPolicy)
                if (decision._tag === "Skip") {
                  const next = nextSlot(cron, slot, pickedUp, pickedUp, overlap, true, pollInterval)
                  yield* Effect.logWarning(
                    `Scheduled service ${name}: slot ${DateTime.formatIso(slot)} was picked up ${Duration.format(lateness)} late ` +
                      `(no runner owned it in time); skipped (missed: "skip"), next slot ${DateTime.formatIso(next)}`
                  )
                  yield* addSkipped(1 + slotsBetween(cron, slot, next))
                  return yield* sendSlot(makeClient, next, pickedUp)
                }
                if (decision.missed) {
                  yield* Effect.logWarning(
                    `Scheduled service ${name}: slot ${DateTime.formatIso(slot)} was picked up ${Duration.format(lateness)} late ` +
                      `(no runner owned it in time); running it once now (missed: "catchUpOnce")`
                  )
                }
                const earlyNext = overlap === "allow" && !decision.missed
                if (earlyNext) yield* sendSlot(makeClient, nextSlot(cron, slot, pickedUp, pickedUp, "queue", false, pollInterval), pickedUp)
                const exit = yield* runSlot(slot)
                // Interrupted (the runner leaves, or its shard moved): no reply is stored, the
                // slot runs again on the shard's next owner.
                if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) return yield* Effect.interrupt
                if (Exit.isFailure(exit) && stopOnFailure) {
                  if (host !== undefined) yield* host.reportBackgroundFailure(name, exit.cause)
                  return
                }
                if (earlyNext) return
                const now = yield* DateTime.now
                const next = nextSlot(cron, slot, pickedUp, now, overlap, decision.missed, pollInterval)
                const skipped = slotsBetween(cron, slot, next)
                if (skipped > 0 && !decision.missed) {
                  yield* Effect.logDebug(`Scheduled service ${name}: ${skipped} slot(s) skipped, the run was still in progress`)
                }
                yield* addSkipped(skipped)
                yield* sendSlot(makeClient, next, now)
              }).pipe(Effect.annotateLogs({ service: name, slot: DateTime.formatIso(request.payload.slot) }))
          }
        }))
      )
    })

  /** Sends `slot`'s message (retrying transient failures on and on: the chain must go on). */
  const sendSlot = (
    makeClient: (entityId: string) => { readonly run: (payload: SlotPayload, options: { readonly discard: true }) => Effect.Effect<void, unknown> },
    slot: DateTime.Utc,
    now: DateTime.Utc
  ) =>
    makeClient(DateTime.formatIso(slot)).run(new SlotPayload({ slot, scheduledAt: now }), { discard: true }).pipe(
      Effect.sandbox,
      Effect.tapError((cause) => Effect.logWarning(`Scheduled service ${name}: could not schedule slot ${DateTime.formatIso(slot)}; retrying`, cause)),
      Effect.retry({ while: isRetryable, schedule: sendRetry }),
      Effect.catchAll((cause) => Effect.logError(`Scheduled service ${name}: could not schedule slot ${DateTime.formatIso(slot)}`, cause))
    )

  /**
   * The Schedule variant's workload: a singleton running the local scheduled service. The local
   * service registers its hooks with a host context of ours, which forwards background failures
   * to the real host; the singleton runs its start hooks, and its stop hooks when it is
   * interrupted (hand-over, leave), those bounded by `entityTerminationTimeout`.
   */
  const scheduleWorkload = (
    schedule: Schedule.Schedule<unknown>,
    context: Context.Context<Needs>,
    host: HostContext | undefined,
    terminationTimeout: Duration.Duration
  ) =>
    Effect.sync(() => {
      const local = Local.make(name, {
        schedule,
        run: Effect.flatMap(DateTime.now, (now) => options.run(now)),
        overlap,
        perRun: options.perRun,
        onFailure: options.onFailure
      })
      localService = local
      current = undefined
      return Singleton.make(
        entityType(name),
        Effect.gen(function*() {
          let definition: ServiceDefinition | undefined
          const proxy: HostContext = {
            options: host?.options ?? HostOptions.defaults,
            register: (d) => {
              definition = d
            },
            reportBackgroundFailure: (service, cause) =>
              host === undefined
                ? Effect.logError(`Scheduled service ${service} failed (no host to report it to)`, cause)
                : host.reportBackgroundFailure(service, cause),
            isStopping: () => host?.isStopping() ?? false,
            onStarted: (_, callback) => Effect.catchAllCause(callback, (cause) => Effect.logError("onStarted failed", cause)),
            onStopping: () => Effect.void
          }
          const scope = yield* Effect.scope
          yield* Layer.buildWithScope(local, scope).pipe(
            Effect.locally(currentHostContext, Option.some(proxy)),
            Effect.orDie
          )
          const hooks = definition?.hooks ?? {}
          const context = definition?.context
          const run = (hook: Effect.Effect<unknown, unknown> | undefined) =>
            hook === undefined ? Effect.void : context === undefined ? hook : Effect.provide(hook, context)
          const stop = Effect.forEach([hooks.stopping, hooks.stop, hooks.stopped], run, { discard: true })
          yield* Effect.addFinalizer(() =>
            stop.pipe(
              Effect.timeout(terminationTimeout),
              Effect.catchAllCause((cause) => Effect.logWarning(`Scheduled service ${name}: stop on hand-over did not complete`, cause))
            )
          )
          yield* Effect.forEach([hooks.starting, hooks.start, hooks.started], run, { discard: true }).pipe(
            Effect.orDie
          )
        }).pipe(Effect.provide(context), Effect.annotateLogs({ service: name }))
      )
    })

  const service: ClusterScheduledService<ConfigurationError, HostCluster | Needs> = Object.create(layer, {
    [TypeId]: { value: TypeId, enumerable: true },
    serviceName: { value: name, enumerable: true },
    stats: {
      value: Effect.suspend((): Effect.Effect<Stats> => {
        if (localService !== undefined) return localService.stats
        return Effect.succeed(current === undefined ? Local.emptyStats : { ...current })
      }),
      enumerable: true
    }
  })
  return service
}
