/**
 * Traces and metrics of a host: its spans go to OpenTelemetry through `@effect/opentelemetry`
 * (printed here, one line per span, as each one ends), its metrics are served in the Prometheus
 * format at `/metrics`.
 *
 *   curl -X POST http://localhost:3000/mail     # a queue task, in the request's trace
 *   curl http://localhost:3000/metrics          # every metric: hooks, runs, the queue, HTTP
 *
 * What it shows: the start (`Host.start` → `Host.phase.start` → `HostedService.start`), a
 * scheduled report every second (each run a trace of its own; every third one fails: an error
 * span), mail tasks queued from HTTP requests, and at Ctrl+C the stop (`Host.stop` →
 * `HttpHost.drain`, `Host.phase.stop` …), all printed before the process exits: the SDK's layer
 * is released after the host stopped, and its shutdown flushes the last spans.
 *
 * Run: `node --import tsx examples/otel.ts` (port: `--Http:Port=8080`), then press Ctrl+C.
 * Needs the dev dependencies `@effect/opentelemetry`, `@opentelemetry/sdk-trace-base` and
 * `@opentelemetry/sdk-trace-node` (and their peers); a program without them pays nothing.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Console, Effect, Layer, Schedule } from "effect"
import { BackgroundTaskQueue, Host, HostedService, ScheduledService } from "effect-host"
import { HttpHost } from "effect-host/http"
import { NodeHost } from "effect-host/node"

/**
 * Prints each span as it ends: name, duration, trace, parent and attributes. In production,
 * export to a collector instead, e.g. `new BatchSpanProcessor(new OTLPTraceExporter())` from
 * `@opentelemetry/sdk-trace-base` and `@opentelemetry/exporter-trace-otlp-http`.
 */
class PrintSpans implements SpanProcessor {
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    const ms = span.duration[0] * 1000 + span.duration[1] / 1e6
    const attributes = Object.entries(span.attributes).map(([k, v]) => `${k}=${String(v)}`).join(" ")
    const parent = span.parentSpanContext?.spanId.slice(0, 8) ?? "-"
    const status = span.status.code === 2 ? ` ERROR ${span.status.message ?? ""}` : ""
    console.log(
      `[span] ${span.name} ${ms.toFixed(1)}ms trace=${span.spanContext().traceId.slice(0, 8)} ` +
        `id=${span.spanContext().spanId.slice(0, 8)} parent=${parent}${status} ${attributes}`
    )
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

// The whole setup: the SDK as a layer, provided around `Host.launch` (the host looks for a
// tracer when it is built, and adds no spans without one).
const Tracing = NodeSdk.layer(() => ({
  resource: { serviceName: "otel-example", serviceVersion: "1.0.0" },
  spanProcessor: new PrintSpans(),
  // The flush at exit must fit in the runner's guard margin (1 s after the shutdown budget).
  shutdownTimeout: "500 millis"
}))

const Database = HostedService.make("Database", {
  start: Effect.zipRight(Effect.sleep("50 millis"), Console.log("Database: connected")),
  stop: Console.log("Database: disconnected")
})

let reports = 0
const Report = ScheduledService.make("Report", {
  schedule: Schedule.spaced("1 second"),
  run: Effect.suspend(() => {
    const n = ++reports
    return n % 3 === 0 ? Effect.fail(`report ${n}: upstream unavailable`) : Console.log(`Report ${n} sent`)
  })
})

const Mail = BackgroundTaskQueue.layer({ name: "Mail", capacity: 100 })

let mails = 0
const router = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("POST /mail queues a mail; GET /metrics shows the metrics\n")),
  HttpRouter.post(
    "/mail",
    Effect.gen(function*() {
      const id = ++mails
      yield* BackgroundTaskQueue.enqueue(Effect.zipRight(Effect.sleep("100 millis"), Console.log(`Mail ${id} sent`)))
      return yield* HttpServerResponse.json({ id }, { status: 202 })
    })
  )
)

// Development by default, for human-readable logs (`--environment Production` logs JSON lines).
const options = { configuration: { values: { environment: "Development" } } }

Host.launch([
  Database,
  Report,
  Mail,
  HttpHost.layer(router, { metrics: true }).pipe(Layer.provide(Mail))
], options).pipe(
  Effect.provide(Tracing),
  NodeHost.runMain
)
