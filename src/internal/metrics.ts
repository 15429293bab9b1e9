/**
 * Every metric the host records, in one place: the engine, the background-work services and
 * HttpHost import them from here, `HostMetrics` documents them.
 *
 * Names follow Prometheus' conventions, as `effect_host_scheduled_runs_total` did first:
 * `effect_host_<area>_<quantity>`, base units in the name (`_seconds`), counters end in `_total`
 * and are `incremental` (so exporters see a monotonic counter, not an up-down one).
 *
 * Cost. Updates go through `Metric#unsafeUpdate`/`unsafeModify` with a label array made once per
 * service (see {@link labels}): Effect caches the registry's hook per label array, so an update
 * is a map lookup and an addition (10–80 ns), with no effect to run and no `MetricKey` to hash.
 * `Metric.tagged(...)` would build a key and look it up in the registry on every update. The
 * price: `Effect.tagMetrics` / `Effect.labelMetrics` do not reach these metrics (a fiber's metric
 * labels are read only by the effectful `Metric.update`); label the process at the scrape or the
 * exporter (Prometheus target labels, OpenTelemetry resource attributes) instead.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

/**
 * The label arrays handed to `unsafeUpdate`, one per label set for the life of the process:
 * Effect caches the registry's hook per label array (by identity), so the same array must come
 * back for the same labels, also for the next host in the same process (tests, benchmarks). A
 * fresh array per host made every hook of every new host look its series up in the registry
 * again (a `MetricKey` built and hashed per update: 6 % of a 1,000-service start+stop). It holds
 * as many entries as Effect's own registry holds series, which it never drops either.
 */
const labelSets = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

/** The label array for these `[key, value]` pairs (in this order: Effect's series keys are ordered). */
export const labels = (...pairs: ReadonlyArray<readonly [string, string]>): ReadonlyArray<MetricLabel.MetricLabel> => {
  let id = ""
  for (const [key, value] of pairs) id += `${key}\u0000${value}\u0000`
  let found = labelSets.get(id)
  if (found === undefined) {
    found = pairs.map(([key, value]) => MetricLabel.make(key, value))
    labelSets.set(id, found)
  }
  return found
}

/** By service, then phase, then outcome: no key is built per update (the names are compared as they are). */
const hookLabelSets = new Map<string, Record<string, Record<string, ReadonlyArray<MetricLabel.MetricLabel>>>>()

/** `labels(["service", service], ["phase", phase], ["outcome", outcome])`, without building the pairs (once per hook). */
export const hookLabels = (service: string, phase: string, outcome: string): ReadonlyArray<MetricLabel.MetricLabel> => {
  let byPhase = hookLabelSets.get(service)
  if (byPhase === undefined) {
    byPhase = {}
    hookLabelSets.set(service, byPhase)
  }
  const byOutcome = byPhase[phase] ??= {}
  return byOutcome[outcome] ??= labels(["service", service], ["phase", phase], ["outcome", outcome])
}

/** How a hook, a run or a task ended, as the `outcome` tag (and span attribute) says it. */
export type Outcome = "success" | "failure" | "interrupted"

export const outcome = (exit: Exit.Exit<unknown, unknown>): Outcome =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"

const seconds = (...bounds: Array<number>) => MetricBoundaries.fromIterable(bounds)

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

export const hookDuration = Metric.histogram(
  "effect_host_hook_duration_seconds",
  seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
  "Duration of hosted-service hooks, by service, phase and outcome"
)

export const hostState: Metric.Metric.Gauge<number> = Metric.gauge("effect_host_state", {
  description: "Hosts in each state (Created, Starting, Started, Stopping, Stopped): 1 for the state of a single host"
})

// ---------------------------------------------------------------------------------------------
// Background work
// ---------------------------------------------------------------------------------------------

export const backgroundFailures: Metric.Metric.Counter<number> = Metric.counter("effect_host_background_failures_total", {
  description: "Failed attempts of background services (the host's own stop is not a failure), by service",
  incremental: true
})

export const backgroundRestarts: Metric.Metric.Counter<number> = Metric.counter("effect_host_background_restarts_total", {
  description: "Restarts of background services by their restart schedule, by service",
  incremental: true
})

export const scheduledRuns: Metric.Metric.Counter<number> = Metric.counter("effect_host_scheduled_runs_total", {
  description: "Runs of scheduled services, by service and outcome",
  incremental: true
})

export const scheduledSkipped: Metric.Metric.Counter<number> = Metric.counter("effect_host_scheduled_skipped_total", {
  description: "Ticks of scheduled services skipped because a run was in progress, or dropped at stop",
  incremental: true
})

export const scheduledLateness = Metric.histogram(
  "effect_host_scheduled_lateness_seconds",
  seconds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300),
  "How long after its scheduled time each run of a scheduled service started, by service"
)

export const queueEnqueued: Metric.Metric.Counter<number> = Metric.counter("effect_host_queue_tasks_enqueued_total", {
  description: "Tasks accepted by background task queues, by service",
  incremental: true
})

export const queueCompleted: Metric.Metric.Counter<number> = Metric.counter("effect_host_queue_tasks_completed_total", {
  description: "Tasks of background task queues that ran to their end (failed ones included), by service",
  incremental: true
})

export const queueFailed: Metric.Metric.Counter<number> = Metric.counter("effect_host_queue_tasks_failed_total", {
  description: "Tasks of background task queues that failed, by service",
  incremental: true
})

export const queueUnprocessed: Metric.Metric.Counter<number> = Metric.counter("effect_host_queue_tasks_unprocessed_total", {
  description: "Tasks of background task queues reported as not completed at stop, by service and status",
  incremental: true
})

export const queueDepth: Metric.Metric.Gauge<number> = Metric.gauge("effect_host_queue_depth", {
  description: "Tasks waiting for a worker in background task queues, by service"
})

export const queueInFlight: Metric.Metric.Gauge<number> = Metric.gauge("effect_host_queue_in_flight", {
  description: "Tasks running now in background task queues, by service"
})

export const queueStarted: Metric.Metric.Counter<number> = Metric.counter("effect_host_queue_tasks_started_total", {
  description: "Tasks of background task queues a worker took, by service",
  incremental: true
})

export const queueWait: Metric.Metric.Counter<number> = Metric.counter("effect_host_queue_wait_seconds_total", {
  description: "Seconds tasks of background task queues spent waiting for a worker, summed over the tasks " +
    "(the area under the depth curve), by service; over effect_host_queue_tasks_started_total: the mean wait",
  incremental: true
})

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export const httpInFlight: Metric.Metric.Gauge<number> = Metric.gauge("effect_host_http_in_flight_requests", {
  description: "HTTP requests (and upgraded connections) in flight in HttpHost servers, by service"
})

export const httpDrainDuration = Metric.histogram(
  "effect_host_http_drain_duration_seconds",
  seconds(0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
  "Duration of HttpHost drains (drain delay included), by service and outcome (graceful, deadline)"
)
