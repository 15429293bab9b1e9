/**
 * Scheduled services (the "timed background task" of the .NET hosted-services docs), without its
 * pitfalls: runs never overlap unless asked to, a slow or failing run never kills the timer, each
 * run can get its own freshly built layer (`perRun`) that is released when the run ends, and the
 * stop waits for the run in progress instead of abandoning it.
 *
 * @since 0.1.0
 */
import type * as Cron from "effect/Cron"
import type * as DateTime from "effect/DateTime"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { ConfigurationError } from "./ConfigurationError.js"
import * as internal from "./internal/background/scheduledService.js"

/**
 * What happens to a tick that fires while a run is still in progress.
 *
 * - `"skip"` (default): the tick is dropped (counted in `Stats.skipped` and the `skipped` metric).
 * - `"queue"`: the tick waits; queued runs start one after another as soon as the previous run
 *   ends. No tick is lost while the host runs; runs still queued at stop are dropped.
 * - `"allow"`: a new run starts at once, concurrently with the running ones.
 *
 * @since 0.1.0
 * @category models
 */
export type Overlap = "skip" | "queue" | "allow"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<A, E, R, ROut = never, E2 = never, RIn = never> {
  /**
   * When to run: an Effect `Schedule` (its recurrences are the run times, so
   * `Schedule.spaced("1 minute")` runs at 1, 2, 3 ... minutes after start), a `Cron`, or a
   * cron string (5 fields, or 6 with seconds first). The schedule is stepped when each tick fires,
   * not when a run ends: a slow run never shifts the timetable, `overlap` decides what happens
   * to the ticks it covers. A tick never fires before its recurrence's time (a timer that wakes
   * early waits for the rest), so a fixed-rate or cron schedule never runs twice for one slot.
   * The recurrences must be spaced: one that recurs at once (`Schedule.forever`, a zero
   * spacing) has no time between ticks, so while a run is in progress the ticks come as fast
   * as the loop can step them (hundreds of thousands a second, each skipped or queued). For
   * back-to-back runs use a `BackgroundService` that repeats its work.
   */
  readonly schedule: Schedule.Schedule<unknown> | Cron.Cron | string
  /**
   * Time zone for a cron string (an IANA name such as `"Europe/Berlin"`, or a `DateTime.TimeZone`).
   * Without it, a cron string follows the system's local time, as the cron daemon does.
   */
  readonly timeZone?: DateTime.TimeZone | string | undefined
  /** One run. May use `Scope` (closed when the run ends) and whatever `perRun` provides. */
  readonly run: Effect.Effect<A, E, R>
  /** Defaults to `"skip"`. */
  readonly overlap?: Overlap | undefined
  /** A layer built fresh for every run and released when that run ends (success, failure or interruption). */
  readonly perRun?: Layer.Layer<ROut, E2, RIn> | undefined
  /**
   * What a failing run does to the service. `"continue"` (default): it is logged with its cause
   * and the schedule goes on. `"stop"`: no more runs, and the failure is reported to the host like
   * a `BackgroundService` failure (`backgroundServiceExceptionBehavior` decides whether the host stops).
   */
  readonly onFailure?: "continue" | "stop" | undefined
}

/**
 * How one run ended.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOutcome {
  /** Start and end of the run, in epoch milliseconds (the `Clock`'s time, so `TestClock` time in tests). */
  readonly startedAt: number
  readonly endedAt: number
  readonly outcome: "success" | "failure" | "interrupted"
  readonly exit: Exit.Exit<unknown, unknown>
}

/**
 * What a scheduled service has done since its layer was last built.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Runs begun. */
  readonly runs: number
  readonly succeeded: number
  readonly failed: number
  /** Runs interrupted (by the shutdown deadline; a normal stop waits for the run). */
  readonly interrupted: number
  /** Ticks that did not lead to a run: skipped while running (`"skip"`), or still queued at stop (`"queue"`). */
  readonly skipped: number
  /** Runs in progress now. */
  readonly running: number
  readonly lastRun: Option.Option<RunOutcome>
}

