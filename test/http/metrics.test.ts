/**
 * HttpHost's Prometheus endpoint over real sockets: off by default, on through code or
 * configuration (`Http:Metrics:Enabled`, `Http:Metrics:Path`), and what a scraper reads after a
 * run with a failing scheduled job and a queue that worked off its tasks (and, from a second
 * host, after the first one drained its queue at stop). Scheduled runs and tasks move on the
 * TestClock; the sockets are real.
 *
 * Metrics are global to the test file's process: every test uses service names of its own.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Layer, Schedule } from "effect"
import { BackgroundTaskQueue, HostedService, ScheduledService } from "effect-host"
import { HttpHost } from "effect-host/http"
import { TestHost } from "effect-host/testing"
import * as Http from "node:http"
import { assertSuccess, settle } from "../util/background.js"
import { parse, scrapeRegistry } from "../util/prometheus.js"
import { baseUrl, captureLogs, eventually, get } from "../fixtures/http/client.js"

const hello = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

/** A request with any method on a fresh connection: status, headers, body. */
const request = (method: string, url: string) =>
  Effect.promise(() =>
    new Promise<{ readonly status: number; readonly headers: Http.IncomingHttpHeaders; readonly body: string }>(
      (resolve, reject) => {
        const req = Http.request(url, { method, agent: false }, (response) => {
          let body = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => (body += chunk))
          response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
        })
        req.on("error", reject)
        req.end()
      }
    )
  )

/** The service that hands the test the running HttpHost. */
const capture = () => {
  const captured: { http?: HttpHost.HttpHost["Type"] } = {}
  const layer = Layer.effectDiscard(Effect.map(HttpHost.HttpHost, (http) => void (captured.http = http)))
  const url = Effect.suspend(() => {
    const http = captured.http
    if (http === undefined) return Effect.dieMessage("HttpHost was not built")
    return Effect.map(http.address, baseUrl)
  })
  return { layer, url }
}

/** The service that hands the test the queue. */
const captureQueue = () => {
  const captured: { queue?: BackgroundTaskQueue.Service } = {}
  const layer = Layer.effectDiscard(Effect.map(BackgroundTaskQueue, (queue) => void (captured.queue = queue)))
  const queue = Effect.suspend(() => captured.queue === undefined ? Effect.dieMessage("no queue") : Effect.succeed(captured.queue))
  return { layer, queue }
}

/** GETs `path` and reads it strictly as Prometheus text. */
const scrape = (url: string) =>
  Effect.map(Effect.promise(() => get(url)), (answer) => ({ ...answer, metrics: parse(answer.body) }))

