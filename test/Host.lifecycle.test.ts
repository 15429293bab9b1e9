/**
 * The observable lifecycle order (DESIGN.md, "Lifecycle"): start phases in registration order,
 * lifetime events, stop phases in reverse order, phases as barriers in both modes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber } from "effect"
import { ApplicationLifetime, HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, settle } from "./util/host.js"
import { expectedTrace, fullOrder, Recorder } from "./util/recorder.js"

const modes = [
  { name: "sequential", options: {} },
  { name: "concurrent", options: { servicesStartConcurrently: true, servicesStopConcurrently: true } }
] as const

describe("lifecycle order", () => {
  it.scoped("one service with every hook: starting, start, started, lifetime.started, then the stop mirror", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.lifetime(), rec.service("A")])
      yield* host.started
      // Nothing of the stop has happened before a stop is requested.
      expect(rec.log).toStrictEqual(fullOrder("A").slice(0, 4))
      assertSuccess(yield* host.stop)
      // From user code (hooks and ApplicationLifetime callbacks) ...
      expect(rec.log).toStrictEqual(fullOrder("A"))
      // ... and from the host's own trace.
      expect(yield* host.trace).toStrictEqual(fullOrder("A"))
    }))

  it.scoped("forked waiters on started/stopping/stopped are released at their moment and not before", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const startGate = yield* Deferred.make<void>()
      const inStop = yield* Deferred.make<void>()
      const stopGate = yield* Deferred.make<void>()
      const host = yield* TestHost.start([
        rec.service("A", {
          start: Deferred.await(startGate),
          stop: Effect.zipRight(Deferred.succeed(inStop, undefined), Deferred.await(stopGate))
        })
      ])
      yield* rec.waiters(host.lifetime)
      yield* settle
      expect(rec.log).toStrictEqual(["A.starting", "A.start"])

      yield* Deferred.succeed(startGate, undefined)
      yield* host.started
      yield* settle
      expect(rec.log).toStrictEqual(["A.starting", "A.start", "A.started", "waiter.started"])

      yield* host.requestStop
      yield* Deferred.await(inStop)
      yield* settle
      // `stopping` fired before the first stopping hook; `stopped` waits for the stop to finish.
      expect(rec.log.indexOf("waiter.stopping")).toBeGreaterThan(rec.log.indexOf("waiter.started"))
      expect(rec.log).toContain("A.stopping")
      expect(rec.log).not.toContain("waiter.stopped")
      expect(rec.log.at(-1)).not.toBe("A.stopped")

      yield* Deferred.succeed(stopGate, undefined)
      assertSuccess(yield* host.exit)
      yield* settle
      expect(rec.log.at(-1)).toBe("waiter.stopped")
      expect(rec.log.indexOf("A.stopped")).toBeLessThan(rec.log.indexOf("waiter.stopped"))
    }))

  it.scoped("a stopping hook that waits for ApplicationLifetime.stopping does not deadlock: the event fires first", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const A = HostedService.make("A", {
        stopping: Effect.zipRight(ApplicationLifetime.stopping, rec.record("A.stopping saw lifetime.stopping"))
      })
      const host = yield* TestHost.start([A], { shutdownTimeout: "5 seconds" })
      yield* host.started
      yield* host.requestStop
      // Had the hook run before the event, it would wait until the deadline and fail the host.
      yield* host.advance("5 seconds")
      assertSuccess(yield* host.exit)
      expect(rec.log).toStrictEqual(["A.stopping saw lifetime.stopping"])
    }))

  for (const mode of modes) {
    for (const count of [1, 4, 10]) {
      it.scoped(`${count} service(s), ${mode.name}: start FIFO per phase, stop in reverse`, () =>
        Effect.gen(function*() {
          const rec = new Recorder()
          const names = Array.from({ length: count }, (_, i) => `S${i}`)
          // Earlier services are slower, so concurrent completion order differs from call order.
          const slow = (i: number) => Effect.sleep(`${count - i} millis`)
          const host = yield* TestHost.start(
            [
              rec.lifetime(),
              ...names.map((name, i) =>
                rec.service(name, {
                  starting: slow(i),
                  start: slow(i),
                  started: slow(i),
                  stopping: slow(i),
                  stop: slow(i),
                  stopped: slow(i)
                })
              )
            ],
            mode.options
          )
          let startedAt = -1
          yield* host.lifetime.onStarted(Effect.map(Clock.currentTimeMillis, (now) => void (startedAt = now)))
          yield* host.advance("1 minute")
          yield* host.started
          // Sequential: the durations add up; concurrent: each phase takes its slowest member.
          const perPhase = mode.name === "sequential" ? (count * (count + 1)) / 2 : count
          expect(startedAt).toBe(3 * perPhase)

          yield* host.requestStop
          yield* host.advance("1 minute")
          assertSuccess(yield* host.exit)
          expect(yield* host.trace).toStrictEqual(expectedTrace(names))
          expect(rec.log).toStrictEqual(expectedTrace(names))
        }))
    }
  }

  it.scoped("a start phase is a barrier in concurrent mode: no start runs before every starting has finished", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [
          rec.service("A"),
          rec.service("B", { starting: Effect.sleep("10 seconds") }),
          rec.service("C")
        ],
        { servicesStartConcurrently: true }
      )
      yield* host.advance("9 seconds")
      expect(rec.log).toStrictEqual(["A.starting", "B.starting", "C.starting"])
      expect(yield* host.inFlight).toStrictEqual([{ service: "B", phase: "starting" }])
      yield* host.advance("1 second")
      yield* host.started
      expect(rec.log).toStrictEqual(expectedTrace(["A", "B", "C"]).slice(0, 9))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a stop phase is a barrier in concurrent mode: no stop runs before every stopping has finished", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [
          rec.service("A"),
          rec.service("B", { stopping: Effect.sleep("10 seconds") }),
          rec.service("C")
        ],
        { servicesStopConcurrently: true }
      )
      yield* host.started
      rec.log.length = 0
      yield* host.requestStop
      yield* host.advance("9 seconds")
      expect(rec.log).toStrictEqual(["C.stopping", "B.stopping", "A.stopping"])
      yield* host.advance("1 second")
      assertSuccess(yield* host.exit)
      expect(rec.log).toStrictEqual(["C.stopping", "B.stopping", "A.stopping", "C.stop", "B.stop", "A.stop", "C.stopped", "B.stopped", "A.stopped"])
    }))

  it.scoped("concurrent mode really overlaps the members of a phase", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const latch = yield* Deferred.make<void>()
      // B's start can only finish once A's start is running at the same time: in sequential mode
      // this would deadlock, so the test fails by timing out of the startup budget.
      const host = yield* TestHost.start(
        [
          rec.service("A", { start: Deferred.await(latch) }),
          rec.service("B", { start: Deferred.succeed(latch, undefined) })
        ],
        { servicesStartConcurrently: true, startupTimeout: "1 second" }
      )
      const fiber = yield* Effect.fork(host.started)
      yield* host.advance("1 second")
      yield* Fiber.join(fiber)
      assertSuccess(yield* host.stop)
    }))
})
