/**
 * The host's spans through @effect/opentelemetry (NodeSdk.layer) into the SDK's
 * InMemorySpanExporter: the tree host → phase → hook, failing hooks as error spans, durations on
 * the host's clock (TestClock here), background attempts, scheduled runs and queue tasks in
 * traces that fit them, HttpHost's listen and drain, and the resource.
 *
 * The exporter is emptied when the SDK's layer is released, so every test reads the spans inside
 * the layer's scope.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Schedule } from "effect"
import { BackgroundService, BackgroundTaskQueue, HostedService, ScheduledService } from "effect-host"
import { HttpHost } from "effect-host/http"
import { TestHost } from "effect-host/testing"
import { settle } from "./util/background.js"

/** A fresh exporter and the SDK's layer around it. */
const tracing = () => {
  const exporter = new InMemorySpanExporter()
  const layer = NodeSdk.layer(() => ({
    resource: { serviceName: "otel-test", serviceVersion: "1.2.3" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))
  const spans = Effect.sync(() => exporter.getFinishedSpans())
  return { layer, spans }
}

const idOf = (span: ReadableSpan) => span.spanContext().spanId
const parentIdOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const millis = (span: ReadableSpan) => span.duration[0] * 1000 + span.duration[1] / 1e6

/** The one finished span named `name` whose attributes include `attributes`. */
const find = (spans: ReadonlyArray<ReadableSpan>, name: string, attributes: Record<string, unknown> = {}) => {
  const found = spans.filter((s) => s.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v))
  if (found.length !== 1) {
    throw new Error(`expected one span ${name} ${JSON.stringify(attributes)}, found ${found.length} in: ${spans.map((s) => s.name).join(", ")}`)
  }
  return found[0] as ReadableSpan
}

const children = (spans: ReadonlyArray<ReadableSpan>, parent: ReadableSpan) =>
  spans.filter((s) => parentIdOf(s) === idOf(parent)).map((s) => s.name)

const OK = 1
const ERROR = 2

describe("spans through @effect/opentelemetry", () => {
  it.scoped("host → phase → hook, with names, phases, outcomes, durations on the host's clock; a failed hook is an error span", () => {
    const { layer, spans } = tracing()
    return Effect.gen(function*() {
      const host = yield* TestHost.start([
        HostedService.make("Db", { starting: Effect.void, start: Effect.sleep("2 seconds"), stop: Effect.void }),
        HostedService.make("Cache", { start: Effect.void, stop: Effect.fail("flush failed") })
      ])
      yield* host.advance("2 seconds")
      yield* host.started
      yield* host.stop
      const all = yield* spans

      const start = find(all, "Host.start")
      expect(parentIdOf(start)).toBeUndefined()
      expect(start.attributes).toMatchObject({ "effect_host.services": 2, "effect_host.outcome": "success" })
      expect(children(all, start)).toEqual(["Host.phase.starting", "Host.phase.start", "Host.phase.started", "ApplicationLifetime.started"])
      const startPhase = find(all, "Host.phase.start")
      expect(parentIdOf(startPhase)).toBe(idOf(start))
      expect(startPhase.attributes).toMatchObject({ "effect_host.phase": "start", "effect_host.outcome": "success" })
      const dbStart = find(all, "HostedService.start", { "effect_host.service": "Db" })
      expect(parentIdOf(dbStart)).toBe(idOf(startPhase))
      expect(dbStart.attributes).toEqual({ "effect_host.service": "Db", "effect_host.phase": "start", "effect_host.outcome": "success" })
      expect(dbStart.status.code).toBe(OK)
      expect(millis(dbStart)).toBe(2000)
      expect(millis(start)).toBe(2000)
      expect(parentIdOf(find(all, "HostedService.starting", { "effect_host.service": "Db" }))).toBe(idOf(find(all, "Host.phase.starting")))

      const stop = find(all, "Host.stop")
      expect(parentIdOf(stop)).toBeUndefined()
      expect(stop.attributes).toMatchObject({ "effect_host.outcome": "failure" })
      expect(children(all, stop)).toEqual([
        "ApplicationLifetime.stopping",
        "Host.phase.stopping",
        "Host.phase.stop",
        "Host.phase.stopped",
        "ApplicationLifetime.stopped"
      ])
      const stopPhase = find(all, "Host.phase.stop")
      expect(stopPhase.attributes).toMatchObject({ "effect_host.outcome": "failure", "effect_host.services": 2 })
      const cacheStop = find(all, "HostedService.stop", { "effect_host.service": "Cache" })
      expect(parentIdOf(cacheStop)).toBe(idOf(stopPhase))
      expect(cacheStop.attributes["effect_host.outcome"]).toBe("failure")
      expect(cacheStop.status).toMatchObject({ code: ERROR })
      expect(find(all, "HostedService.stop", { "effect_host.service": "Db" }).status.code).toBe(OK)
      // Three traces: reading the configuration, the start, the stop; every other span is in one of them.
      expect(all.filter((s) => parentIdOf(s) === undefined).map((s) => s.name).sort()).toEqual(["Host.configure", "Host.start", "Host.stop"])
      expect(dbStart.spanContext().traceId).toBe(start.spanContext().traceId)
      expect(cacheStop.spanContext().traceId).toBe(stop.spanContext().traceId)
      expect(start.resource.attributes).toMatchObject({ "service.name": "otel-test", "service.version": "1.2.3" })
    }).pipe(Effect.provide(layer))
  })

  for (const concurrently of [false, true]) {
    it.scoped(`a hook's own spans are children of its span, each hook's span a child of its phase${concurrently ? " (concurrent phases)" : ""}; a service's context stays its own`, () => {
      const { layer, spans } = tracing()
      class Db extends Context.Tag("otel-test/Db")<Db, string>() {}
      const seen: Array<string> = []
      return Effect.gen(function*() {
        const host = yield* TestHost.start([
          HostedService.make("A", { start: Effect.withSpan(Effect.flatMap(Db, (db) => Effect.sync(() => seen.push(`A ${db}`))), "A.inner") })
            .pipe(Layer.provide(Layer.succeed(Db, "main"))),
          HostedService.make("B", {
            start: Effect.withSpan(Effect.map(Effect.serviceOption(Db), (db) => seen.push(`B ${Option.isSome(db) ? db.value : "none"}`)), "B.inner")
          })
        ], { servicesStartConcurrently: concurrently, servicesStopConcurrently: concurrently })
        yield* host.started
        yield* host.stop
        const all = yield* spans
        const phase = find(all, "Host.phase.start")
        for (const name of ["A", "B"]) {
          const hook = find(all, "HostedService.start", { "effect_host.service": name })
          expect(parentIdOf(hook)).toBe(idOf(phase))
          expect(parentIdOf(find(all, `${name}.inner`))).toBe(idOf(hook))
        }
        expect(seen).toEqual(["A main", "B none"])
      }).pipe(Effect.provide(layer))
    })
  }

  it.scoped("a background service's attempts: a trace each, linked to its start hook, with the attempt and the outcome", () => {
    const { layer, spans } = tracing()
    return Effect.gen(function*() {
      let attempt = 0
      const host = yield* TestHost.start([
        BackgroundService.make("Poller", Effect.suspend(() => (++attempt === 1 ? Effect.fail("connection refused") : Effect.never)), {
          restart: Schedule.spaced("1 second")
        })
      ])
      yield* host.started
      yield* settle
      yield* host.advance("1 second")
      yield* host.stop
      const all = yield* spans
      const startHook = find(all, "HostedService.start", { "effect_host.service": "Poller" })
      const first = find(all, "BackgroundService.execute", { "effect_host.attempt": 1 })
      const second = find(all, "BackgroundService.execute", { "effect_host.attempt": 2 })
      for (const span of [first, second]) {
        expect(parentIdOf(span)).toBeUndefined()
        expect(span.attributes["effect_host.service"]).toBe("Poller")
        expect(span.links.map((l) => l.context.spanId)).toEqual([idOf(startHook)])
      }
      expect(first.status.code).toBe(ERROR)
      expect(first.attributes["effect_host.outcome"]).toBe("failure")
      // The second ran until the host's stop interrupted it: not an error.
      expect(second.attributes["effect_host.outcome"]).toBe("interrupted")
      expect(second.status.code).toBe(OK)
      expect(millis(second)).toBe(0)
    }).pipe(Effect.provide(layer))
  })

  it.scoped("scheduled runs: a trace each, linked to the service's start hook; lateness and outcome", () => {
    const { layer, spans } = tracing()
    return Effect.gen(function*() {
      let run = 0
      const host = yield* TestHost.start([
        ScheduledService.make("Report", {
          schedule: Schedule.spaced("1 minute"),
          run: Effect.suspend(() => (++run === 2 ? Effect.fail("no data") : Effect.sleep("5 seconds")))
        })
      ])
      yield* host.started
      yield* host.advance("2 minutes")
      yield* host.advance("5 seconds")
      yield* host.stop
      const all = yield* spans
      const startHook = find(all, "HostedService.start", { "effect_host.service": "Report" })
      const runs = all.filter((s) => s.name === "ScheduledService.run")
      expect(runs.map((s) => s.attributes["effect_host.outcome"])).toEqual(["success", "failure"])
      for (const span of runs) {
        expect(parentIdOf(span)).toBeUndefined()
        expect(span.attributes).toMatchObject({ "effect_host.service": "Report", "effect_host.lateness_ms": 0 })
        expect(span.links.map((l) => l.context.spanId)).toEqual([idOf(startHook)])
      }
      expect(millis(runs[0] as ReadableSpan)).toBe(5000)
      expect(runs[1]?.status.code).toBe(ERROR)
    }).pipe(Effect.provide(layer))
  })

  it.scoped("a queue task's span is a child of the span that enqueued it, or a trace of its own", () => {
    const { layer, spans } = tracing()
    return Effect.gen(function*() {
      const captured: { queue?: BackgroundTaskQueue.Service } = {}
      const Mail = BackgroundTaskQueue.layer({ name: "Mail", capacity: 10 })
      const Capture = Layer.effectDiscard(Effect.map(BackgroundTaskQueue, (queue) => void (captured.queue = queue)))
      const host = yield* TestHost.start([Mail, Capture])
      yield* host.started
      const queue = captured.queue
      if (queue === undefined) throw new Error("no queue")
      yield* queue.enqueue(Effect.sleep("1 second")).pipe(Effect.withSpan("POST /mail"))
      yield* queue.enqueue(Effect.fail("bounced"))
      yield* host.advance("1 second")
      yield* settle
      yield* host.stop
      const all = yield* spans
      const request = find(all, "POST /mail")
      const tasks = all.filter((s) => s.name === "BackgroundTaskQueue.task")
      expect(tasks).toHaveLength(2)
      const [sent, bounced] = tasks
      expect(parentIdOf(sent as ReadableSpan)).toBe(idOf(request))
      expect(sent?.spanContext().traceId).toBe(request.spanContext().traceId)
      expect(sent?.attributes).toMatchObject({ "effect_host.service": "Mail", "effect_host.outcome": "success" })
      expect(millis(sent as ReadableSpan)).toBe(1000)
      expect(parentIdOf(bounced as ReadableSpan)).toBeUndefined()
      expect(bounced?.status.code).toBe(ERROR)
      // Not children of the queue's start hook.
      expect(children(all, find(all, "HostedService.start", { "effect_host.service": "Mail" }))).toEqual([])
    }).pipe(Effect.provide(layer))
  })

  it.scoped("HttpHost's listen and drain: steps of the host's start and stop", () => {
    const { layer, spans } = tracing()
    return Effect.gen(function*() {
      const hello = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
      const host = yield* TestHost.start([HttpHost.layer(hello, { name: "Api", port: 0, host: "127.0.0.1" })])
      yield* host.started
      yield* host.stop
      const all = yield* spans
      const listen = find(all, "HttpHost.listen")
      expect(listen.attributes).toMatchObject({ "effect_host.service": "Api" })
      const startedEvent = find(all, "ApplicationLifetime.started")
      expect(parentIdOf(listen)).toBe(idOf(startedEvent))
      expect(parentIdOf(startedEvent)).toBe(idOf(find(all, "Host.start")))
      const drain = find(all, "HttpHost.drain")
      expect(drain.attributes).toMatchObject({ "effect_host.service": "Api" })
      const stoppingEvent = find(all, "ApplicationLifetime.stopping")
      expect(parentIdOf(drain)).toBe(idOf(stoppingEvent))
      expect(parentIdOf(stoppingEvent)).toBe(idOf(find(all, "Host.stop")))
    }).pipe(Effect.provide(layer))
  })
})

describe("without a tracer", () => {
  it.scoped("hooks, background attempts and scheduled runs run in no span of the host's", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const spanName = (where: string) =>
        Effect.map(Effect.option(Effect.currentSpan), (span) => void seen.push(`${where}: ${span._tag === "Some" ? span.value.name : "none"}`))
      const host = yield* TestHost.start([
        HostedService.make("Plain", { start: spanName("hook") }),
        BackgroundService.make("PlainWorker", Effect.zipRight(spanName("execute"), Effect.never)),
        ScheduledService.make("PlainJob", { schedule: Schedule.spaced("1 second"), run: spanName("run") })
      ])
      yield* host.started
      yield* host.advance("1 second")
      yield* host.stop
      expect(seen.sort()).toEqual(["execute: none", "hook: none", "run: none"])
    }))
})
