/**
 * The machinery behind `ScheduledService.make`: the tick loop (the schedule stepped by hand, so
 * an early timer wake-up never runs a slot twice), the overlap policies, runs with a fresh
 * `perRun` layer each, the stats and the metrics.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Cron from "effect/Cron"
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import type { Options, Overlap, ScheduledService, Stats, TypeId as TypeIdType } from "../../ScheduledService.js"
import { register } from "../hostedService.js"
import { detachedFiberSet, interruptAllWithin, releaseGrace, withFreshLayer } from "./fibers.js"
import { ConfigurationError, issue } from "./options.js"

export const TypeId: TypeIdType = Symbol.for("effect-host/ScheduledService") as TypeIdType

export const isScheduledService = (u: unknown): u is ScheduledService<unknown, unknown> => Predicate.hasProperty(u, TypeId)

export class InvalidScheduleError extends Data.TaggedError("InvalidScheduleError")<{
  readonly service: string
  readonly expression: string
  readonly timeZone: string | undefined
  readonly reason: string
  readonly input: string | undefined
}> {
  /** What is wrong, without the service's name: the message of the configuration issue. */
  get detail(): string {
    return `invalid cron expression "${this.expression}"` +
      (this.timeZone === undefined ? "" : ` (time zone "${this.timeZone}")`) +
      `: ${this.reason}` +
      (this.input === undefined || this.input === this.expression ? "" : ` (at "${this.input}")`)
  }

  override get message() {
    return `scheduled service ${this.service}: ${this.detail}`
  }
}

export const runsTotal: Metric.Metric.Counter<number> = Metric.counter("effect_host_scheduled_runs_total", {
  description: "Runs of scheduled services, by service and outcome",
  incremental: true
})

export const skippedTotal: Metric.Metric.Counter<number> = Metric.counter("effect_host_scheduled_skipped_total", {
  description: "Ticks of scheduled services skipped because a run was in progress, or dropped at stop",
  incremental: true
})

const emptyStats: Stats = {
  runs: 0,
  succeeded: 0,
  failed: 0,
  interrupted: 0,
  skipped: 0,
  running: 0,
  lastRun: Option.none()
}

const describeTimeZone = (timeZone: DateTime.TimeZone | string | undefined): string | undefined =>
  timeZone === undefined ? undefined : typeof timeZone === "string" ? timeZone : String(timeZone)

const toSchedule = (
  name: string,
  schedule: Schedule.Schedule<unknown> | Cron.Cron | string,
  timeZone: DateTime.TimeZone | string | undefined
): Either.Either<Schedule.Schedule<unknown>, InvalidScheduleError> => {
  if (Schedule.isSchedule(schedule)) return Either.right(schedule)
  if (Cron.isCron(schedule)) return Either.right(Schedule.cron(schedule))
  return Cron.parse(schedule, timeZone).pipe(
    Either.map((cron) => Schedule.cron(cron)),
    Either.mapLeft((error) =>
      new InvalidScheduleError({
        service: name,
        expression: schedule,
        timeZone: describeTimeZone(timeZone),
        reason: error.message,
        input: error.input
      })
    )
  )
}

