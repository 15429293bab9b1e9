/**
 * The machinery behind `ScheduledService.make`: the tick loop (the schedule stepped by hand, so
 * an early timer wake-up never runs a slot twice), the overlap policies, runs with a fresh
 * `perRun` layer each, the stats and the metrics.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Cron from "effect/Cron"
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import type * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import type { Options, Overlap, ScheduledService, Stats, TypeId as TypeIdType } from "../../ScheduledService.js"
import { register } from "../hostedService.js"
import * as Metrics from "../metrics.js"
import * as Tracing from "../tracing.js"
import { isTracing } from "../tracing.js"
import { once } from "../grace.js"
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

export const runsTotal: Metric.Metric.Counter<number> = Metrics.scheduledRuns

export const skippedTotal: Metric.Metric.Counter<number> = Metrics.scheduledSkipped

/** A FIFO of due times (epoch ms), O(1) at both ends. */
const dueTimes = () => {
  let items: Array<number> = []
  let head = 0
  return {
    push: (due: number) => void items.push(due),
    take: (): number | undefined => {
      if (head === items.length) return undefined
      const due = items[head++]
      if (head === items.length) {
        items = []
        head = 0
      } else if (head >= 1024 && head * 2 >= items.length) {
        items = items.slice(head)
        head = 0
      }
      return due
    },
    size: () => items.length - head,
    clear: () => {
      items = []
      head = 0
    }
  }
}

