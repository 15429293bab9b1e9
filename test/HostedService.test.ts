/**
 * `HostedService.make` / `HostedService.scoped`: a hosted service is a Layer. In a host its hooks
 * run in the host's phases; used standalone (Layer.launch, Effect.provide) it starts at acquire
 * and stops at release. A scoped service's scope is its lifetime.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, FiberRef, HashMap, Layer } from "effect"
import { ApplicationLifetime, Host, HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, failureOf, settle } from "./util/host.js"
import { Recorder, stopTrace } from "./util/recorder.js"

class Pool extends Context.Tag("test/Pool")<Pool, { readonly name: string }>() {}

/** A scoped service that acquires a resource and forks a worker into its own scope. */
const scopedService = (rec: Recorder, name: string, afterAcquire: Effect.Effect<void, string> = Effect.void) =>
  HostedService.scoped(
    name,
    Effect.gen(function*() {
      yield* Effect.acquireRelease(rec.record(`${name} acquire`), () => rec.record(`${name} release`))
      yield* Effect.forkScoped(Effect.never.pipe(Effect.onInterrupt(() => rec.record(`${name} worker interrupted`))))
      // Let the worker begin (and register its interruption handler) before going on.
      yield* Effect.yieldNow()
      yield* afterAcquire
    })
  )

describe("HostedService.scoped", () => {
  it.scoped("the effect runs at start; its scope (finalizers, forked fibers) is closed at stop", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([scopedService(rec, "Cache")])
      yield* host.started
      yield* settle
      expect(rec.log).toStrictEqual(["Cache acquire"])
      assertSuccess(yield* host.stop)
      expect(rec.log).toStrictEqual(["Cache acquire", "Cache worker interrupted", "Cache release"])
    }))

  it.scoped("its own failed start releases what it had acquired", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([scopedService(rec, "Cache", Effect.fail("warm-up failed"))])
      const error = failureOf(yield* host.exit)
      expect(error._tag).toBe("HostStartError")
      expect(rec.log).toStrictEqual(["Cache acquire", "Cache worker interrupted", "Cache release"])
    }))

  it.scoped("another service's failed start rolls it back: its scope is released", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([
        scopedService(rec, "Cache"),
        rec.service("Api", { start: Effect.fail("port in use") })
      ])
      expect(failureOf(yield* host.exit)._tag).toBe("HostStartError")
      expect(rec.log.filter((e) => e.startsWith("Cache"))).toStrictEqual([
        "Cache acquire",
        "Cache worker interrupted",
        "Cache release"
      ])
    }))

  it.scoped("a start interrupted by the startup deadline releases what was acquired", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([scopedService(rec, "Cache", Effect.never)], { startupTimeout: "1 second" })
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)._tag).toBe("StartupTimeoutError")
      expect(rec.log).toStrictEqual(["Cache acquire", "Cache worker interrupted", "Cache release"])
    }))

  it.scoped("requirements (R) are provided from the host's context", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Uses = HostedService.scoped(
        "Uses",
        Effect.flatMap(Pool, (pool) => Effect.acquireRelease(rec.record(`open ${pool.name}`), () => rec.record(`close ${pool.name}`)))
      )
      const host = yield* TestHost.start([Uses]).pipe(Effect.provideService(Pool, { name: "main" }))
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log).toStrictEqual(["open main", "close main"])
    }))
})

describe("HostedService.make: what a hook runs with", () => {
  const Marker = FiberRef.unsafeMake("unset")

  it.scoped("each hook sees its layer's context and logs with service and phase; what it sets on its fiber stays its own", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const first = HostedService.make("First", {
        start: Effect.gen(function*() {
          const pool = yield* Pool
          const annotations = yield* Effect.logAnnotations
          seen.push(`First ${pool.name} ${String(HashMap.unsafeGet(annotations, "service"))}/${String(HashMap.unsafeGet(annotations, "phase"))}`)
          // Set without `locally`: it must not reach the next service's hooks.
          yield* FiberRef.set(Marker, "set by First")
        })
      })
      const second = HostedService.make("Second", {
        start: Effect.gen(function*() {
          const annotations = yield* Effect.logAnnotations
          seen.push(`Second ${yield* FiberRef.get(Marker)} ${String(HashMap.unsafeGet(annotations, "service"))}`)
        }),
        stop: Effect.gen(function*() {
          const annotations = yield* Effect.logAnnotations
          seen.push(`Second stop ${String(HashMap.unsafeGet(annotations, "phase"))}`)
        })
      })
      const host = yield* TestHost.start([first.pipe(Layer.provide(Layer.succeed(Pool, { name: "main" }))), second])
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(seen).toStrictEqual(["First main First/start", "Second unset Second", "Second stop stop"])
    }))
})

