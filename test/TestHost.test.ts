/**
 * `TestHost` itself: the event log, time control, stop requests, injected failures, the exit.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Clock, Effect, Exit, Fiber, Layer, Option, Schedule, TestClock } from "effect"
import { HostedService, ScheduledService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, failureOf, settle } from "./util/host.js"
import { Recorder } from "./util/recorder.js"

describe("TestHost", () => {
  it.scoped("events record hooks, hook failures and lifetime events in order; trace leaves failures out", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([
        HostedService.make("A", { start: Effect.void, stop: Effect.fail("flush failed") })
      ])
      yield* host.started
      failureOf(yield* host.stop)
      expect(yield* host.events).toStrictEqual([
        { _tag: "Hook", service: "A", phase: "start" },
        { _tag: "Lifetime", event: "started" },
        { _tag: "Lifetime", event: "stopping" },
        { _tag: "Hook", service: "A", phase: "stop" },
        { _tag: "HookFailed", service: "A", phase: "stop" },
        { _tag: "Lifetime", event: "stopped" }
      ])
      expect(yield* host.trace).toStrictEqual(["A.start", "lifetime.started", "lifetime.stopping", "A.stop", "lifetime.stopped"])
      expect((yield* host.events).map(TestHost.formatEvent)).toContain("A.stop failed")
    }))

  it.scoped("stop returns while a scheduled run sleeps on the TestClock: it moves the clock only as far as the stop needs", () =>
    Effect.gen(function*() {
      const runs: Array<string> = []
      const Job = ScheduledService.make("Job", {
        schedule: Schedule.spaced("1 minute"),
        run: Effect.zipRight(Effect.sleep("5 seconds"), Effect.sync(() => void runs.push("run done")))
      })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "30 seconds", logger: false })
      yield* host.started
      yield* host.advance("1 minute")
      yield* settle
      const before = yield* TestClock.currentTimeMillis
      // The stop waits for the run in progress, which sleeps 5 s on the test clock.
      assertSuccess(yield* host.stop)
      expect(runs).toStrictEqual(["run done"])
      expect((yield* TestClock.currentTimeMillis) - before).toBe(5000)
    }))

  it.scoped("advance moves the TestClock; inFlight shows who is inside which hook; poll is None until the end", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([
        HostedService.make("Slow", { start: Effect.sleep("10 seconds"), stop: Effect.sleep("3 seconds") })
      ])
      yield* settle
      expect(yield* host.inFlight).toStrictEqual([{ service: "Slow", phase: "start" }])
      yield* host.advance("10 seconds")
      yield* host.started
      expect(yield* host.inFlight).toStrictEqual([])
      yield* host.requestStop
      yield* settle
      expect(yield* host.inFlight).toStrictEqual([{ service: "Slow", phase: "stop" }])
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("3 seconds")
      assertSuccess(yield* host.exit)
      expect(yield* host.poll).toStrictEqual(Option.some(Exit.void))
    }))

  it.scoped("injectFailure acts as a failing background service: the host stops with BackgroundServiceError", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A")])
      yield* host.started
      yield* host.injectFailure("Poller", new Error("connection lost"))
      const error = failureOf(yield* host.exit)
      if (error._tag !== "BackgroundServiceError") throw new Error(`expected BackgroundServiceError, got ${error._tag}`)
      expect(error.service).toBe("Poller")
      expect(Cause.squash(error.cause)).toStrictEqual(new Error("connection lost"))
      expect(rec.log.slice(-3)).toStrictEqual(["A.stopping", "A.stop", "A.stopped"])
    }))

  it.scoped("started fails when the host ends without starting; exit gives the failure", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("A", { start: Effect.fail("no") })])
      const started = yield* Effect.either(host.started)
      expect(started._tag).toBe("Left")
      expect(failureOf(yield* host.exit)._tag).toBe("HostStartError")
    }))

  it.scoped("a host that fails before it exists (a layer that fails to build) still gives an exit", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([Layer.fail("cannot build")])
      expect(failureOf(yield* host.exit)).toBe("cannot build")
      expect((yield* Effect.either(host.started))._tag).toBe("Left")
      expect(yield* host.trace).toStrictEqual([])
    }))

  it.effect("when the test's scope closes with the host running, TestHost stops it (moving the TestClock) instead of hanging", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      // A stop hook that sleeps: without TestHost moving the clock, closing the scope would wait
      // for a TestClock nobody advances (a failed assertion would turn into a hung test).
      const scoped = Effect.scoped(Effect.gen(function*() {
        const host = yield* TestHost.start([rec.service("A", { stop: Effect.sleep("10 seconds") })])
        yield* host.started
      }))
      const fiber = yield* Effect.fork(scoped)
      yield* settle
      yield* settle
      const exit = yield* Fiber.await(fiber)
      assertSuccess(exit)
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started", "A.stopping", "A.stop", "A.stopped"])
    }))
})

describe("TestHost.stop and the shutdown deadline", () => {
  it.scoped("moves the clock no further than the deadline: a stop hook that ignores interruption is abandoned, as in production", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start(
        [HostedService.make("Stubborn", { stop: Effect.uninterruptible(Effect.sleep("5 seconds")) })],
        { shutdownTimeout: "2 seconds" }
      )
      yield* host.started
      const before = yield* Clock.currentTimeMillis
      const exit = yield* host.stop
      expect((yield* Clock.currentTimeMillis) - before).toBe(2000)
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(error).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Stubborn"] })
    }))
})
