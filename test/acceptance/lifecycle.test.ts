/**
 * Acceptance, black-box: the lifecycle as DESIGN.md ("Lifecycle") fixes it, written the way a
 * port of .NET's HostTests would be — only the public names, plain `Host.launch`/`Host.make`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { ApplicationLifetime, Host, HostedService } from "effect-host"

const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow(), { discard: true })

const recorder = () => {
  const log: Array<string> = []
  const rec = (entry: string) => Effect.sync(() => void log.push(entry))
  const all = (name: string, extra: Partial<Record<string, Effect.Effect<unknown>>> = {}) =>
    HostedService.make(name, {
      starting: Effect.zipRight(rec(`${name}.starting`), extra["starting"] ?? Effect.void),
      start: Effect.zipRight(rec(`${name}.start`), extra["start"] ?? Effect.void),
      started: Effect.zipRight(rec(`${name}.started`), extra["started"] ?? Effect.void),
      stopping: Effect.zipRight(rec(`${name}.stopping`), extra["stopping"] ?? Effect.void),
      stop: Effect.zipRight(rec(`${name}.stop`), extra["stop"] ?? Effect.void),
      stopped: Effect.zipRight(rec(`${name}.stopped`), extra["stopped"] ?? Effect.void)
    })
  return { log, rec, all }
}

const phasesOf = (names: ReadonlyArray<string>) => {
  const rev = [...names].reverse()
  return [
    ...names.map((n) => `${n}.starting`),
    ...names.map((n) => `${n}.start`),
    ...names.map((n) => `${n}.started`),
    "lifetime.started",
    "lifetime.stopping",
    ...rev.map((n) => `${n}.stopping`),
    ...rev.map((n) => `${n}.stop`),
    ...rev.map((n) => `${n}.stopped`),
    "lifetime.stopped"
  ]
}

describe("acceptance: lifecycle order (IHostedLifecycleService)", () => {
  it.effect("every hook of three services, then stopApplication from outside: the documented order", () =>
    Effect.gen(function*() {
      const { all, log, rec } = recorder()
      const Watch = Layer.effectDiscard(Effect.gen(function*() {
        const lifetime = yield* ApplicationLifetime
        yield* Effect.forkDaemon(Effect.zipRight(lifetime.started, rec("lifetime.started")))
        yield* lifetime.onStopping(rec("lifetime.stopping"))
      }))
      const Stopper = Layer.effectDiscard(Effect.gen(function*() {
        const lifetime = yield* ApplicationLifetime
        yield* lifetime.onStopped(rec("lifetime.stopped"))
        yield* lifetime.onStarted(lifetime.stopApplication)
      }))
      yield* Host.launch([Watch, all("A"), all("B"), all("C"), Stopper])
      expect(log).toStrictEqual(phasesOf(["A", "B", "C"]))
    }))

  it.effect("phases are barriers in concurrent mode too", () =>
    Effect.gen(function*() {
      const { all, log } = recorder()
      const Stopper = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (l) => l.onStarted(l.stopApplication)))
      const slow = Effect.sleep("1 second")
      const fiber = yield* Effect.fork(Host.launch(
        [all("A", { starting: slow, start: slow, stop: slow }), all("B"), Stopper],
        { servicesStartConcurrently: true, servicesStopConcurrently: true }
      ))
      yield* settle
      // B.starting may run, but no start before A.starting has finished
      expect(log.filter((l) => l.endsWith(".start"))).toStrictEqual([])
      yield* TestClock.adjust("1 second")
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      const idx = (s: string) => log.indexOf(s)
      expect(Math.max(idx("A.starting"), idx("B.starting"))).toBeLessThan(Math.min(idx("A.start"), idx("B.start")))
      expect(Math.max(idx("A.stop"), idx("B.stop"))).toBeLessThan(Math.min(idx("A.stopped"), idx("B.stopped")))
    }))

  it.effect("a single layer (not an array) is accepted by Host.launch", () =>
    Effect.gen(function*() {
      const { log, rec } = recorder()
      const Only = HostedService.make("Only", {
        start: Effect.zipRight(rec("start"), ApplicationLifetime.stopApplication),
        stop: rec("stop")
      })
      yield* Host.launch(Only)
      expect(log).toStrictEqual(["start", "stop"])
    }))

  it.effect("Host.make as a Layer: the program runs after started, releasing the layer stops the services", () =>
    Effect.gen(function*() {
      const { all, log, rec } = recorder()
      yield* Effect.gen(function*() {
        yield* ApplicationLifetime.started
        yield* rec("program")
      }).pipe(Effect.provide(Host.make([all("A"), all("B")])))
      expect(log).toStrictEqual([
        "A.starting", "B.starting", "A.start", "B.start", "A.started", "B.started",
        "program",
        "B.stopping", "A.stopping", "B.stop", "A.stop", "B.stopped", "A.stopped"
      ])
    }))

  it.effect("Host.make with Layer.launch-style usage: yield* ApplicationLifetime then .stopApplication", () =>
    Effect.gen(function*() {
      const { all, log } = recorder()
      const Stopper = HostedService.make("Stopper", {
        started: Effect.gen(function*() {
          const lifetime = yield* ApplicationLifetime
          yield* lifetime.stopApplication
          yield* lifetime.stopApplication // twice: idempotent
        })
      })
      yield* Host.launch([all("A"), Stopper])
      expect(log).toStrictEqual(["A.starting", "A.start", "A.started", "A.stopping", "A.stop", "A.stopped"])
    }))

  it.effect("the launching fiber interrupted = graceful stop with every stop hook", () =>
    Effect.gen(function*() {
      const { all, log } = recorder()
      const fiber = yield* Effect.fork(Host.launch([all("A"), all("B")]))
      yield* settle
      expect(log).toContain("B.started")
      yield* Fiber.interrupt(fiber)
      expect(log.slice(6)).toStrictEqual(["B.stopping", "A.stopping", "B.stop", "A.stop", "B.stopped", "A.stopped"])
    }))

  it.effect("stopApplication from another fiber ends launch with success", () =>
    Effect.gen(function*() {
      const lifetime = yield* Deferred.make<ApplicationLifetime["Type"]>()
      const Grab = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (l) => Deferred.succeed(lifetime, l)))
      const fiber = yield* Effect.fork(Host.launch([Grab, HostedService.make("A", {})]))
      const l = yield* Deferred.await(lifetime)
      yield* l.started
      yield* Effect.fork(l.stopApplication)
      yield* l.stopApplication
      const exit = yield* Fiber.await(fiber)
      expect(exit).toStrictEqual(Exit.void)
      // stopped fires and stays fired
      yield* l.stopped
    }))

  it.effect("ApplicationLifetime.stopping awaited inside a stop hook completes (it fired before the hooks)", () =>
    Effect.gen(function*() {
      const { log, rec } = recorder()
      const A = HostedService.make("A", {
        started: ApplicationLifetime.stopApplication,
        stopping: Effect.zipRight(ApplicationLifetime.stopping, rec("stopping saw lifetime.stopping")),
        stop: Effect.zipRight(ApplicationLifetime.stopping, rec("stop saw lifetime.stopping"))
      })
      yield* Host.launch([A])
      expect(log).toStrictEqual(["stopping saw lifetime.stopping", "stop saw lifetime.stopping"])
    }))

  it.effect("stopApplication during start: start is interrupted and rolled back, started never fires", () =>
    Effect.gen(function*() {
      const { all, log, rec } = recorder()
      const Watch = Layer.effectDiscard(
        Effect.flatMap(ApplicationLifetime, (l) => Effect.forkDaemon(Effect.zipRight(l.started, rec("lifetime.started"))))
      )
      const Stuck = HostedService.make("Stuck", {
        start: Effect.zipRight(Effect.fork(ApplicationLifetime.stopApplication), Effect.never),
        stop: rec("Stuck.stop")
      })
      const exit = yield* Effect.exit(Host.launch([Watch, all("A"), Stuck, all("C")]))
      yield* settle
      expect(log).not.toContain("lifetime.started")
      // the starting phase had finished (a barrier) before Stuck.start ran; C.start never runs
      expect(log).toContain("C.starting")
      expect(log).not.toContain("C.start")
      expect(log).not.toContain("Stuck.stop")
      // A's start completed: it gets every stop phase
      expect(log).toContain("A.stopping")
      expect(log).toContain("A.stop")
      expect(log).toContain("A.stopped")
      // stopping the application is a graceful outcome
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("a service that requires another layer's output, provided to launch", () =>
    Effect.gen(function*() {
      class Db extends Context.Tag("Db")<Db, { readonly query: (q: string) => Effect.Effect<string> }>() {}
      const { log, rec } = recorder()
      const DbLive = Layer.succeed(Db, { query: (q) => Effect.succeed(`result of ${q}`) })
      const Consumer = HostedService.make("Consumer", {
        start: Effect.gen(function*() {
          const db = yield* Db
          yield* rec(yield* db.query("select 1"))
          yield* ApplicationLifetime.stopApplication
        })
      })
      yield* Host.launch([Consumer]).pipe(Effect.provide(DbLive))
      expect(log).toStrictEqual(["result of select 1"])
    }))

  it.effect("a hosted service that a layer needs (via Layer.provide) is registered (and started) before it", () =>
    Effect.gen(function*() {
      class Db extends Context.Tag("Db")<Db, { readonly name: string }>() {}
      const { log, rec } = recorder()
      const DbService = Layer.merge(
        Layer.succeed(Db, { name: "db" }),
        HostedService.make("Db", { start: rec("Db.start"), stop: rec("Db.stop") })
      )
      const Consumer = HostedService.make("Consumer", {
        start: Effect.flatMap(Db, (db) => rec(`Consumer.start uses ${db.name}`)),
        stop: rec("Consumer.stop")
      }).pipe(Layer.provide(DbService))
      // (hooks needing different services in one `make` do not type-check: see the report)
      const Stopper = HostedService.make("Stopper", { started: ApplicationLifetime.stopApplication })
      yield* Host.launch([Consumer, Stopper])
      expect(log).toStrictEqual(["Db.start", "Consumer.start uses db", "Consumer.stop", "Db.stop"])
    }))

  it.effect("HostedService.scoped: acquired at start, released at stop, in registration/reverse order", () =>
    Effect.gen(function*() {
      const { log, rec } = recorder()
      const res = (name: string) =>
        HostedService.scoped(name, Effect.acquireRelease(rec(`${name} acquired`), () => rec(`${name} released`)))
      yield* Host.launch([res("A"), res("B"), HostedService.make("S", { started: ApplicationLifetime.stopApplication })])
      expect(log).toStrictEqual(["A acquired", "B acquired", "B released", "A released"])
    }))

  it.effect("a hosted service built outside a host (Layer.launch-ish): start at acquire, stop at release", () =>
    Effect.gen(function*() {
      const { log, rec } = recorder()
      const A = HostedService.make("A", { start: rec("start"), stop: rec("stop") })
      yield* Effect.scoped(Effect.zipRight(Layer.build(A), rec("in use")))
      expect(log).toStrictEqual(["start", "in use", "stop"])
    }))
})
