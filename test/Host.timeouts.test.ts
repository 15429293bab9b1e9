/**
 * Timeouts interrupt (DESIGN.md): `startupTimeout` interrupts pending starts and rolls back;
 * `shutdownTimeout` is one budget for the whole stop, cut by interruption, and the host completes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { ApplicationLifetime, BackgroundService, HostError } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, errorIn, failureOf, settle } from "./util/host.js"
import { Recorder, stopTrace } from "./util/recorder.js"

/** Records `<entry>` if the effect is interrupted. */
const onInterrupt = (rec: Recorder, entry: string) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.onInterrupt(self, () => rec.record(entry))

describe("startupTimeout", () => {
  it.scoped("interrupts the pending start, rolls back what started, never calls later services", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [
          rec.lifetime(),
          rec.service("A"),
          rec.service("B", { start: Effect.never.pipe(onInterrupt(rec, "B.start interrupted")) }),
          rec.service("C")
        ],
        { startupTimeout: "10 seconds" }
      )
      yield* host.advance("9 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("1 second")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "StartupTimeoutError") throw new Error(`expected StartupTimeoutError, got ${error._tag}`)
      expect(error.pending).toStrictEqual(["B"])
      expect(Duration.toMillis(error.timeout)).toBe(10_000)
      expect(error.message).toContain("B")
      expect(rec.log).toStrictEqual([
        "A.starting",
        "B.starting",
        "C.starting",
        "A.start",
        "B.start",
        "B.start interrupted",
        "lifetime.stopping",
        ...stopTrace(["A"]),
        "lifetime.stopped"
      ])
    }))

  it.scoped("in concurrent mode names every pending service; a slow started hook rolls back everything", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [
          rec.service("A", { started: Effect.sleep("1 minute") }),
          rec.service("B"),
          rec.service("C", { started: Effect.sleep("1 minute") })
        ],
        { startupTimeout: "10 seconds", servicesStartConcurrently: true }
      )
      yield* host.advance("10 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "StartupTimeoutError") throw new Error(`expected StartupTimeoutError, got ${error._tag}`)
      expect(error.pending).toStrictEqual(["A", "C"])
      expect(rec.log.slice(-9)).toStrictEqual(stopTrace(["C", "B", "A"]))
    }))

  it.scoped("a start hook that ignores interruption does not keep the host from finishing", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const logs = captureLogs()
      const host = yield* TestHost.start(
        [rec.service("A"), rec.service("B", { start: Effect.uninterruptible(Effect.never) })],
        { startupTimeout: "10 seconds", shutdownTimeout: "5 seconds" }
      ).pipe(Effect.provide(logs.layer))
      yield* host.advance("10 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "StartupTimeoutError") throw new Error(`expected StartupTimeoutError, got ${error._tag}`)
      expect(error.pending).toStrictEqual(["B"])
      // The rollback gives the interrupted start its finalization grace (real time), then
      // abandons B, names it, and stops A within the budget: no deadline.
      expect(error.rollback.deadline).toBeUndefined()
      expect(error.rollback.failures.map((f) => [f.service, f.phase, errorIn(f.cause)])).toStrictEqual([
        ["B", "start", expect.objectContaining({ _tag: "HookAbandonedError", service: "B", phase: "start" })]
      ])
      expect(HostError.hitShutdownDeadline(error)).toBe(false)
      expect(rec.log.slice(-3)).toStrictEqual(["A.stopping", "A.stop", "A.stopped"])
      // One line, the service named once, annotated like the hook's own lines.
      const abandoned = logs.lines.filter((l) => l.message.includes("ignored interruption"))
      expect(abandoned.map((l) => [l.level, l.annotations["service"], l.annotations["phase"]])).toStrictEqual([["ERROR", "B", "start"]])
      expect(abandoned[0]?.message).toMatch(/^Hosted service B ignored interruption in start: .*; stopping the others$/)
    }))

  it.scoped("stopApplication during a start hook that ignores interruption: abandoned after the grace, the others stopped, and the host finishes", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      // No startupTimeout: nothing but the stop request can end the start.
      const host = yield* TestHost.start([rec.service("A"), rec.service("B", { start: Effect.uninterruptible(Effect.never) })])
      yield* settle
      yield* host.requestStop
      // The host waited for a start fiber that never ends, so Host.launch never returned.
      const exit = yield* host.exit
      const error = failureOf(exit)
      if (error._tag !== "HostStopError") throw new Error(`expected HostStopError, got ${error._tag}`)
      expect(error.failures.map((f) => [f.service, f.phase, errorIn(f.cause)])).toStrictEqual([
        ["B", "start", expect.objectContaining({ _tag: "HookAbandonedError", service: "B", phase: "start" })]
      ])
      expect(rec.log.slice(-3)).toStrictEqual(["A.stopping", "A.stop", "A.stopped"])
    }))

  it.scoped("an onStarted callback is part of the start: one that hangs is cut by startupTimeout and named", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const Hangs = Layer.effectDiscard(ApplicationLifetime.onStarted(Effect.never))
      const host = yield* TestHost.start([rec.lifetime(), Hangs, rec.service("A")], { startupTimeout: "10 seconds" })
      yield* host.advance("10 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "StartupTimeoutError") throw new Error(`expected StartupTimeoutError, got ${error._tag}`)
      expect(error.pending).toStrictEqual(["ApplicationLifetime.onStarted"])
      // The rollback did not hit a deadline: the callback was not mistaken for a stuck stop.
      expect(error.rollback).toStrictEqual({ failures: [], deadline: undefined })
      expect(rec.log.slice(-5)).toStrictEqual(["lifetime.stopping", ...stopTrace(["A"]), "lifetime.stopped"])
    }))

  it.scoped("zero: a start whose hooks finish at once succeeds; one that waits is cut (under TestClock)", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A"), rec.service("B")], { startupTimeout: 0 })
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log.filter((l) => l.endsWith(".started"))).toStrictEqual(["A.started", "B.started"])

      // A hook that yields once and a BackgroundService (its start yields once) do not wait for
      // anything either: they start under TestClock as they do with the live clock.
      const yielding = yield* TestHost.start(
        [rec.service("Y", { start: Effect.yieldNow() }), BackgroundService.make("W", Effect.never)],
        { startupTimeout: 0 }
      )
      yield* yielding.started
      assertSuccess(yield* yielding.stop)

      const waiting = yield* TestHost.start([rec.service("C", { start: Effect.sleep("1 millis") })], { startupTimeout: 0 })
      const error = failureOf(yield* waiting.exit)
      if (error._tag !== "StartupTimeoutError") throw new Error(`expected StartupTimeoutError, got ${error._tag}`)
      expect(error.pending).toStrictEqual(["C"])
    }))

  it.scoped("no startupTimeout by default: a slow start just takes its time", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A", { start: Effect.sleep("1 hour") })])
      yield* host.advance("1 hour")
      yield* host.started
      assertSuccess(yield* host.stop)
    }))
})

