/**
 * HostMetrics: the Prometheus renderer (every Effect metric type, escaping, names, order), and
 * the host's own metrics — hook durations and the state gauge — read back from the rendered
 * registry, as a scraper reads them. Timed behaviour under TestClock.
 *
 * Metrics are global to the test file's process: every test uses names of its own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Metric, MetricBoundaries, MetricLabel } from "effect"
import { HostedService, HostMetrics } from "effect-host"
import { TestHost } from "effect-host/testing"
import { parse, scrapeRegistry } from "./util/prometheus.js"

/** The rendered families whose names start with `prefix`, as text. */
const renderedWith = (prefix: string) =>
  Effect.map(Metric.snapshot, (pairs) => HostMetrics.renderPrometheus(pairs.filter((p) => p.metricKey.name.startsWith(prefix))))

describe("HostMetrics.renderPrometheus", () => {
  it.effect("counters: incremental ones are counters with _total, the others gauges", () =>
    Effect.gen(function*() {
      const requests = Metric.counter("render_a_requests", { description: "Requests", incremental: true })
      const already = Metric.counter("render_a_jobs_total", { incremental: true })
      const upDown = Metric.counter("render_a_connections", { description: "Open connections" })
      yield* Metric.incrementBy(requests.pipe(Metric.tagged("route", "/a")), 2)
      yield* Metric.incrementBy(requests.pipe(Metric.tagged("route", "/b")), 1)
      yield* Metric.incrementBy(already, 3)
      yield* Metric.incrementBy(upDown, 5)
      yield* Metric.incrementBy(upDown, -2)
      expect(yield* renderedWith("render_a_")).toBe(
        "# HELP render_a_connections Open connections\n" +
          "# TYPE render_a_connections gauge\n" +
          "render_a_connections 3\n" +
          "# TYPE render_a_jobs_total counter\n" +
          "render_a_jobs_total 3\n" +
          "# HELP render_a_requests_total Requests\n" +
          "# TYPE render_a_requests_total counter\n" +
          "render_a_requests_total{route=\"/a\"} 2\n" +
          "render_a_requests_total{route=\"/b\"} 1\n"
      )
    }))

  it.effect("histograms: cumulative buckets up to +Inf, _sum and _count, per tag set", () =>
    Effect.gen(function*() {
      const latency = Metric.histogram("render_b_latency_seconds", MetricBoundaries.fromIterable([0.1, 0.5]), "Latency")
      for (const value of [0.05, 0.3, 0.3, 2]) yield* Metric.update(latency.pipe(Metric.tagged("route", "/x")), value)
      expect(yield* renderedWith("render_b_")).toBe(
        "# HELP render_b_latency_seconds Latency\n" +
          "# TYPE render_b_latency_seconds histogram\n" +
          "render_b_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n" +
          "render_b_latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n" +
          "render_b_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n" +
          "render_b_latency_seconds_sum{route=\"/x\"} 2.65\n" +
          "render_b_latency_seconds_count{route=\"/x\"} 4\n"
      )
    }))

  it.effect("gauges, summaries (NaN before any sample) and frequencies (a key label)", () =>
    Effect.gen(function*() {
      yield* Metric.set(Metric.gauge("render_c_temperature"), -1.5)
      const summary = Metric.summary({
        name: "render_c_size",
        maxAge: Duration.minutes(1),
        maxSize: 10,
        error: 0.01,
        quantiles: [0.5]
      })
      yield* Metric.update(summary, 4)
      yield* Metric.update(summary, 6)
      const empty = Metric.summary({ name: "render_c_unused", maxAge: Duration.minutes(1), maxSize: 10, error: 0.01, quantiles: [0.9] })
      yield* Effect.sync(() => empty.register())
      const colours = Metric.frequency("render_c_colour")
      yield* Metric.update(colours, "red")
      yield* Metric.update(colours, "red")
      yield* Metric.update(colours, "blue")
      const scrape = parse(yield* renderedWith("render_c_"))
      expect(scrape.families.get("render_c_temperature")?.type).toBe("gauge")
      expect(scrape.value("render_c_temperature")).toBe(-1.5)
      expect(scrape.families.get("render_c_size")?.type).toBe("summary")
      expect(scrape.value("render_c_size", { quantile: "0.5" })).toBe(4)
      expect(scrape.value("render_c_size_sum")).toBe(10)
      expect(scrape.value("render_c_size_count")).toBe(2)
      expect(scrape.value("render_c_unused", { quantile: "0.9" })).toBeNaN()
      expect(scrape.families.get("render_c_colour_total")?.type).toBe("counter")
      expect(scrape.value("render_c_colour_total", { key: "red" })).toBe(2)
      expect(scrape.value("render_c_colour_total", { key: "blue" })).toBe(1)
    }))

  it.effect("names and labels are made valid; label values and help text are escaped", () =>
    Effect.gen(function*() {
      const odd = Metric.counter("render_d.odd-name", { description: "two\nlines \\ one backslash", incremental: true })
      yield* Metric.increment(Metric.tagged(odd, "user.id", "a \"quoted\" \\ value\nnext line"))
      const text = yield* renderedWith("render_d")
      expect(text).toBe(
        "# HELP render_d_odd_name_total two\\nlines \\\\ one backslash\n" +
          "# TYPE render_d_odd_name_total counter\n" +
          "render_d_odd_name_total{user_id=\"a \\\"quoted\\\" \\\\ value\\nnext line\"} 1\n"
      )
      expect(parse(text).value("render_d_odd_name_total", { user_id: "a \"quoted\" \\ value\nnext line" })).toBe(1)
    }))

  it.effect("one name with two types: the second is left out, said in a comment", () =>
    Effect.gen(function*() {
      yield* Metric.increment(Metric.counter("render_e_thing", { incremental: true }))
      yield* Metric.set(Metric.gauge("render_e_thing_total"), 7)
      const text = yield* renderedWith("render_e_")
      const scrape = parse(text)
      expect(scrape.families.size).toBe(1)
      expect(text).toMatch(/^# effect-host: skipped a (gauge|counter) named render_e_thing_total: a (counter|gauge) has that name$/m)
    }))

  it.effect("the whole registry renders to text a strict reader accepts", () =>
    Effect.gen(function*() {
      const scrape = yield* scrapeRegistry
      expect(scrape.samples.size).toBeGreaterThan(10)
    }))
})

describe("the host's metrics", () => {
  it.scoped("hook durations by service, phase and outcome, in seconds of the host's clock", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([
        HostedService.make("HookMetricsDb", {
          start: Effect.sleep("2 seconds"),
          stop: Effect.fail("disk gone")
        }),
        HostedService.make("HookMetricsStuck", { stop: Effect.never })
      ], { shutdownTimeout: "5 seconds" })
      yield* host.advance("2 seconds")
      yield* host.started
      const running = yield* scrapeRegistry
      const h = "effect_host_hook_duration_seconds"
      expect(running.families.get(h)?.type).toBe("histogram")
      expect(running.value(`${h}_count`, { service: "HookMetricsDb", phase: "start", outcome: "success" })).toBe(1)
      expect(running.value(`${h}_sum`, { service: "HookMetricsDb", phase: "start", outcome: "success" })).toBe(2)
      expect(running.value(`${h}_bucket`, { service: "HookMetricsDb", phase: "start", outcome: "success", le: "1" })).toBe(0)
      expect(running.value(`${h}_bucket`, { service: "HookMetricsDb", phase: "start", outcome: "success", le: "2.5" })).toBe(1)

      const exit = yield* host.stop
      expect(Exit.isFailure(exit)).toBe(true)
      const stopped = yield* scrapeRegistry
      // Stopped in reverse order: the stuck one first, cut at the 5 s deadline.
      expect(stopped.value(`${h}_count`, { service: "HookMetricsStuck", phase: "stop", outcome: "interrupted" })).toBe(1)
      expect(stopped.value(`${h}_sum`, { service: "HookMetricsStuck", phase: "stop", outcome: "interrupted" })).toBe(5)
      // The deadline also ended the whole stop: the Db's stop hook never ran.
      expect(stopped.value(`${h}_count`, { service: "HookMetricsDb", phase: "stop", outcome: "failure" })).toBeUndefined()
    }))

  it.scoped("a failing hook is counted with outcome failure", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("HookMetricsFlaky", { stop: Effect.fail("no") })])
      yield* host.started
      yield* host.stop
      const scrape = yield* scrapeRegistry
      expect(
        scrape.value("effect_host_hook_duration_seconds_count", { service: "HookMetricsFlaky", phase: "stop", outcome: "failure" })
      ).toBe(1)
      expect(
        scrape.value("effect_host_hook_duration_seconds_count", { service: "HookMetricsFlaky", phase: "stop", outcome: "success" })
      ).toBeUndefined()
    }))

  it.scoped("the state gauge follows a host from Created to Stopped", () =>
    Effect.gen(function*() {
      const states = ["Created", "Starting", "Started", "Stopping", "Stopped"] as const
      const gauge = Effect.map(
        Effect.forEach(states, (state) => Metric.value(HostMetrics.hostState.pipe(Metric.taggedWithLabels([MetricLabel.make("state", state)])))),
        (values) => Object.fromEntries(states.map((state, i) => [state, values[i]?.value ?? Number.NaN]))
      )
      const before = yield* gauge
      const delta = (now: Record<string, number>) => Object.fromEntries(states.map((s) => [s, (now[s] ?? 0) - (before[s] ?? 0)]))
      const stopStarted = yield* Effect.makeLatch(false)
      const host = yield* TestHost.start([HostedService.make("StateMetrics", { stop: stopStarted.await })])
      yield* host.started
      expect(delta(yield* gauge)).toEqual({ Created: 0, Starting: 0, Started: 1, Stopping: 0, Stopped: 0 })
      yield* host.requestStop
      yield* Effect.yieldNow()
      expect(delta(yield* gauge)).toEqual({ Created: 0, Starting: 0, Started: 0, Stopping: 1, Stopped: 0 })
      yield* stopStarted.open
      yield* host.exit
      expect(delta(yield* gauge)).toEqual({ Created: 0, Starting: 0, Started: 0, Stopping: 0, Stopped: 1 })
      // And as a scraper sees it: one series per state.
      const scrape = yield* scrapeRegistry
      expect(scrape.families.get("effect_host_state")?.type).toBe("gauge")
      for (const state of states) expect(scrape.value("effect_host_state", { state })).toBeGreaterThanOrEqual(0)
    }))
})
