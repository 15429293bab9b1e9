/**
 * The host as a `Layer` (`Host.make`) and as a program (`Host.launch`): what it provides, how
 * hosted services get their requirements, and how options come from code and configuration.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Exit, Fiber, Layer, Option } from "effect"
import { ApplicationLifetime, BackgroundService, Host, HostedService, HostEnvironment } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, defectTags, failureOf, settle } from "./util/host.js"
import { expectedTrace, Recorder } from "./util/recorder.js"

class Db extends Context.Tag("test/Db")<Db, { readonly query: (sql: string) => Effect.Effect<string> }>() {}

const withConfig = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

describe("Host.make (the host as a Layer)", () => {
  it.effect("Effect.provide starts the services before the program and stops them after it", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      yield* Effect.gen(function*() {
        yield* ApplicationLifetime.started
        const env = yield* HostEnvironment
        yield* rec.record(`program in ${env.environmentName}`)
      }).pipe(Effect.provide(Host.make([rec.lifetime(), rec.service("A"), rec.service("B")], {
        environment: { environmentName: "Staging" }
      })))
      expect(rec.log).toStrictEqual([
        ...expectedTrace(["A", "B"]).slice(0, 7),
        "program in Staging",
        ...expectedTrace(["A", "B"]).slice(7)
      ])
    }))

  it.effect("a failed start fails the layer with the HostError; the program never runs", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* rec.record("program").pipe(
        Effect.provide(Host.make([rec.service("A"), rec.service("B", { start: Effect.fail("no") })])),
        Effect.exit
      )
      expect(failureOf(exit)._tag).toBe("HostStartError")
      expect(rec.log).not.toContain("program")
      expect(rec.log.slice(-3)).toStrictEqual(["A.stopping", "A.stop", "A.stopped"])
    }))

  it.effect("stopApplication during the start interrupts the layer's build: the program never runs, what started is rolled back", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* rec.record("program").pipe(
        Effect.provide(Host.make([
          rec.service("A"),
          rec.service("B", { start: ApplicationLifetime.stopApplication }),
          rec.service("C")
        ])),
        Effect.exit
      )
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(rec.log).not.toContain("program")
      expect(rec.log).not.toContain("C.start")
      expect(rec.log.slice(-6)).toStrictEqual(["B.stopping", "A.stopping", "B.stop", "A.stop", "B.stopped", "A.stopped"])
    }))

  it.effect("interrupting the program stops the host", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const fiber = yield* Effect.never.pipe(Effect.provide(Host.make([rec.service("A")])), Effect.fork)
      yield* settle
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started"])
      yield* Fiber.interrupt(fiber)
      expect(rec.log.slice(3)).toStrictEqual(["A.stopping", "A.stop", "A.stopped"])
    }))

  it.effect("a stop that fails after the program ended: the program's exit is a failure carrying the HostStopError", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* rec.record("program").pipe(
        Effect.provide(Host.make([rec.service("A", { stop: Effect.fail("stop boom") })])),
        Effect.exit
      )
      expect(rec.log).toContain("program")
      expect(defectTags(exit)).toStrictEqual(["HostStopError"])
    }))

  it.effect("a background service that fails under StopHost: the services stop, and the program's exit carries the BackgroundServiceError", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* Effect.gen(function*() {
        yield* ApplicationLifetime.stopped
        yield* rec.record("program saw the stop")
      }).pipe(
        Effect.provide(Host.make([rec.service("A"), BackgroundService.make("Bg", Effect.zipRight(ApplicationLifetime.started, Effect.fail("bg boom")))])),
        Effect.exit
      )
      expect(rec.log).toContain("A.stopped")
      expect(rec.log).toContain("program saw the stop")
      expect(defectTags(exit)).toStrictEqual(["BackgroundServiceError"])
    }))

  it.effect("a graceful stop after the program leaves its success alone", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* rec.record("program").pipe(Effect.as(42), Effect.provide(Host.make([rec.service("A")])), Effect.exit)
      expect(exit).toStrictEqual(Exit.succeed(42))
    }))

  it.effect("interrupting Host.launch during start interrupts the start and rolls back what had started", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const fiber = yield* Host.launch([
        rec.service("A"),
        rec.service("B", { start: Effect.never.pipe(Effect.onInterrupt(() => rec.record("B.start interrupted"))) }),
        rec.service("C")
      ]).pipe(Effect.fork)
      yield* settle
      yield* Fiber.interrupt(fiber)
      expect(rec.log).toStrictEqual([
        "A.starting",
        "B.starting",
        "C.starting",
        "A.start",
        "B.start",
        "B.start interrupted",
        "A.stopping",
        "A.stop",
        "A.stopped"
      ])
    }))

  it.effect("what the services provide is provided to the program too", () =>
    Effect.gen(function*() {
      const DbLive = Layer.merge(
        Layer.succeed(Db, { query: (sql) => Effect.succeed(`rows for ${sql}`) }),
        HostedService.make("Db", {})
      )
      const result = yield* Effect.flatMap(Db, (db) => db.query("select 1")).pipe(Effect.provide(Host.make([DbLive])))
      expect(result).toBe("rows for select 1")
    }))
})

describe("hosted services with requirements", () => {
  it.effect("a service requiring another layer (R) gets it from Effect.provide on Host.launch", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Api = HostedService.make("Api", {
        start: Effect.flatMap(Db, (db) => db.query("migrate")).pipe(Effect.flatMap((r) => rec.record(r))),
        stop: Effect.flatMap(Db, (db) => db.query("bye")).pipe(Effect.flatMap((r) => rec.record(r)))
      })
      const Stopper = HostedService.make("Stopper", { started: ApplicationLifetime.stopApplication })
      yield* Host.launch([Api, Stopper]).pipe(
        Effect.provide(Layer.succeed(Db, { query: (sql) => Effect.succeed(`db:${sql}`) }))
      )
      expect(rec.log).toStrictEqual(["db:migrate", "db:bye"])
    }))

  it.scoped("a service built on another hosted service's layer is registered after it: starts after, stops before", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const DbLive = Layer.merge(
        Layer.succeed(Db, { query: (sql) => Effect.succeed(sql) }),
        rec.service("Db")
      )
      const Api = HostedService.make("Api", {
        start: Effect.flatMap(Db, (db) => db.query("Api.start")).pipe(Effect.flatMap((r) => rec.record(r))),
        stop: rec.record("Api.stop")
      }).pipe(Layer.provide(DbLive))
      // Listed first, but it needs Db: Db registers while Api is being built, hence before it.
      // DbLive listed again is built once (one memo map per host), so Db registers once.
      const host = yield* TestHost.start([Api, DbLive])
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(yield* host.trace).toStrictEqual([
        "Db.starting",
        "Db.start",
        "Api.start",
        "Db.started",
        "lifetime.started",
        "lifetime.stopping",
        "Db.stopping",
        "Api.stop",
        "Db.stop",
        "Db.stopped",
        "lifetime.stopped"
      ])
    }))

  it.effect("a service layer that fails to build fails the host; services built before it are not started", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Broken = Layer.fail("cannot build")
      const exit = yield* Host.launch([rec.service("A"), Broken, rec.service("B")]).pipe(Effect.exit)
      expect(failureOf(exit)).toBe("cannot build")
      expect(rec.log).toStrictEqual([])
    }))
})

describe("HostOptions: code and configuration", () => {
  it.scoped("shutdownTimeoutSeconds from configuration sets the budget", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("Stuck", { stop: Effect.never })]).pipe(
        withConfig({ shutdownTimeoutSeconds: "2" })
      )
      yield* host.started
      yield* host.requestStop
      yield* host.advance("2 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      expect(Duration.toMillis(error.timeout)).toBe(2000)
    }))

  it.scoped("the option given in code wins over configuration", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("Stuck", { stop: Effect.never })], {
        shutdownTimeout: "5 seconds"
      }).pipe(withConfig({ shutdownTimeoutSeconds: "2" }))
      yield* host.started
      yield* host.requestStop
      yield* host.advance("2 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("3 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      expect(Duration.toMillis(error.timeout)).toBe(5000)
    }))

  it.scoped("startupTimeoutSeconds and servicesStartConcurrently from configuration", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([
        rec.service("A", { start: Effect.sleep("1 minute") }),
        rec.service("B", { start: Effect.sleep("1 minute") })
      ]).pipe(withConfig({ startupTimeoutSeconds: "1.5", servicesStartConcurrently: "true" }))
      yield* host.advance("1500 millis")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "StartupTimeoutError") throw new Error(`expected StartupTimeoutError, got ${error._tag}`)
      expect(Duration.toMillis(error.timeout)).toBe(1500)
      // Concurrent: both starts were running at the deadline.
      expect(error.pending).toStrictEqual(["A", "B"])
    }))

  it.scoped("servicesStopConcurrently and backgroundServiceExceptionBehavior from configuration; code wins", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("A", {})]).pipe(
        withConfig({ backgroundServiceExceptionBehavior: "Ignore" })
      )
      yield* host.started
      yield* host.injectFailure("Worker", "lost")
      yield* settle
      expect(Option.isNone(yield* host.poll)).toBe(true)
      assertSuccess(yield* host.stop)

      const host2 = yield* TestHost.start([HostedService.make("A", {})], {
        backgroundServiceExceptionBehavior: "StopHost"
      }).pipe(withConfig({ backgroundServiceExceptionBehavior: "Ignore" }))
      yield* host2.started
      yield* host2.injectFailure("Worker", "lost")
      expect(failureOf(yield* host2.exit)._tag).toBe("BackgroundServiceError")

      const rec = new Recorder()
      const host3 = yield* TestHost.start([
        rec.service("A", { stop: Effect.sleep("1 second") }),
        rec.service("B", { stop: Effect.sleep("1 second") })
      ], { shutdownTimeout: "1500 millis" }).pipe(withConfig({ servicesStopConcurrently: "true" }))
      yield* host3.started
      yield* host3.requestStop
      yield* host3.advance("1 second")
      // Both stops ran side by side within 1 s (sequentially they would need 2 s > 1.5 s).
      assertSuccess(yield* host3.exit)
    }))

  it.effect("invalid option keys are all reported together, before any service starts", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* Host.launch([rec.service("A")]).pipe(
        withConfig({ shutdownTimeoutSeconds: "soon", servicesStartConcurrently: "maybe" }),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const message = String(failureOf(exit))
      expect(message).toContain("shutdownTimeoutSeconds")
      expect(message).toContain("servicesStartConcurrently")
      expect(rec.log).toStrictEqual([])
    }))
})

describe("list members see the outputs of the members before them", () => {
  it.effect("a queue listed before its producer is what the producer gets, built once", () =>
    Effect.gen(function*() {
      let built = 0
      const log: Array<string> = []
      const DbLive = Layer.effect(Db, Effect.sync(() => {
        built++
        return { query: (sql: string) => Effect.succeed(`rows for ${sql}`) }
      }))
      const Reporter = HostedService.make("Reporter", {
        start: Effect.flatMap(Db, (db) => db.query("select 1")).pipe(Effect.map((rows) => log.push(rows))),
        started: ApplicationLifetime.stopApplication
      })
      // No Layer.provide needed: registration order alone makes Db available to Reporter. The
      // third entry reaches the same Reporter and DbLive through Layer.provide: one memo map per
      // host, so neither is built (or registered) twice.
      yield* Host.launch([DbLive, Reporter, Reporter.pipe(Layer.provide(DbLive))], { logger: false })
      expect(log).toEqual(["rows for select 1"])
      expect(built).toBe(1)
    }))
})