describe("HttpHost metrics endpoint", () => {
  it.scoped("after a failing scheduled run and a worked-off queue, a scrape shows every series", () =>
    Effect.gen(function*() {
      let run = 0
      const Flaky = ScheduledService.make("ScrapeFlaky", {
        schedule: Schedule.spaced("1 minute"),
        run: Effect.suspend(() => (++run === 2 ? Effect.fail("report service down") : Effect.void))
      })
      const Mail = BackgroundTaskQueue.layer({ name: "ScrapeMail", capacity: 10 })
      const http = capture()
      const mail = captureQueue()
      const host = yield* TestHost.start([
        Flaky,
        Mail,
        mail.layer,
        // Metrics are process-wide and other test files share this worker: a name of its own.
        HttpHost.layer(hello, { name: "ScrapeHttp", port: 0, host: "127.0.0.1", metrics: true }),
        http.layer
      ])
      yield* host.started
      const url = yield* http.url
      const queue = yield* mail.queue
      for (let i = 1; i <= 4; i++) yield* queue.enqueue(i === 3 ? Effect.fail("bounced") : Effect.void)
      yield* host.advance("3 minutes")
      yield* settle

      const { headers, metrics, status } = yield* scrape(`${url}/metrics`)
      expect(status).toBe(200)
      expect(headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8")
      const value = metrics.value
      expect(value("effect_host_scheduled_runs_total", { service: "ScrapeFlaky", outcome: "success" })).toBe(2)
      expect(value("effect_host_scheduled_runs_total", { service: "ScrapeFlaky", outcome: "failure" })).toBe(1)
      expect(value("effect_host_scheduled_lateness_seconds_count", { service: "ScrapeFlaky" })).toBe(3)
      expect(value("effect_host_scheduled_lateness_seconds_sum", { service: "ScrapeFlaky" })).toBe(0)
      expect(value("effect_host_queue_tasks_enqueued_total", { service: "ScrapeMail" })).toBe(4)
      expect(value("effect_host_queue_tasks_completed_total", { service: "ScrapeMail" })).toBe(4)
      expect(value("effect_host_queue_tasks_failed_total", { service: "ScrapeMail" })).toBe(1)
      expect(value("effect_host_queue_depth", { service: "ScrapeMail" })).toBe(0)
      expect(value("effect_host_queue_in_flight", { service: "ScrapeMail" })).toBe(0)
      for (const service of ["ScrapeFlaky", "ScrapeMail"]) {
        expect(value("effect_host_hook_duration_seconds_count", { service, phase: "start", outcome: "success" }), service).toBe(1)
      }
      // HttpHost's listen is the last step of the start: timed in the phase "started".
      expect(value("effect_host_hook_duration_seconds_count", { service: "ScrapeHttp", phase: "started", outcome: "success" })).toBe(1)
      expect(value("effect_host_state", { state: "Started" })).toBe(1)
      // The scrape itself is the one request in flight.
      expect(value("effect_host_http_in_flight_requests", { service: "ScrapeHttp" })).toBe(1)
      expect(metrics.families.get("effect_host_hook_duration_seconds")).toEqual({
        type: "histogram",
        help: "Duration of hosted-service hooks, by service, phase and outcome"
      })
      expect(metrics.families.get("effect_host_queue_tasks_completed_total")?.type).toBe("counter")
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a second host scrapes what the first did at stop: its queue drained, its server drained", () =>
    Effect.gen(function*() {
      const http = capture()
      const mail = captureQueue()
      // Stopped in reverse order: the server drains first, then the queue works off its three
      // tasks of 1 s each, then the slow service takes 3 s more.
      const first = yield* TestHost.start([
        HostedService.make("DrainSlowStop", { stop: Effect.sleep("3 seconds") }),
        BackgroundTaskQueue.layer({ name: "DrainMail", capacity: 10 }),
        mail.layer,
        HttpHost.layer(hello, { name: "FirstHttp", port: 0, host: "127.0.0.1" })
      ])
      yield* first.started
      const queue = yield* mail.queue
      for (let i = 0; i < 3; i++) yield* queue.enqueue(Effect.sleep("1 second"))
      assertSuccess(yield* first.stop)

      const second = yield* TestHost.start([HttpHost.layer(hello, { name: "SecondHttp", port: 0, host: "127.0.0.1", metrics: true }), http.layer])
      yield* second.started
      const url = yield* http.url
      const { metrics } = yield* scrape(`${url}/metrics`)
      const value = metrics.value
      // Drained at stop: every task completed, none unprocessed.
      expect(value("effect_host_queue_tasks_completed_total", { service: "DrainMail" })).toBe(3)
      for (const status of ["notStarted", "interrupted", "abandoned"]) {
        expect(value("effect_host_queue_tasks_unprocessed_total", { service: "DrainMail", status })).toBe(0)
      }
      expect(value("effect_host_queue_wait_seconds_total", { service: "DrainMail" })).toBe(3)
      expect(value("effect_host_hook_duration_seconds_sum", { service: "DrainSlowStop", phase: "stop", outcome: "success" })).toBe(3)
      expect(value("effect_host_hook_duration_seconds_sum", { service: "DrainMail", phase: "stop", outcome: "success" })).toBe(3)
      expect(value("effect_host_http_drain_duration_seconds_count", { service: "FirstHttp", outcome: "graceful" })).toBe(1)
      expect(value("effect_host_hook_duration_seconds_count", { service: "FirstHttp", phase: "stopping", outcome: "success" })).toBe(1)
      expect(value("effect_host_http_in_flight_requests", { service: "FirstHttp" })).toBe(0)
      expect(value("effect_host_state", { state: "Stopped" })).toBeGreaterThanOrEqual(1)
      assertSuccess(yield* second.stop)
    }))

  it.scoped("a drain cut at HttpHost's deadline is counted with outcome deadline, for as long as it took", () =>
    Effect.gen(function*() {
      const stuck = HttpRouter.empty.pipe(HttpRouter.get("/stuck", Effect.as(Effect.never, HttpServerResponse.text("never"))))
      const http = capture()
      const host = yield* TestHost.start([
        HttpHost.layer(stuck, { name: "StuckHttp", port: 0, host: "127.0.0.1", shutdownTimeout: "4 seconds" }),
        http.layer
      ])
      yield* host.started
      const url = yield* http.url
      const answer = get(`${url}/stuck`).catch((error: Error) => error.message)
      yield* eventually(Effect.map(scrapeRegistry, (s) => s.value("effect_host_http_in_flight_requests", { service: "StuckHttp" }) === 1))
      assertSuccess(yield* host.stop)
      yield* Effect.promise(() => answer)
      const scrape = yield* scrapeRegistry
      expect(scrape.value("effect_host_http_drain_duration_seconds_count", { service: "StuckHttp", outcome: "deadline" })).toBe(1)
      expect(scrape.value("effect_host_http_drain_duration_seconds_sum", { service: "StuckHttp", outcome: "deadline" })).toBe(4)
      expect(scrape.value("effect_host_http_drain_duration_seconds_count", { service: "StuckHttp", outcome: "graceful" })).toBeUndefined()
      expect(scrape.value("effect_host_http_in_flight_requests", { service: "StuckHttp" })).toBe(0)
    }))

  it.scoped("off by default: the application answers /metrics", () =>
    Effect.gen(function*() {
      const http = capture()
      const host = yield* TestHost.start([HttpHost.layer(hello, { name: "OffHttp", port: 0, host: "127.0.0.1" }), http.layer])
      yield* host.started
      const url = yield* http.url
      expect((yield* Effect.promise(() => get(`${url}/metrics`))).status).toBe(404)
      expect((yield* Effect.promise(() => get(`${url}/`))).body).toBe("hello")
      assertSuccess(yield* host.stop)
    }))

  it.scoped("Http:Metrics:Enabled and Http:Metrics:Path turn it on elsewhere; GET and HEAD only; code's false wins", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromJson({ Http: { Metrics: { Enabled: true, Path: "/internal/metrics" } } })
      const http = capture()
      const host = yield* TestHost.start([HttpHost.layer(hello, { name: "ConfigHttp", port: 0, host: "127.0.0.1" }), http.layer]).pipe(
        Effect.withConfigProvider(provider)
      )
      yield* host.started
      const url = yield* http.url
      const scraped = yield* scrape(`${url}/internal/metrics?format=text`)
      expect(scraped.status).toBe(200)
      expect(scraped.metrics.families.get("effect_host_state")?.type).toBe("gauge")
      expect((yield* Effect.promise(() => get(`${url}/metrics`))).status).toBe(404)
      const head = yield* request("HEAD", `${url}/internal/metrics`)
      expect(head.status).toBe(200)
      expect(head.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8")
      expect(head.body).toBe("")
      // Any other method goes to the application (which has no such route).
      expect((yield* request("POST", `${url}/internal/metrics`)).status).toBe(404)
      assertSuccess(yield* host.stop)

      const off = capture()
      const disabled = yield* TestHost.start([
        HttpHost.layer(hello, { name: "ConfigOffHttp", port: 0, host: "127.0.0.1", metrics: false }),
        off.layer
      ]).pipe(Effect.withConfigProvider(provider))
      yield* disabled.started
      const offUrl = yield* off.url
      expect((yield* Effect.promise(() => get(`${offUrl}/internal/metrics`))).status).toBe(404)
      assertSuccess(yield* disabled.stop)
    }))

  it.scoped("a path in code: { path }", () =>
    Effect.gen(function*() {
      const http = capture()
      const host = yield* TestHost.start([
        HttpHost.layer(hello, { name: "PathHttp", port: 0, host: "127.0.0.1", metrics: { path: "/ops/prometheus" } }),
        http.layer
      ])
      yield* host.started
      const url = yield* http.url
      expect((yield* scrape(`${url}/ops/prometheus`)).status).toBe(200)
      assertSuccess(yield* host.stop)
    }))

  it.effect("invalid Http:Metrics keys fail the host before anything starts, each key named", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromJson({ Http: { Metrics: { Enabled: "maybe", Path: "metrics" } } })
      const exit = yield* TestHost.start([HttpHost.layer(hello, { name: "BadHttp", port: 0 })]).pipe(
        Effect.flatMap((host) => host.exit),
        Effect.withConfigProvider(provider),
        Effect.provide(captureLogs().layer),
        Effect.scoped
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      expect(message).toMatch(/ConfigurationError/)
      expect(message).toMatch(/Http.Metrics.Enabled/)
      expect(message).toMatch(/Http.Metrics.Path.*starting with \//s)
    }))
})