describe("HostedService.make: a hook's Scope", () => {
  it.scoped("what a start hook adds to its Scope is released after the stop phases, as the layer's own scope was", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Holder = HostedService.make("Holder", {
        start: Effect.addFinalizer(() => rec.record("released")),
        stop: rec.record("stop")
      })
      yield* Effect.scoped(Layer.build(Host.make([Holder], { logger: false })))
      expect(rec.log).toStrictEqual(["stop", "released"])
    }))

  it.effect("standalone (the layer built outside a host) too: released after the stop hook, not before", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Holder = HostedService.make("Holder", {
        start: Effect.acquireRelease(rec.record("acquired"), () => rec.record("released")),
        stop: rec.record("stop")
      })
      // No Scope to provide: the service's type needs none.
      yield* Effect.scoped(Layer.build(Holder))
      expect(rec.log).toStrictEqual(["acquired", "stop", "released"])
    }))
})

describe("HostedService.make: registered once per host", () => {
  it.scoped("listed twice, and once more inside a composed layer, its hooks run once", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Once = HostedService.make("Once", { start: rec.record("start"), stop: rec.record("stop") })
      const Composed = Layer.merge(Once, Layer.succeed(Pool, { name: "main" }))
      const host = yield* TestHost.start([Once, Once, Composed])
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log).toStrictEqual(["start", "stop"])
    }))
})

describe("a hosted service used standalone (no host)", () => {
  it.effect("Layer.launch runs its start phases at acquire and its stop phases at release", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const fiber = yield* Effect.fork(Layer.launch(rec.service("A")))
      yield* settle
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started"])
      yield* Fiber.interrupt(fiber)
      expect(rec.log.slice(3)).toStrictEqual(stopTrace(["A"]))
    }))

  it.effect("Effect.provide: started before the program, stopped after it", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      yield* rec.record("program").pipe(Effect.provide(rec.service("A")))
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started", "program", ...stopTrace(["A"])])
    }))

  it.effect("two composed standalone services each run their own lifecycle", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      yield* rec.record("program").pipe(Effect.provide(Layer.provideMerge(rec.service("B"), rec.service("A"))))
      expect(rec.log.indexOf("A.start")).toBeLessThan(rec.log.indexOf("B.start"))
      expect(rec.log.indexOf("program")).toBeGreaterThan(rec.log.indexOf("B.started"))
      // B was built on A, so B is released (stopped) first.
      expect(rec.log.indexOf("B.stop")).toBeLessThan(rec.log.indexOf("A.stop"))
    }))

  it.effect("a failed standalone start rolls back (scope released) and fails the layer with the cause", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const exit = yield* rec.record("program").pipe(
        Effect.provide(scopedService(rec, "Cache", Effect.fail("warm-up failed"))),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(rec.log).toStrictEqual(["Cache acquire", "Cache worker interrupted", "Cache release"])
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("warm-up failed")
    }))

  it.effect("a scoped service standalone: the scope lives as long as the layer", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      yield* rec.record("program").pipe(Effect.provide(scopedService(rec, "Cache")))
      expect(rec.log).toStrictEqual(["Cache acquire", "program", "Cache worker interrupted", "Cache release"])
    }))
})

describe("HostedService.make", () => {
  it.effect("every hook is optional; a service without hooks is fine", () =>
    Effect.gen(function*() {
      const exit = yield* Host.launch([
        HostedService.make("Empty", {}),
        HostedService.make("Stopper", { started: ApplicationLifetime.stopApplication })
      ]).pipe(Effect.exit)
      assertSuccess(exit)
    }))

  it.scoped("hook return values are ignored; requirements come from the host's context", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const A = HostedService.make("A", {
        start: Effect.flatMap(Pool, (pool) => rec.record(`start with ${pool.name}`)).pipe(Effect.as(42))
      })
      const host = yield* TestHost.start([A]).pipe(Effect.provideService(Pool, { name: "p" }))
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log).toStrictEqual(["start with p"])
    }))
})