/**
 * The tag of scheduled services.
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A scheduled service: a hosted-service layer that also carries its name and its `stats`. It is
 * a `Layer` (give it to `Host.launch`, `Host.make` or `Layer.launch` as it is), built whole:
 * `make` does not patch the layer it wraps.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScheduledService<E = never, R = never> extends Layer.Layer<never, E, R> {
  readonly [TypeId]: TypeId
  readonly serviceName: string
  /**
   * The counters and last outcome of the most recent build of this layer (a fresh build, for
   * example by another host, starts again from zero).
   */
  readonly stats: Effect.Effect<Stats>
}

/**
 * `true` for a value made by {@link make}.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isScheduledService: (u: unknown) => u is ScheduledService<unknown, unknown> = internal.isScheduledService

/**
 * What is wrong with a cron string that does not parse, or names an unknown time zone. The
 * service's layer does not fail with it but with a `ConfigurationError` whose issue
 * (`ScheduledService <name>: schedule`, from code) has this error's `detail` as its message: the
 * host reports it with every other invalid option before any service starts, and
 * `NodeHost.runMain` exits with 78.
 *
 * @since 0.1.0
 * @category errors
 */
export const InvalidScheduleError: typeof internal.InvalidScheduleError = internal.InvalidScheduleError

/**
 * @since 0.1.0
 * @category errors
 */
export type InvalidScheduleError = internal.InvalidScheduleError

/**
 * Runs of scheduled services, tagged `service` (the service name) and `outcome`
 * (`"success"`, `"failure"` or `"interrupted"`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const runsTotal: Metric.Metric.Counter<number> = internal.runsTotal

/**
 * Ticks of scheduled services that did not lead to a run, tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const skippedTotal: Metric.Metric.Counter<number> = internal.skippedTotal

/**
 * A hosted service that runs `run` on a schedule.
 *
 * - The schedule starts with the `start` hook; the first run happens at the schedule's first
 *   recurrence (not immediately).
 * - Runs do not overlap by default (`overlap: "skip"`); see {@link Overlap}.
 * - A failing run is logged with its cause and the schedule continues (unless `onFailure: "stop"`).
 * - At `stop`, no new run begins, and the runs in progress are awaited (bounded by the host's
 *   `shutdownTimeout`). At the deadline, or when the host never reached this service's stop, they
 *   are interrupted and given 0.4 s (real time) to end, so their scopes and `perRun` layers are
 *   released before `Host.launch` returns; a run that ignores interruption longer is abandoned
 *   with a warning.
 * - An invalid cron string fails the layer's build with a `ConfigurationError` (issue
 *   `ScheduledService <name>: schedule`), reported with every other invalid option.
 * - Observability: `service.stats` (see {@link Stats}), the metrics {@link runsTotal},
 *   {@link skippedTotal} and `HostMetrics.scheduledLateness`, tagged with the service name, and,
 *   when a tracer is installed, a `ScheduledService.run` span per run: a trace of its own (a
 *   schedule outlives the hook that began it), linked to the service's start span, with the
 *   attributes `effect_host.service`, `effect_host.lateness_ms` and `effect_host.outcome`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Host, ScheduledService } from "effect-host"
 * import { Context, Effect, Layer } from "effect"
 *
 * class Tx extends Context.Tag("Tx")<Tx, { readonly id: number }>() {}
 * let next = 0
 * const TxLive = Layer.scoped(Tx, Effect.acquireRelease(
 *   Effect.sync(() => ({ id: next++ })),
 *   (tx) => Effect.log(`tx ${tx.id} released`)
 * ))
 *
 * const Cleanup = ScheduledService.make("Cleanup", {
 *   schedule: "0 3 * * *",           // every day at 03:00
 *   timeZone: "Europe/Berlin",
 *   run: Effect.flatMap(Tx, (tx) => Effect.log(`cleaning in tx ${tx.id}`)),
 *   perRun: TxLive                   // a fresh transaction per run, always released
 * })
 *
 * Host.launch([Cleanup])
 * ```
 */
export const make: <A, E, R, ROut = never, E2 = never, RIn = never>(
  name: string,
  options: Options<A, E, R, ROut, E2, RIn>
) => ScheduledService<ConfigurationError, Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> = internal.make
