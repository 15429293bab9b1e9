/**
 * Health checks under TestClock: readiness follows the lifecycle, liveness does not, failing and
 * hanging checks are reported with their error, and the endpoints answer 200/503 with JSON.
 * The endpoints are exercised in-process (`HttpApp.toWebHandlerRuntime`), so the check
 * timeouts run on the test's clock; the socket-level behaviour is in HttpHost.test.ts.
 */
import { HttpApp, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Data, Deferred, Effect, Fiber, Layer, Option, TestClock } from "effect"
import { ApplicationLifetime, Host, HostedService } from "effect-host"
import { Health } from "effect-host/http"
import { TestHost } from "effect-host/testing"
import { captureLogs } from "../fixtures/http/client.js"

class DbDown extends Data.TaggedError("DbDown")<{ readonly message: string }> {}

const notFound = Effect.succeed(HttpServerResponse.empty({ status: 404 }))

/** Builds `Host.make(services)` in the test's scope and returns the host's health registry. */
const startHost = <const S extends ReadonlyArray<Layer.Layer.Any>>(services: S, logs = captureLogs()) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Host.make(services)).pipe(Effect.provide(logs.layer))
    return {
      // `unsafeGet`: generic over `services`, the context's type is not resolved here.
      registry: Context.unsafeGet(context, Health.Registry),
      lifetime: Context.get(context, ApplicationLifetime)
    }
  })

/** Calls the health endpoints in-process, on the current fiber's runtime (and clock). */
const endpoints = (registry: Health.Registry["Type"]) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<Health.Registry>().pipe(Effect.provideService(Health.Registry, registry))
    const handler = HttpApp.toWebHandlerRuntime(runtime)(Health.withEndpoints(notFound))
    return (path: string) =>
      Effect.promise(async () => {
        const response = await handler(new Request(`http://localhost${path}`))
        return {
          status: response.status,
          headers: Object.fromEntries(response.headers),
          json: response.status === 404 ? undefined : await response.json() as Health.Report
        }
      })
  })

/** Lets other fibers and I/O run (a macrotask boundary); not a timed wait. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Waits until at least `n` sleeps are pending on the TestClock. */
const awaitSleeps = (n: number) =>
  Effect.gen(function*() {
    while ((yield* TestClock.sleeps()).length < n) yield* settle
  })