describe("shutdownTimeout", () => {
  for (const [label, hook] of [
    ["never ends", Effect.never],
    ["ignores interruption", Effect.uninterruptible(Effect.never)]
  ] as const) {
    it.scoped(`a stop hook that ${label} is cut at the deadline, named, and the host completes`, () =>
      Effect.gen(function*() {
        const rec = new Recorder()
        const logs = captureLogs()
        const host = yield* TestHost.start(
          [rec.lifetime(), rec.service("A"), rec.service("B", { stop: hook }), rec.service("C")],
          { shutdownTimeout: "5 seconds" }
        ).pipe(Effect.provide(logs.layer))
        yield* host.started
        rec.log.length = 0
        yield* host.requestStop
        yield* host.advance("4999 millis")
        expect(Option.isNone(yield* host.poll)).toBe(true)
        yield* host.advance("1 millis")
        const error = failureOf(yield* host.exit)
        if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
        expect(error.stuck).toStrictEqual(["B"])
        expect(Duration.toMillis(error.timeout)).toBe(5000)
        expect(error.message).toContain("B")
        expect(HostError.hitShutdownDeadline(error)).toBe(true)
        // The remaining stop work was abandoned (A's stop, every stopped hook and the onStopped
        // callbacks, which are part of the stop's budget); the `stopped` event still fired, last.
        expect(rec.log).toStrictEqual(["lifetime.stopping", "C.stopping", "B.stopping", "A.stopping", "C.stop", "B.stop"])
        expect((yield* host.trace).at(-1)).toBe("lifetime.stopped")
        yield* host.lifetime.stopped
        const line = logs.lines.find((l) => l.level === "ERROR" && l.message.includes("deadline"))
        expect(line?.message).toContain("still stopping: B")
        // A never got to its stop hook; C stopped (its stop hook ran to the end) but its
        // `stopped` hook did not run: it must not be called "never stopped".
        expect(line?.message).toContain("never stopped: A;")
        expect(line?.message).toContain("stopped hooks not run: C")
        expect(error.skipped).toStrictEqual(["A", "C"])
        expect(line?.message).toContain("onStopped callbacks not run")
      }))
  }

  it.scoped("a stop hook that ran and failed before the deadline is a failure, not \"never stopped\"", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const logs = captureLogs()
      // Reverse order: B's stop fails first, then A's never ends.
      const host = yield* TestHost.start(
        [rec.service("A", { stop: Effect.never }), rec.service("B", { stop: Effect.fail("B stop boom") })],
        { shutdownTimeout: "1 second" }
      ).pipe(Effect.provide(logs.layer))
      yield* host.started
      yield* host.requestStop
      yield* host.advance("1 second")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      expect(error.stuck).toStrictEqual(["A"])
      expect(error.failures.map((f) => `${f.service} (${f.phase})`)).toStrictEqual(["B (stop)"])
      // B's `stopped` hook (the recorder gives it one) is what the deadline cut.
      expect(error.skipped).toStrictEqual(["B"])
      const line = logs.lines.find((l) => l.level === "ERROR" && l.message.includes("deadline"))
      expect(line?.message).toContain("still stopping: A")
      expect(line?.message).toContain("stopped hooks not run: B")
      expect(line?.message).not.toContain("never stopped")
      expect(error.message).toContain("stop hooks not run: B")
    }))

  it.scoped("the budget is for the whole stop, not per service", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [rec.service("A", { stop: Effect.sleep("3 seconds") }), rec.service("B", { stop: Effect.sleep("3 seconds") })],
        { shutdownTimeout: "5 seconds" }
      )
      yield* host.started
      yield* host.requestStop
      yield* host.advance("5 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      // B stopped first (3 s), A was cut 2 s into its stop.
      expect(error.stuck).toStrictEqual(["A"])
      expect(rec.log.filter((e) => e.includes(".stop"))).toStrictEqual(["B.stopping", "A.stopping", "B.stop", "A.stop"])
    }))

  it.scoped("zero: a stop whose hooks finish at once succeeds, every hook run; one that waits is cut and named", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const logs = captureLogs()
      const host = yield* TestHost.start([rec.service("A"), rec.service("B")], { shutdownTimeout: 0 }).pipe(
        Effect.provide(logs.layer)
      )
      yield* host.started
      assertSuccess(yield* host.stop)
      expect(rec.log.filter((l) => /\.stop/.test(l))).toStrictEqual(stopTrace(["B", "A"]))
      expect(logs.lines.filter((l) => l.level === "ERROR")).toStrictEqual([])

      const background = yield* TestHost.start([BackgroundService.make("W", Effect.never)], { shutdownTimeout: 0 })
      yield* background.started
      assertSuccess(yield* background.stop)

      const waiting = yield* TestHost.start([rec.service("C", { stop: Effect.sleep("1 millis") })], { shutdownTimeout: 0 })
      yield* waiting.started
      yield* waiting.requestStop
      const error = failureOf(yield* waiting.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      expect(error.stuck).toStrictEqual(["C"])
    }))

  it.scoped("a stop within the budget succeeds; the default budget is 30 seconds", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A", { stop: Effect.sleep("29 seconds") })])
      yield* host.started
      yield* host.requestStop
      yield* host.advance("29 seconds")
      assertSuccess(yield* host.exit)

      const host2 = yield* TestHost.start([rec.service("B", { stop: Effect.sleep("31 seconds") })])
      yield* host2.started
      yield* host2.requestStop
      yield* host2.advance("30 seconds")
      expect(failureOf(yield* host2.exit)._tag).toBe("ShutdownTimeoutError")
    }))

  it.scoped("an onStopping callback that never ends is cut by the budget too", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A")], { shutdownTimeout: "5 seconds" })
      yield* host.lifetime.onStopping(Effect.never)
      yield* host.started
      yield* host.requestStop
      yield* host.advance("5 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      expect(error.stuck).toStrictEqual(["ApplicationLifetime.onStopping"])
      // The stop phases never ran: the callback holding the stop was cut with the budget.
      expect(error.skipped).toStrictEqual(["A"])
    }))

  it.scoped("an onStopped callback that never ends does not hang the host", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A")], { shutdownTimeout: "5 seconds" })
      yield* host.lifetime.onStopped(Effect.never)
      yield* host.started
      yield* host.requestStop
      yield* settle
      yield* host.advance("5 seconds")
      expect(Option.isSome(yield* host.poll)).toBe(true)
      const error = failureOf(yield* host.exit)
      if (error._tag !== "ShutdownTimeoutError") throw new Error(`expected ShutdownTimeoutError, got ${error._tag}`)
      expect(error.stuck).toStrictEqual(["ApplicationLifetime.onStopped"])
    }))

  it.scoped("a rollback is bounded by the shutdown budget as well", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [rec.service("A", { stop: Effect.never }), rec.service("B", { start: Effect.fail("no") })],
        { shutdownTimeout: "5 seconds" }
      )
      yield* host.advance("5 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.rollback.deadline?.stuck).toStrictEqual(["A"])
      expect(HostError.hitShutdownDeadline(error)).toBe(true)
    }))
})
