/**
 * Scheduled jobs that run once per slot across a cluster: the cluster-wide counterpart of
 * `ScheduledService`, for the runners of a `HostCluster`.
 *
 * - **Cron** (a cron string or `Cron`): each slot is a durable message delivered at the slot's
 *   time to the one runner that owns it; the job gets the slot's time (`run: (slot) => …`), so
 *   it can be made idempotent (key what it writes by the slot). A slot runs once; twice only if
 *   its runner died during the run (at-least-once, like every durable message).
 * - **Schedule** (an Effect `Schedule`): the local scheduled service, running on exactly one
 *   runner (a `Singleton`); it moves when that runner leaves or dies, and starts its schedule
 *   again there. The job gets the time its run began.
 * - **Overlap, `perRun`, `onFailure`, stats, metrics and logs** as for the local one. With
 *   `overlap: "skip"` the slots skipped are those a run of its length covers, counted from its
 *   slot's time: a slot picked up late by the storage poll does not cost the next one (slots more
 *   than a poll interval older than the run's end are skipped too, so it never stays behind). The
 *   metrics are the local one's (`effect_host_scheduled_runs_total` and
 *   `effect_host_scheduled_skipped_total`, tagged with the service name); stats count the runs
 *   on this runner.
 * - **Missed slots** (no runner owned the job in time: a fail-over, the whole cluster down): a
 *   slot picked up more than `missedAfter` after it was due runs once, late, with its own slot
 *   time, and the slots in between are skipped (`missed: "catchUpOnce"`, the default), or is
 *   skipped too (`missed: "skip"`). The schedule then goes on from the next slot after now.
 *
 * List it after `HostCluster`; it runs from the member's join to its leave.
 *
 * @since 0.2.0
 */
import type * as Cron from "effect/Cron"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { ConfigurationError } from "./ConfigurationError.js"
import type { HostCluster } from "./HostCluster.js"
import * as internal from "./internal/cluster/scheduled.js"
import type { Overlap, Stats } from "./ScheduledService.js"

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
 * What happens to a slot that no runner ran in time (picked up more than `missedAfter` after it
 * was due):
 *
 * - `"catchUpOnce"` (default): it runs once, late, with its own slot time; the slots between it
 *   and now are skipped (counted in `Stats.skipped`).
 * - `"skip"`: it is skipped too.
 *
 * @since 0.2.0
 * @category models
 */
export type MissedSlots = "catchUpOnce" | "skip"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options<A, E, R, ROut = never, E2 = never, RIn = never> {
  /**
   * A cron string (5 fields, or 6 with seconds first), a `Cron`, or an Effect `Schedule` (see
   * the module's description for how each runs).
   */
  readonly schedule: Schedule.Schedule<unknown> | Cron.Cron | string
  /** Time zone of a cron string; without it, the system's local time. */
  readonly timeZone?: DateTime.TimeZone | string | undefined
  /** One run; gets the slot's time (for a `Schedule`: the time the run began). */
  readonly run: (slot: DateTime.Utc) => Effect.Effect<A, E, R>
  /** Defaults to `"skip"`; see `ScheduledService.Overlap` and the module's description. */
  readonly overlap?: Overlap | undefined
  /** A layer built fresh for every run and released when that run ends. */
  readonly perRun?: Layer.Layer<ROut, E2, RIn> | undefined
  /**
   * `"continue"` (default): a failing run is logged with its cause and the schedule goes on.
   * `"stop"`: the failure is reported to this runner's host like a `BackgroundService` failure,
   * and the run schedules no further slot (a runner that starts the job again later, after a
   * hand-over or a restart, resumes it).
   */
  readonly onFailure?: "continue" | "stop" | undefined
  /** Defaults to `"catchUpOnce"`; see {@link MissedSlots}. Cron only. */
  readonly missed?: MissedSlots | undefined
  /**
   * How late a slot may be picked up before it counts as missed. Default: twice
   * `Cluster:MessagePollSeconds` plus 1 s (3 s with the host defaults): due slots are picked up
   * by a storage poll, so up to one poll interval late is normal. Cron only.
   */
  readonly missedAfter?: Duration.DurationInput | undefined
}

/**
 * A cluster scheduled service: a layer (give it to `Host.launch` after `HostCluster`) that
 * carries its name and the stats of its runs on this runner.
 *
 * @since 0.2.0
 * @category models
 */
export interface ClusterScheduledService<E = never, R = never> extends Layer.Layer<never, E, R> {
  readonly [TypeId]: TypeId
  readonly serviceName: string
  /** The runs on this runner since its layer was last built (see `ScheduledService.Stats`). */
  readonly stats: Effect.Effect<Stats>
}

/**
 * `true` for a value made by {@link make}.
 *
 * @since 0.2.0
 * @category refinements
 */
export const isClusterScheduledService: (u: unknown) => u is ClusterScheduledService<unknown, unknown> =
  internal.isClusterScheduledService

/**
 * A job that runs once per slot across the cluster.
 *
 * An invalid cron string, or a cron whose period is shorter than `Cluster:MessagePollSeconds`
 * (slots would be skipped), fails the layer's build with a `ConfigurationError` (issue
 * `ClusterScheduledService <name>: schedule`), reported before any service starts.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * ```ts
 * import { Host } from "effect-host"
 * import { ClusterScheduledService, HostCluster } from "effect-host/cluster"
 * import { DateTime, Effect } from "effect"
 *
 * const Invoices = ClusterScheduledService.make("Invoices", {
 *   schedule: "0 2 * * *",             // 02:00, once across every runner
 *   timeZone: "Europe/Berlin",
 *   // Idempotent: keyed by the slot, so a run repeated after a crash does no harm.
 *   run: (slot) => Effect.log(`invoicing for ${DateTime.formatIsoDate(slot)}`)
 * })
 *
 * Host.launch([HostCluster.layer(), Invoices])
 * ```
 */
export const make: <A, E, R, ROut = never, E2 = never, RIn = never>(
  name: string,
  options: Options<A, E, R, ROut, E2, RIn>
) => ClusterScheduledService<ConfigurationError, HostCluster | Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> = internal.make