export const make = <A, E, R, ROut = never, E2 = never, RIn = never>(
  name: string,
  options: Options<A, E, R, ROut, E2, RIn>
): ScheduledService<ConfigurationError, Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> => {
  type Needs = Exclude<Exclude<R, Scope.Scope>, ROut> | RIn
  const overlap: Overlap = options.overlap ?? "skip"
  const stopOnFailure = options.onFailure === "stop"
  // Parsed once, here; a bad cron string fails the layer's build, not a later tick.
  const parsed = toSchedule(name, options.schedule, options.timeZone)
  const runsByOutcome = {
    success: runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", "success")),
    failure: runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", "failure")),
    interrupted: runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", "interrupted"))
  }
  const skipped = skippedTotal.pipe(Metric.tagged("service", name))
  let current: { -readonly [K in keyof Stats]: Stats[K] } | undefined

  const layer = register(name, (host) =>
    Effect.gen(function*() {
      // A bad cron string is invalid configuration: reported by the host with every other
      // invalid option, before any service starts.
      const schedule = yield* Either.mapLeft(
        parsed,
        (error) => new ConfigurationError({ issues: [issue(`ScheduledService ${name}`, "schedule", error.detail)] })
      )
      const context = yield* Effect.context<Needs>()
      const runs = yield* detachedFiberSet<void, never>()
      const stats = { ...emptyStats }
      current = stats
      let ticker: Fiber.RuntimeFiber<void> | undefined
      let stopping = false
      // Ticks waiting for the run in progress (overlap "queue").
      let queued = 0

      const addSkipped = (n: number) =>
        Effect.suspend(() => {
          stats.skipped += n
          return Metric.incrementBy(skipped, n)
        })

      const record = (startedAt: number, exit: Exit.Exit<unknown, unknown>) =>
        Effect.gen(function*() {
          const endedAt = yield* Clock.currentTimeMillis
          stats.running--
          const outcome = Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"
          stats.lastRun = Option.some({ startedAt, endedAt, outcome, exit })
          yield* Metric.increment(runsByOutcome[outcome])
          if (outcome === "success") {
            stats.succeeded++
          } else if (outcome === "interrupted") {
            stats.interrupted++
            yield* Effect.logWarning(`Scheduled service ${name}: run interrupted after ${endedAt - startedAt}ms`)
          } else if (Exit.isFailure(exit)) {
            stats.failed++
            if (stopOnFailure && !stopping) {
              // The host logs the failure with its cause; we only stop scheduling.
              yield* Effect.logError(`Scheduled service ${name}: run failed; no more runs (onFailure: "stop")`)
              stopping = true
              queued = 0
              if (ticker !== undefined) yield* Fiber.interruptFork(ticker)
              yield* host.reportBackgroundFailure(name, exit.cause)
            } else {
              yield* Effect.logError(`Scheduled service ${name}: run failed after ${endedAt - startedAt}ms`, exit.cause)
            }
          }
        })

      // Built once: running it builds `perRun` afresh and opens a new span every time.
      const body = withFreshLayer(options.run, options.perRun).pipe(
        Effect.provide(context),
        Effect.withSpan("ScheduledService.run", { attributes: { "hosted_service.name": name }, captureStackTrace: false })
      )

      const runOnce: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (startedAt) => {
        stats.runs++
        stats.running++
        return body.pipe(
          Effect.onExit((exit) => record(startedAt, exit)),
          // Already logged (or reported) by `record`.
          Effect.catchAllCause(() => Effect.void)
        )
      })

      // One fiber per run; with "queue" the fiber goes on with the queued ticks.
      const runLoop: Effect.Effect<void> = Effect.zipRight(
        runOnce,
        Effect.suspend(() => {
          if (queued > 0 && !stopping) {
            queued--
            return runLoop
          }
          return Effect.void
        })
      )

      let active = 0
      const launch = Effect.suspend(() => {
        active++
        return FiberSet.run(runs, Effect.interruptible(Effect.ensuring(runLoop, Effect.sync(() => void active--))))
      }).pipe(Effect.annotateLogs({ phase: "run" }))

      const tick: Effect.Effect<void> = Effect.suspend(() => {
        if (stopping) return Effect.void
        if (active === 0 || overlap === "allow") return Effect.asVoid(launch)
        if (overlap === "queue") {
          queued++
          return Effect.void
        }
        return Effect.zipRight(
          addSkipped(1),
          Effect.logDebug(`Scheduled service ${name}: tick skipped, the previous run is still in progress`)
        )
      })

      // Timers can wake a little before their deadline (Node measures `setTimeout` against its
      // cached loop time, `Date.now` is another clock). A tick that fired early would step the
      // schedule before its own slot, and slot-based schedules (`fixed`, `windowed`, cron) answer
      // "that same slot, 1 ms from now": a second run for one slot. So a tick waits out the rest.
      const sleepUntil = (due: number): Effect.Effect<void> =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          now >= due ? Effect.void : Effect.zipRight(Effect.sleep(due - now), Effect.suspend(() => sleepUntil(due))))

      // Stepped by hand rather than with `Schedule.driver`, which sleeps without telling the due
      // time, so it cannot tell an early wake-up from the recurrence itself.
      const tickLoop = Effect.gen(function*() {
        let state: unknown = schedule.initial
        while (!stopping) {
          const now = yield* Clock.currentTimeMillis
          const [nextState, , decision] = yield* schedule.step(now, undefined, state)
          state = nextState
          if (ScheduleDecision.isDone(decision)) {
            yield* Effect.logInfo(`Scheduled service ${name}: the schedule has no more recurrences`)
            return
          }
          yield* sleepUntil(ScheduleIntervals.start(decision.intervals))
          yield* tick
        }
      }).pipe(Effect.annotateLogs({ service: name, phase: "schedule" }))

      const start = Effect.suspend(() => {
        stopping = false
        // Forks inherit the caller's interruptibility; the stop must be able to interrupt these.
        return Effect.forkDaemon(Effect.interruptible(tickLoop))
      }).pipe(Effect.map((fiber) => void (ticker = fiber)))

      const stop = Effect.gen(function*() {
        stopping = true
        if (ticker !== undefined) yield* Fiber.interrupt(ticker)
        if (queued > 0) {
          yield* Effect.logInfo(`Scheduled service ${name}: ${queued} queued run(s) dropped at stop`)
          yield* addSkipped(queued)
          queued = 0
        }
        // No new run can begin now; wait for the ones in progress.
        yield* FiberSet.awaitEmpty(runs)
      }).pipe(
        // Cut off by the shutdown deadline: interrupt the runs and give them the grace to end.
        Effect.onInterrupt(() => cutOff)
      )

      /**
       * The deadline cut the stop short, or the stop never ran (the layer is released): no more
       * ticks, and the runs in progress are interrupted and awaited at most `releaseGrace` (real
       * time), so their `perRun` layers and scopes are released before the host returns. A run
       * that ignores interruption beyond that is abandoned, and said so.
       */
      const cutOff = Effect.gen(function*() {
        stopping = true
        if (ticker !== undefined) yield* Fiber.interruptFork(ticker)
        if (queued > 0) {
          yield* addSkipped(queued)
          queued = 0
        }
        const running = yield* FiberSet.size(runs)
        if (running === 0) return
        if (!(yield* interruptAllWithin(runs, releaseGrace))) {
          yield* Effect.logWarning(
            `Scheduled service ${name}: ${yield* FiberSet.size(runs)} of ${running} interrupted run(s) still in progress ` +
              `after a ${Duration.format(releaseGrace)} grace; abandoned (their perRun layers may not be released)`
          )
        }
      }).pipe(Effect.annotateLogs({ service: name }))

      // After the stop this finds nothing to do; without it (deadline, stop never reached) it
      // is the last chance to end the ticker and the runs.
      yield* Effect.addFinalizer(() => cutOff)

      return { start, stop }
    }))

  // A value built whole: a layer (its prototype is the hosted-service layer, so `Host.launch`
  // and `Layer.launch` build it like any layer) that carries its own tag, name and stats.
  const service: ScheduledService<ConfigurationError, Needs> = Object.create(layer, {
    [TypeId]: { value: TypeId, enumerable: true },
    serviceName: { value: name, enumerable: true },
    stats: { value: Effect.sync((): Stats => current === undefined ? emptyStats : { ...current }), enumerable: true }
  })
  return service
}
