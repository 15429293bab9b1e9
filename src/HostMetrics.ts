/**
 * The metrics a host records, as Effect `Metric`s in Effect's global registry: whatever reads
 * that registry sees them — `HttpHost`'s `/metrics` endpoint (Prometheus text, off by default),
 * {@link prometheus} on a route of your own, or `@effect/opentelemetry`'s `Metrics.layer` for
 * OTLP.
 *
 * Names follow Prometheus' conventions: `effect_host_<area>_<quantity>`, the base unit in the
 * name (`_seconds`), counters end in `_total` (all `incremental`, so exporters see monotonic
 * counters). Every metric is tagged `service` with the hosted service's name (except
 * {@link hostState}, tagged `state`).
 *
 * They cost a few tens of nanoseconds per update (no effect is run): cheap enough to be always
 * on. For the same reason a fiber's metric labels (`Effect.tagMetrics`, `Effect.labelMetrics`)
 * are not added to them; label the process at the scrape or in the exporter instead.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Metric from "effect/Metric"
import type * as MetricPair from "effect/MetricPair"
import * as internal from "./internal/metrics.js"
import * as internalPrometheus from "./internal/prometheus.js"

/**
 * Histogram of hosted-service hook durations, in seconds, tagged `service`, `phase`
 * (`starting` … `stopped`) and `outcome` (`success`, `failure`, `interrupted`: cut by a stop
 * during start or the shutdown deadline). A hosted service's own lifetime step counts too, in
 * the phase of its event: `HttpHost`'s listen (`started`) and drain (`stopping`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const hookDuration: Metric.Metric.Histogram<number> = internal.hookDuration

/**
 * Gauge of the hosts in each state, tagged `state` (`Created`, `Starting`, `Started`,
 * `Stopping`, `Stopped`): a process with one host has 1 in the state it is in, 0 in the others.
 *
 * @since 0.1.0
 * @category metrics
 */
export const hostState: Metric.Metric.Gauge<number> = internal.hostState

/**
 * Counter of failed attempts of background services, tagged `service`. The host's own stop is
 * not a failure.
 *
 * @since 0.1.0
 * @category metrics
 */
export const backgroundFailures: Metric.Metric.Counter<number> = internal.backgroundFailures

/**
 * Counter of background-service restarts (an attempt failed and the `restart` schedule
 * continued), tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const backgroundRestarts: Metric.Metric.Counter<number> = internal.backgroundRestarts

/**
 * Counter of scheduled-service runs, tagged `service` and `outcome` (`success`, `failure`,
 * `interrupted`). The same metric as `ScheduledService.runsTotal`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const scheduledRuns: Metric.Metric.Counter<number> = internal.scheduledRuns

/**
 * Counter of scheduled-service ticks that led to no run (skipped while a run was in progress, or
 * still queued at stop), tagged `service`. The same metric as `ScheduledService.skippedTotal`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const scheduledSkipped: Metric.Metric.Counter<number> = internal.scheduledSkipped

/**
 * Histogram of how late each scheduled run started, in seconds after its recurrence's time,
 * tagged `service`: a late timer, or (with `overlap: "queue"`) the wait for the run before it.
 *
 * @since 0.1.0
 * @category metrics
 */
export const scheduledLateness: Metric.Metric.Histogram<number> = internal.scheduledLateness

/**
 * Counter of tasks a `BackgroundTaskQueue` accepted, tagged `service` (the queue's name). At any
 * time: enqueued = depth + in flight + completed + unprocessed (with `status` `notStarted`,
 * `interrupted` or `abandoned`).
 *
 * The queue's metrics are derived from the queue's own bookkeeping and published to the registry
 * at the end of the current batch of fiber work (a microtask), not at each task: a reader in
 * another fiber (a scrape) sees them up to date.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueEnqueued: Metric.Metric.Counter<number> = internal.queueEnqueued

/**
 * Counter of queue tasks that ran to their end, failed ones included, tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueCompleted: Metric.Metric.Counter<number> = internal.queueCompleted

/**
 * Counter of queue tasks that failed (each also counts as completed), tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueFailed: Metric.Metric.Counter<number> = internal.queueFailed

/**
 * Counter of queue tasks reported as not completed at stop (what `onUnprocessed` receives),
 * tagged `service` and `status` (`notStarted`, `interrupted`, `abandoned`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueUnprocessed: Metric.Metric.Counter<number> = internal.queueUnprocessed

/**
 * Gauge of the tasks waiting for a worker, tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueDepth: Metric.Metric.Gauge<number> = internal.queueDepth

/**
 * Gauge of the tasks running now, tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueInFlight: Metric.Metric.Gauge<number> = internal.queueInFlight

/**
 * Counter of queue tasks a worker took, tagged `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueStarted: Metric.Metric.Counter<number> = internal.queueStarted

/**
 * Counter of the seconds queue tasks spent waiting for a worker, summed over the tasks (the
 * area under the depth curve: a task still waiting counts as it waits), tagged `service`. Its
 * rate over the rate of {@link queueStarted} is the mean wait (Little's law; PromQL:
 * `rate(effect_host_queue_wait_seconds_total[5m]) / rate(effect_host_queue_tasks_started_total[5m])`).
 * A sum rather than a histogram: an observation per task cost a fifth of a fast queue's
 * throughput (measured), the sum is read once per batch of work.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueWait: Metric.Metric.Counter<number> = internal.queueWait

/**
 * Gauge of the HTTP requests (and upgraded connections) in flight in an `HttpHost`, tagged
 * `service`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const httpInFlight: Metric.Metric.Gauge<number> = internal.httpInFlight

/**
 * Histogram of `HttpHost` drain durations, in seconds, from the start of the stop (drain delay
 * included) to the closed server, tagged `service` and `outcome` (`graceful`, or `deadline`
 * when requests were cut).
 *
 * @since 0.1.0
 * @category metrics
 */
export const httpDrainDuration: Metric.Metric.Histogram<number> = internal.httpDrainDuration

/**
 * The `Content-Type` of {@link prometheus}: `text/plain; version=0.0.4; charset=utf-8`.
 *
 * @since 0.1.0
 * @category prometheus
 */
export const prometheusContentType: string = internalPrometheus.contentType

/**
 * Every metric of the process (Effect's global registry: the host's, your own, Effect's runtime
 * metrics if enabled) in the Prometheus text format, from `Metric.snapshot`. This is what
 * `HttpHost`'s `/metrics` endpoint serves; use it to serve metrics from a route of your own.
 *
 * @since 0.1.0
 * @category prometheus
 * @example
 * ```ts
 * import { HostMetrics } from "effect-host"
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.get("/internal/metrics", Effect.map(HostMetrics.prometheus, (body) =>
 *     HttpServerResponse.text(body, { contentType: HostMetrics.prometheusContentType })))
 * )
 * ```
 */
export const prometheus: Effect.Effect<string> = internalPrometheus.text

/**
 * Renders a metrics snapshot (`Metric.snapshot`) as Prometheus text: incremental counters as
 * `counter` (`_total`), other counters and gauges as `gauge`, histograms (`_bucket`, `_sum`,
 * `_count`), summaries (`quantile`), frequencies as a `counter` with a `key` label. Families are
 * sorted by name, series by labels.
 *
 * @since 0.1.0
 * @category prometheus
 */
export const renderPrometheus: (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>) => string = internalPrometheus.render
