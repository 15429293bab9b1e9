/**
 * `ApplicationLifetime`: `stopApplication` is idempotent and callable from anywhere (also during
 * start, which it interrupts and rolls back); lifetime callbacks that fail are logged and do not
 * stop the others.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, Option } from "effect"
import { ApplicationLifetime, Host, HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, failureOf, settle } from "./util/host.js"
import { expectedTrace, Recorder, stopTrace } from "./util/recorder.js"

describe("stopApplication during start", () => {
  it.scoped("interrupts the running start hook; later services are never called; Host.launch succeeds", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([
        rec.lifetime(),
        rec.service("A", { start: Effect.sleep("1 minute").pipe(Effect.onInterrupt(() => rec.record("A.start interrupted"))) }),
        rec.service("B")
      ])
      yield* host.advance("1 second")
      yield* host.requestStop
      assertSuccess(yield* host.exit)
      expect(rec.log).toStrictEqual([
        "A.starting",
        "B.starting",
        "A.start",
        "A.start interrupted",
        "lifetime.stopping",
        "lifetime.stopped"
      ])
    }))

  it.scoped("rolls back the services whose start completed, in reverse order", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([
        rec.service("A"),
        rec.service("B"),
        rec.service("C", { start: Effect.never })
      ])
      yield* settle
      yield* host.requestStop
      assertSuccess(yield* host.exit)
      expect(rec.log.slice(-6)).toStrictEqual(stopTrace(["B", "A"]))
      expect(yield* host.trace).not.toContain("lifetime.started")
    }))

  it.scoped("from inside a start hook: the rest of the start does not run, the host stops and succeeds", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const A = HostedService.make("A", {
        start: Effect.zipRight(rec.record("A.start"), ApplicationLifetime.stopApplication),
        stop: rec.record("A.stop")
      })
      const host = yield* TestHost.start([rec.lifetime(), A, rec.service("B")])
      assertSuccess(yield* host.exit)
      // A's start completed (it returned after requesting the stop), so A is stopped; B never starts.
      expect(rec.log).toStrictEqual(["B.starting", "A.start", "lifetime.stopping", "A.stop", "lifetime.stopped"])
    }))

  it.scoped("from a started hook: the remaining started hooks do not run, started never fires, every service is stopped", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([
        rec.lifetime(),
        rec.service("A", { started: ApplicationLifetime.stopApplication }),
        rec.service("B")
      ])
      assertSuccess(yield* host.exit)
      expect(rec.log).toStrictEqual([
        "A.starting",
        "B.starting",
        "A.start",
        "B.start",
        "A.started",
        "lifetime.stopping",
        ...stopTrace(["B", "A"]),
        "lifetime.stopped"
      ])
    }))

  it.scoped("during the build, before any hook: no hook runs and the host succeeds", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const StopAtOnce = Layer.effectDiscard(ApplicationLifetime.stopApplication)
      const host = yield* TestHost.start([rec.lifetime(), StopAtOnce, rec.service("A")])
      assertSuccess(yield* host.exit)
      expect(rec.log).toStrictEqual(["lifetime.stopping", "lifetime.stopped"])
    }))

  it.scoped("a start hook that requests a stop and then fails still fails the host", () =>
    Effect.gen(function*() {
      const A = HostedService.make("A", { start: Effect.zipRight(ApplicationLifetime.stopApplication, Effect.fail("broken")) })
      const host = yield* TestHost.start([A])
      const error = failureOf(yield* host.exit)
      expect(error._tag).toBe("HostStartError")
    }))
})

describe("stopApplication is idempotent", () => {
  it.scoped("called many times, also from hooks and callbacks, the stop runs exactly once", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Again = HostedService.make("Again", {
        stopping: ApplicationLifetime.stopApplication,
        stop: ApplicationLifetime.stopApplication,
        stopped: ApplicationLifetime.stopApplication
      })
      const host = yield* TestHost.start([rec.lifetime(), rec.service("A"), Again])
      yield* host.lifetime.onStopping(host.lifetime.stopApplication)
      yield* host.lifetime.onStopped(host.lifetime.stopApplication)
      yield* host.started
      yield* Effect.all([host.requestStop, host.requestStop, host.requestStop], { concurrency: "unbounded" })
      assertSuccess(yield* host.exit)
      yield* host.requestStop
      const trace = yield* host.trace
      expect(trace.filter((e) => e === "lifetime.stopping")).toHaveLength(1)
      expect(trace).toStrictEqual([
        ...expectedTrace(["A"]).slice(0, 5),
        "Again.stopping",
        "A.stopping",
        "Again.stop",
        "A.stop",
        "Again.stopped",
        "A.stopped",
        "lifetime.stopped"
      ])
      expect(rec.log.filter((e) => e === "A.stop")).toHaveLength(1)
    }))

  it.scoped("requested from an onStarted callback, then again while stopping: one stop, and the host does not go back to Started", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      // A job that runs once the host has started and then stops it; a hook that asks again.
      const Job = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (lifetime) =>
        lifetime.onStarted(Effect.zipRight(rec.record("job done"), lifetime.stopApplication))))
      const host = yield* TestHost.start([rec.service("A", { stopping: ApplicationLifetime.stopApplication }), Job])
      assertSuccess(yield* host.exit)
      yield* host.requestStop
      yield* settle
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started", "job done", "A.stopping", "A.stop", "A.stopped"])
      expect((yield* host.trace).filter((e) => e === "lifetime.stopping")).toHaveLength(1)
    }))

  it.effect("a program run with Host.make may call stopApplication; the host stops once at release", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      yield* Effect.gen(function*() {
        yield* ApplicationLifetime.started
        yield* ApplicationLifetime.stopApplication
        yield* ApplicationLifetime.stopped
        yield* rec.record("program saw stopped")
        yield* ApplicationLifetime.stopApplication
      }).pipe(Effect.provide(Host.make([rec.service("A")])))
      expect(rec.log).toStrictEqual([
        "A.starting",
        "A.start",
        "A.started",
        "A.stopping",
        "A.stop",
        "A.stopped",
        "program saw stopped"
      ])
    }))
})

describe("lifetime callbacks", () => {
  it.scoped("a callback registered after its event fired runs at once (as .NET runs a registration on a cancelled token); a failing one is logged", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const logs = captureLogs()
      // Registers late from a stop hook: the stopping callbacks have run by then.
      const Late = HostedService.make("Late", {
        stop: Effect.flatMap(ApplicationLifetime, (lifetime) => lifetime.onStopping(rec.record("late onStopping")))
      })
      const host = yield* TestHost.start([rec.service("A"), Late]).pipe(Effect.provide(logs.layer))
      yield* host.started
      yield* host.lifetime.onStarted(rec.record("late onStarted"))
      yield* host.lifetime.onStarted(Effect.fail("late-failure"))
      expect(rec.log.slice(-1)).toStrictEqual(["late onStarted"])
      assertSuccess(yield* host.stop)
      yield* host.lifetime.onStopped(rec.record("late onStopped"))
      expect(rec.log).toStrictEqual([
        "A.starting", "A.start", "A.started", "late onStarted",
        "A.stopping", "late onStopping", "A.stop", "A.stopped", "late onStopped"
      ])
      const errors = logs.lines.filter((l) => l.level === "ERROR")
      expect(errors.map((l) => [l.message, Cause.squash(l.cause)])).toStrictEqual([
        ["ApplicationLifetime.onStarted callback (registered after started fired) failed", "late-failure"]
      ])
    }))

  it.scoped("failing callbacks are logged with their cause and do not prevent the others", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const logs = captureLogs()
      const Callbacks = Layer.effectDiscard(Effect.gen(function*() {
        const lifetime = yield* ApplicationLifetime
        yield* lifetime.onStarted(Effect.fail("started-1"))
        yield* lifetime.onStarted(rec.record("started-2"))
        yield* lifetime.onStopping(Effect.die("stopping-1"))
        yield* lifetime.onStopping(rec.record("stopping-2"))
        yield* lifetime.onStopped(Effect.fail("stopped-1"))
        yield* lifetime.onStopped(rec.record("stopped-2"))
      }))
      const host = yield* TestHost.start([Callbacks, rec.service("A")]).pipe(Effect.provide(logs.layer))
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log).toStrictEqual([
        "A.starting",
        "A.start",
        "A.started",
        "started-2",
        "stopping-2",
        "A.stopping",
        "A.stop",
        "A.stopped",
        "stopped-2"
      ])
      const errors = logs.lines.filter((l) => l.level === "ERROR")
      expect(errors.map((l) => [l.message, Cause.squash(l.cause)])).toStrictEqual([
        ["ApplicationLifetime started callback failed", "started-1"],
        ["ApplicationLifetime stopping callback failed", "stopping-1"],
        ["ApplicationLifetime stopped callback failed", "stopped-1"]
      ])
    }))

  it.scoped("callbacks run in registration order, onStopping before every stopping hook, onStopped after every stopped hook", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.lifetime("first"), rec.service("A"), rec.service("B"), rec.lifetime("second")])
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log).toStrictEqual([
        "A.starting",
        "B.starting",
        "A.start",
        "B.start",
        "A.started",
        "B.started",
        "first.started",
        "second.started",
        "first.stopping",
        "second.stopping",
        ...stopTrace(["B", "A"]),
        "first.stopped",
        "second.stopped"
      ])
    }))

  it.scoped("an onStarted callback that never ends does not keep stopApplication from stopping the host", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Stuck = Layer.effectDiscard(ApplicationLifetime.onStarted(Effect.never))
      const host = yield* TestHost.start([Stuck, rec.service("A")], { shutdownTimeout: "5 seconds" })
      yield* settle
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started"])
      yield* host.requestStop
      yield* host.advance("5 seconds")
      expect(Option.isSome(yield* host.poll)).toBe(true)
      const exit = yield* host.exit
      assertSuccess(exit)
      expect(rec.log.slice(-3)).toStrictEqual(["A.stopping", "A.stop", "A.stopped"])
    }))

  it.scoped("the failure of a callback is not the host's failure", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("A", {})])
      yield* host.lifetime.onStopping(Effect.fail("nope"))
      yield* host.started
      const exit = yield* host.stop
      assertSuccess(exit)
    }))
})