describe("Health", () => {
  it.scoped("readiness fails until ApplicationLifetime.started and from the moment the stop begins; liveness stays up", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const record = (label: string) =>
        Effect.gen(function*() {
          const ready = yield* Health.report("ready")
          const live = yield* Health.report("live")
          seen.push(`${label}: ready ${ready.status} (${ready.lifecycle}), live ${live.status}`)
        })
      const Probe = HostedService.make("Probe", {
        start: record("start"),
        started: record("started"),
        stopping: record("stopping"),
        stopped: record("stopped")
      }).pipe(Layer.provide(Health.layer))
      const AfterStarted = Layer.effectDiscard(Effect.gen(function*() {
        const registry = yield* Health.Registry
        const lifetime = yield* ApplicationLifetime
        yield* lifetime.onStarted(record("lifetime.started").pipe(Effect.provideService(Health.Registry, registry)))
      })).pipe(Layer.provide(Health.layer))

      const host = yield* TestHost.start([
        Health.check("db", Effect.void, { tags: ["ready"] }),
        Health.check("loop", Effect.void, { tags: ["live"] }),
        Probe,
        AfterStarted
      ], { logger: false })
      yield* host.started
      yield* host.stop
      expect(seen).toEqual([
        "start: ready Unhealthy (Starting), live Healthy",
        "started: ready Unhealthy (Starting), live Healthy",
        "lifetime.started: ready Healthy (Started), live Healthy",
        "stopping: ready Unhealthy (Stopping), live Healthy",
        "stopped: ready Unhealthy (Stopping), live Healthy"
      ])
    }))

  it.scoped("readiness fails from the first instant of the stop, before any stopping callback registered earlier has finished", () =>
    Effect.gen(function*() {
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      // Registered before the health registry exists: its callback runs first and blocks.
      const Early = Layer.effectDiscard(Effect.flatMap(
        ApplicationLifetime,
        (lifetime) => lifetime.onStopping(Effect.zipRight(Deferred.succeed(entered, undefined), Deferred.await(release)))
      ))
      const { lifetime, registry } = yield* startHost([Early, Health.check("db", Effect.void)])
      // Released however the test ends (this finalizer runs before the host's stop), so that a
      // failed assertion does not hang the stop.
      yield* Effect.addFinalizer(() => Deferred.succeed(release, undefined))
      const ready = Health.report("ready").pipe(Effect.provideService(Health.Registry, registry))
      expect((yield* ready).status).toBe("Healthy")
      yield* lifetime.stopApplication
      yield* Deferred.await(entered)
      expect(yield* ready).toMatchObject({ status: "Unhealthy", lifecycle: "Stopping", reason: "the host is stopping" })
      yield* Deferred.succeed(release, undefined)
      yield* lifetime.stopped
    }))

  const logs = captureLogs()
  it.scoped("a failing check answers 503 with its error in the JSON; the other probes are unaffected", () =>
    Effect.gen(function*() {
      const { registry } = yield* startHost([
        Health.check("db", Effect.fail(new DbDown({ message: "connection refused" })), { tags: ["ready"] }),
        Health.check("cache", Effect.void, { tags: ["ready", "live"] }),
        Health.check("migrations", Effect.die(new Error("boom")), { tags: ["startup"] })
      ], logs)
      const call = yield* endpoints(registry)

      const ready = yield* call("/health/ready")
      expect(ready.status).toBe(503)
      expect(ready.headers["content-type"]).toBe("application/json")
      expect(ready.headers["cache-control"]).toBe("no-store")
      expect(ready.json).toEqual({
        probe: "ready",
        status: "Unhealthy",
        lifecycle: "Started",
        durationMs: 0,
        checks: [
          { name: "db", status: "Unhealthy", durationMs: 0, tags: ["ready"], error: "DbDown: connection refused" },
          { name: "cache", status: "Healthy", durationMs: 0, tags: ["ready", "live"] }
        ]
      })

      const live = yield* call("/health/live?verbose=1")
      expect(live.status).toBe(200)
      expect(live.json?.checks.map((c) => c.name)).toEqual(["cache"])

      const startup = yield* call("/health/startup")
      expect(startup.status).toBe(503)
      expect(startup.json?.checks).toEqual([
        { name: "migrations", status: "Unhealthy", durationMs: 0, tags: ["startup"], error: "Error: boom" }
      ])

      // Other paths go to the application.
      expect((yield* call("/health")).status).toBe(404)

      // The full cause is logged once, when the check turns unhealthy, not on every probe.
      yield* call("/health/ready")
      const warnings = logs.lines.filter((l) => l.level === "WARN").map((l) => l.message)
      expect(warnings).toEqual([
        "Health check db is unhealthy: DbDown: connection refused",
        "Health check migrations is unhealthy: Error: boom"
      ])
    }).pipe(Effect.provide(logs.layer)))

  const historyLogs = captureLogs()
  it.scoped("each registry keeps its own check history: a check turning unhealthy is logged once per host", () =>
    Effect.gen(function*() {
      const logs = historyLogs
      const failing = () => Health.check("db", Effect.fail(new DbDown({ message: "down" })))
      const first = yield* startHost([failing()], logs)
      const second = yield* startHost([failing()], logs)
      expect(first.registry[Health.RegistryTypeId]).toBe(Health.RegistryTypeId)
      expect(first.registry).not.toBe(second.registry)
      for (const { registry } of [first, second, first, second]) {
        // Through the tag's accessor, as a program would call it.
        const ready = yield* Health.Registry.report("ready").pipe(Effect.provideService(Health.Registry, registry))
        expect(ready.status).toBe("Unhealthy")
      }
      const warnings = logs.lines.filter((l) => l.level === "WARN").map((l) => l.message)
      expect(warnings).toEqual(["Health check db is unhealthy: DbDown: down", "Health check db is unhealthy: DbDown: down"])
    }).pipe(Effect.provide(historyLogs.layer)))

  it.scoped("a hanging check is cut at its timeout and reported unhealthy, even one that ignores interruption", () =>
    Effect.gen(function*() {
      const { registry } = yield* startHost([
        Health.check("slow", Effect.never, { tags: ["ready"], timeout: "2 seconds" }),
        Health.check("stuck", Effect.uninterruptible(Effect.sleep("1 hour")), { tags: ["ready"], timeout: "3 seconds" }),
        Health.check("fine", Effect.sleep("1 second"), { tags: ["ready"] })
      ])
      const call = yield* endpoints(registry)

      const fiber = yield* Effect.fork(call("/health/ready"))
      // The request reaches the checks through a Promise: wait until the three checks sleep.
      yield* awaitSleeps(3)
      yield* TestClock.adjust("2 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 second")
      const ready = yield* Fiber.join(fiber)
      expect(ready.status).toBe(503)
      expect(ready.json?.durationMs).toBe(3000)
      expect(ready.json?.checks).toEqual([
        { name: "slow", status: "Unhealthy", durationMs: 2000, tags: ["ready"], error: "timed out after 2s" },
        { name: "stuck", status: "Unhealthy", durationMs: 3000, tags: ["ready"], error: "timed out after 3s" },
        { name: "fine", status: "Healthy", durationMs: 1000, tags: ["ready"] }
      ])
    }))

  it.scoped("the default timeout is 5 seconds and the default tag is ready", () =>
    Effect.gen(function*() {
      const { registry } = yield* startHost([Health.check("hangs", Effect.never)])
      const fiber = yield* Effect.fork(Health.report("ready").pipe(Effect.provideService(Health.Registry, registry)))
      yield* TestClock.adjust("5 seconds")
      const report = yield* Fiber.join(fiber)
      expect(report.checks).toEqual([
        { name: "hangs", status: "Unhealthy", durationMs: 5000, tags: ["ready"], error: "timed out after 5s" }
      ])
    }))

  it.scoped("checks use the services of their layer's context; paths are configurable", () =>
    Effect.gen(function*() {
      class Db extends Context.Tag("test/Db")<Db, { readonly ping: Effect.Effect<void, DbDown> }>() {}
      const DbLive = Layer.succeed(Db, { ping: Effect.fail(new DbDown({ message: "down for maintenance" })) })
      const { registry } = yield* startHost([
        Health.check("db", Effect.flatMap(Db, (db) => db.ping)).pipe(Layer.provide(DbLive))
      ])
      const runtime = yield* Effect.runtime<Health.Registry>().pipe(Effect.provideService(Health.Registry, registry))
      const handler = HttpApp.toWebHandlerRuntime(runtime)(Health.withEndpoints(notFound, { ready: "/readyz" }))
      const response = yield* Effect.promise(() => handler(new Request("http://localhost/readyz")))
      expect(response.status).toBe(503)
      const report = yield* Effect.promise(() => response.json() as Promise<Health.Report>)
      expect(report.checks[0]?.error).toBe("DbDown: down for maintenance")
      expect((yield* Effect.promise(() => handler(new Request("http://localhost/health/ready")))).status).toBe(404)
    }))
})