/** The stats of a scheduled service that has not run (also the cluster's, internal/cluster/scheduled.ts). */
export const emptyStats: Stats = {
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
  // Label arrays made once: an update is then a cached lookup (see internal/metrics.ts).
  const runLabels = {
    success: Metrics.labels(["service", name], ["outcome", "success"]),
    failure: Metrics.labels(["service", name], ["outcome", "failure"]),
    interrupted: Metrics.labels(["service", name], ["outcome", "interrupted"])
  }
  const serviceLabels = Metrics.labels(["service", name])
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
      // Every series exists from the build on, at 0: a scraper (and `increase()`) sees the first run.
      for (const labels of Object.values(runLabels)) Metrics.scheduledRuns.unsafeUpdate(0, labels)
      Metrics.scheduledSkipped.unsafeUpdate(0, serviceLabels)
      const runs = yield* detachedFiberSet<void, never>()
      const stats = { ...emptyStats }
      current = stats
      let ticker: Fiber.RuntimeFiber<void> | undefined
      let stopping = false
      // The due times of the ticks waiting for the run in progress (overlap "queue"), oldest first.
      const queued = dueTimes()
      // Spans only when a tracer is installed; each run is a trace of its own, linked to the
      // span of the `start` hook that began the schedule (not its child: a schedule outlives it).
      const tracing = yield* isTracing
      // Read once: a run then reads the time without looking the clock up (TestClock included).
      const clock = yield* Effect.clock
      let links: ReadonlyArray<Tracer.SpanLink> = []

      const addSkipped = (n: number) =>
        Effect.sync(() => {
          stats.skipped += n
          Metrics.scheduledSkipped.unsafeUpdate(n, serviceLabels)
        })

      // What a run ends with. A success (most runs) is bookkeeping only: no Effect steps.
      const record = (startedAt: number, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
        const endedAt = clock.unsafeCurrentTimeMillis()
        stats.running--
        const outcome = Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"
        stats.lastRun = Option.some({ startedAt, endedAt, outcome, exit })
        Metrics.scheduledRuns.unsafeUpdate(1, runLabels[outcome])
        if (Exit.isSuccess(exit)) {
          stats.succeeded++
          return Effect.void
        }
        if (outcome === "interrupted") {
          stats.interrupted++
          return Effect.logWarning(`Scheduled service ${name}: run interrupted after ${endedAt - startedAt}ms`)
        }
        stats.failed++
        if (!stopOnFailure || stopping) {
          return Effect.logError(`Scheduled service ${name}: run failed after ${endedAt - startedAt}ms`, exit.cause)
        }
        return Effect.gen(function*() {
          // The host logs the failure with its cause; we only stop scheduling.
          yield* Effect.logError(`Scheduled service ${name}: run failed; no more runs (onFailure: "stop")`)
          stopping = true
          queued.clear()
          if (ticker !== undefined) yield* Fiber.interruptFork(ticker)
          yield* host.reportBackgroundFailure(name, exit.cause)
        })
      }

      // Built once: running it builds `perRun` afresh every time.
      const body = withFreshLayer(options.run, options.perRun).pipe(Effect.provide(context))
      const traced = (latenessMs: number) =>
        body.pipe(
          Effect.onExit((exit) => Effect.annotateCurrentSpan("effect_host.outcome", Metrics.outcome(exit))),
          Effect.withSpan("ScheduledService.run", {
            attributes: { "effect_host.service": name, "effect_host.lateness_ms": latenessMs },
            root: true,
            links,
            captureStackTrace: false
          })
        )

      /** One run, for the tick due at `due` (epoch ms). */
      const runOnce = (due: number): Effect.Effect<void> =>
        Effect.suspend(() => {
          const startedAt = clock.unsafeCurrentTimeMillis()
          stats.runs++
          stats.running++
          const latenessMs = Math.max(0, startedAt - due)
          Metrics.scheduledLateness.unsafeUpdate(latenessMs / 1000, serviceLabels)
          const run = tracing ? traced(latenessMs) : body
          // `record` sees every exit, an interruption by the stop included (hence the mask), and
          // logs or reports it: the run's own exit goes no further.
          return Effect.uninterruptibleMask((restore) => Effect.flatMap(Effect.exit(restore(run)), (exit) => record(startedAt, exit)))
        })

      // One fiber per run; with "queue" the fiber goes on with the queued ticks.
      const runLoop = (due: number): Effect.Effect<void> =>
        Effect.zipRight(
          runOnce(due),
          Effect.suspend(() => {
            const next = stopping ? undefined : queued.take()
            return next === undefined ? Effect.void : runLoop(next)
          })
        )

      let active = 0
      const launch = (due: number) =>
        Effect.suspend(() => {
          active++
          return FiberSet.run(runs, Effect.interruptible(Effect.ensuring(runLoop(due), Effect.sync(() => void active--))))
        }).pipe(Effect.annotateLogs({ phase: "run" }))

      const tick = (due: number): Effect.Effect<void> => Effect.suspend(() => {
        if (stopping) return Effect.void
        if (active === 0 || overlap === "allow") return Effect.asVoid(launch(due))
        if (overlap === "queue") {
          queued.push(due)
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
        Effect.suspend(() => {
          const now = clock.unsafeCurrentTimeMillis()
          return now >= due ? Effect.void : Effect.zipRight(Effect.sleep(due - now), sleepUntil(due))
        })

      // Stepped by hand rather than with `Schedule.driver`, which sleeps without telling the due
      // time, so it cannot tell an early wake-up from the recurrence itself.
      const tickLoop = Effect.gen(function*() {
        let state: unknown = schedule.initial
        while (!stopping) {
          const now = clock.unsafeCurrentTimeMillis()
          const [nextState, , decision] = yield* schedule.step(now, undefined, state)
          state = nextState
          if (ScheduleDecision.isDone(decision)) {
            yield* Effect.logInfo(`Scheduled service ${name}: the schedule has no more recurrences`)
            return
          }
          const due = ScheduleIntervals.start(decision.intervals)
          yield* sleepUntil(due)
          yield* tick(due)
        }
      }).pipe(Effect.annotateLogs({ service: name, phase: "schedule" }))

      const start = Effect.gen(function*() {
        stopping = false
        if (tracing) links = yield* Tracing.linkToCurrentSpan
        // Forks inherit the caller's interruptibility; the stop must be able to interrupt these.
        ticker = yield* Effect.forkDaemon(Effect.interruptible(tickLoop))
      })

      const stop = Effect.gen(function*() {
        stopping = true
        if (ticker !== undefined) yield* Fiber.interrupt(ticker)
        if (queued.size() > 0) {
          yield* Effect.logInfo(`Scheduled service ${name}: ${queued.size()} queued run(s) dropped at stop`)
          yield* addSkipped(queued.size())
          queued.clear()
        }
        // No new run can begin now; wait for the ones in progress.
        yield* FiberSet.awaitEmpty(runs)
      }).pipe(
        // Cut off by the shutdown deadline: interrupt the runs and give them the grace to end.
        Effect.onInterrupt(() => cutOffOnce)
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
        if (queued.size() > 0) {
          yield* addSkipped(queued.size())
          queued.clear()
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

      // Once: the interrupted stop, the engine at the deadline and the layer's release all call it.
      const cutOffOnce = yield* once(cutOff)
      // After the stop this finds nothing to do; without it (deadline, stop never reached) it
      // is the last chance to end the ticker and the runs.
      yield* Effect.addFinalizer(() => cutOffOnce)

      return { hooks: { start, stop }, cutOff: cutOffOnce }
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
