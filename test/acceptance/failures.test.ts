/**
 * Acceptance, black-box: start failures roll back, stop never aborts, timeouts interrupt,
 * background failures are loud (DESIGN.md, "Where effect-host is stricter than .NET").
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option, Schedule, TestClock } from "effect"
import { ApplicationLifetime, BackgroundService, Host, HostedService, HostError } from "effect-host"

const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow(), { discard: true })

const failureOf = <E>(exit: Exit.Exit<void, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got success")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

const recorder = () => {
  const log: Array<string> = []
  const rec = (entry: string) => Effect.sync(() => void log.push(entry))
  const svc = (name: string, extra: { start?: Effect.Effect<unknown, unknown>; stop?: Effect.Effect<unknown, unknown> } = {}) =>
    HostedService.make(name, {
      starting: rec(`${name}.starting`),
      start: Effect.zipRight(rec(`${name}.start`), extra.start ?? Effect.void),
      started: rec(`${name}.started`),
      stopping: rec(`${name}.stopping`),
      stop: Effect.zipRight(rec(`${name}.stop`), extra.stop ?? Effect.void),
      stopped: rec(`${name}.stopped`)
    })
  return { log, rec, svc }
}

const Stopper = HostedService.make("Stopper", { started: ApplicationLifetime.stopApplication })

describe("acceptance: start failure rolls back", () => {
  it.effect("sequential: later services are not called, started ones are stopped in reverse, typed error names the service", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      let startedFired = false
      const Watch = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (l) => l.onStarted(Effect.sync(() => startedFired = true))))
      const exit = yield* Effect.exit(Host.launch([Watch, svc("A"), svc("B"), svc("C", { start: Effect.fail("boom") }), svc("D")]))
      const error = failureOf(exit)
      expect(HostError.isHostError(error)).toBe(true)
      expect(error._tag).toBe("HostStartError")
      if (error._tag !== "HostStartError") return
      expect(error.failures.map((f) => f.service)).toStrictEqual(["C"])
      expect(startedFired).toBe(false)
      expect(log).not.toContain("D.start")
      expect(log).not.toContain("A.started")
      expect(log.slice(log.indexOf("C.start") + 1)).toStrictEqual([
        "B.stopping", "A.stopping", "B.stop", "A.stop", "B.stopped", "A.stopped"
      ])
    }))

  it.effect("concurrent: every failure is collected", () =>
    Effect.gen(function*() {
      const { svc } = recorder()
      const exit = yield* Effect.exit(Host.launch(
        [svc("A", { start: Effect.fail("a") }), svc("B"), svc("C", { start: Effect.die("c") })],
        { servicesStartConcurrently: true }
      ))
      const error = failureOf(exit)
      expect(error._tag).toBe("HostStartError")
      if (error._tag !== "HostStartError") return
      expect(error.failures.map((f) => f.service).sort()).toStrictEqual(["A", "C"])
    }))

  it.effect("a failing starting hook also fails the start", () =>
    Effect.gen(function*() {
      const Bad = HostedService.make("Bad", { starting: Effect.fail("nope") })
      const exit = yield* Effect.exit(Host.launch([Bad, Stopper]))
      expect(failureOf(exit)._tag).toBe("HostStartError")
    }))
})

describe("acceptance: stop never aborts", () => {
  it.effect("a failing stop hook: every other service still gets every stop phase, one typed HostStopError", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      const exit = yield* Effect.exit(Host.launch([svc("A"), svc("B", { stop: Effect.fail("bad stop") }), svc("C", { stop: Effect.die("worse") }), Stopper]))
      const error = failureOf(exit)
      expect(error._tag).toBe("HostStopError")
      if (error._tag !== "HostStopError") return
      expect(error.failures.map((f) => f.service).sort()).toStrictEqual(["B", "C"])
      expect(log.slice(log.indexOf("C.stopping"))).toStrictEqual([
        "C.stopping", "B.stopping", "A.stopping", "C.stop", "B.stop", "A.stop", "C.stopped", "B.stopped", "A.stopped"
      ])
    }))

  it.effect("failing lifetime callbacks are logged and do not prevent the others", () =>
    Effect.gen(function*() {
      const { log, rec } = recorder()
      const Callbacks = Layer.effectDiscard(Effect.gen(function*() {
        const l = yield* ApplicationLifetime
        yield* l.onStarted(Effect.fail("x"))
        yield* l.onStarted(rec("started 2"))
        yield* l.onStopping(Effect.die("y"))
        yield* l.onStopping(rec("stopping 2"))
        yield* l.onStopped(Effect.fail("z"))
        yield* l.onStopped(rec("stopped 2"))
        // a stop requested from a `started` hook would interrupt the start (and skip onStarted):
        // stop from the last onStarted callback instead
        yield* l.onStarted(l.stopApplication)
      }))
      yield* Host.launch([Callbacks])
      expect(log).toStrictEqual(["started 2", "stopping 2", "stopped 2"])
    }))
})

describe("acceptance: timeouts", () => {
  it.effect("shutdownTimeout default is 30 seconds: a stop hook that never ends is cut at 30 s", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Host.launch([HostedService.make("Stuck", { stop: Effect.never }), Stopper]))
      yield* settle
      yield* TestClock.adjust("29 seconds")
      yield* settle
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 second")
      const error = failureOf(yield* Fiber.await(fiber))
      expect(error._tag).toBe("ShutdownTimeoutError")
      if (error._tag !== "ShutdownTimeoutError") return
      expect(error.stuck).toStrictEqual(["Stuck"])
      expect(HostError.hitShutdownDeadline(error)).toBe(true)
    }))

  it.effect("shutdownTimeout given as a Duration string and as millis", () =>
    Effect.gen(function*() {
      for (const shutdownTimeout of ["5 seconds", 5000] as const) {
        const fiber = yield* Effect.fork(
          Host.launch([HostedService.make("Stuck", { stop: Effect.sleep("1 hour") }), Stopper], { shutdownTimeout })
        )
        yield* settle
        yield* TestClock.adjust("4 seconds")
        yield* settle
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.await(fiber)
        expect(failureOf(exit)._tag).toBe("ShutdownTimeoutError")
      }
    }))

  it.effect("shutdownTimeout is one budget for the whole stop, not per service", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      const fiber = yield* Effect.fork(Host.launch(
        [svc("A", { stop: Effect.sleep("4 seconds") }), svc("B", { stop: Effect.sleep("4 seconds") }), Stopper],
        { shutdownTimeout: "6 seconds" }
      ))
      yield* settle
      yield* TestClock.adjust("6 seconds")
      const exit = yield* Fiber.await(fiber)
      const error = failureOf(exit)
      expect(error._tag).toBe("ShutdownTimeoutError")
      if (error._tag !== "ShutdownTimeoutError") return
      expect(error.stuck).toStrictEqual(["A"])
      expect(log).toContain("B.stop")
      expect(log).not.toContain("A.stopped")
    }))

  it.effect("startupTimeout interrupts a pending start and rolls back what started", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      const fiber = yield* Effect.fork(Host.launch(
        [svc("A"), svc("Slow", { start: Effect.never }), svc("C")],
        { startupTimeout: "10 seconds" }
      ))
      yield* settle
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.await(fiber)
      const error = failureOf(exit)
      expect(error._tag).toBe("StartupTimeoutError")
      if (error._tag !== "StartupTimeoutError") return
      expect(error.pending).toStrictEqual(["Slow"])
      expect(log).toContain("A.stop")
      expect(log).not.toContain("C.start")
    }))

  it.effect("no startupTimeout by default: a slow start just takes its time", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Host.launch([HostedService.make("Slow", { start: Effect.sleep("2 hours") }), Stopper]))
      yield* settle
      yield* TestClock.adjust("2 hours")
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.void)
    }))
})

describe("acceptance: BackgroundService", () => {
  it.effect("throws -> StopHost (default): host stops, every service stopped, launch fails with BackgroundServiceError", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      const Failing = BackgroundService.make("Failing", Effect.zipRight(Effect.sleep("1 second"), Effect.fail(new Error("kaput"))))
      const fiber = yield* Effect.fork(Host.launch([svc("A"), Failing]))
      yield* settle
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      const error = failureOf(exit)
      expect(error._tag).toBe("BackgroundServiceError")
      if (error._tag !== "BackgroundServiceError") return
      expect(error.service).toBe("Failing")
      expect(log).toContain("A.stopped")
    }))

  it.effect("throws at once (synchronously, before any await) under StopHost: still stops the host", () =>
    Effect.gen(function*() {
      const Failing = BackgroundService.make("Failing", Effect.die(new Error("sync")))
      const exit = yield* Effect.exit(Host.launch([Failing]))
      expect(failureOf(exit)._tag).toBe("BackgroundServiceError")
    }))

  it.effect("throws -> Ignore: the host keeps running and then stops gracefully", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      const Failing = BackgroundService.make("Failing", Effect.fail("kaput"))
      const fiber = yield* Effect.fork(Host.launch([svc("A"), Failing], { backgroundServiceExceptionBehavior: "Ignore" }))
      yield* settle
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect(log).not.toContain("A.stop")
      yield* Fiber.interrupt(fiber)
      expect(log).toContain("A.stopped")
    }))

  it.effect("completes immediately: not a failure, the host keeps running", () =>
    Effect.gen(function*() {
      const Quick = BackgroundService.make("Quick", Effect.void)
      const fiber = yield* Effect.fork(Host.launch([Quick]))
      yield* settle
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
    }))

  it.effect("execute is interrupted at stop; its finalizers run and the interruption is not a failure", () =>
    Effect.gen(function*() {
      const { log, rec } = recorder()
      const Loop = BackgroundService.make(
        "Loop",
        Effect.acquireRelease(rec("acquired"), () => rec("released")).pipe(
          Effect.zipRight(Effect.forever(Effect.zipRight(rec("tick"), Effect.sleep("1 second"))))
        )
      )
      const fiber = yield* Effect.fork(Host.launch([Loop]))
      yield* settle
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isInterrupted(exit) || Exit.isSuccess(exit)).toBe(true)
      expect(log.filter((l) => l === "tick").length).toBeGreaterThanOrEqual(3)
      expect(log.at(-1)).toBe("released")
    }))

  it.effect("execute that calls stopApplication: graceful outcome", () =>
    Effect.gen(function*() {
      const Once = BackgroundService.make("Once", Effect.zipRight(Effect.sleep("1 second"), ApplicationLifetime.stopApplication))
      const fiber = yield* Effect.fork(Host.launch([Once]))
      yield* settle
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.void)
    }))

  it.effect("the host does not wait for execute to finish starting (start returns at once)", () =>
    Effect.gen(function*() {
      const { log, svc } = recorder()
      const Busy = BackgroundService.make("Busy", Effect.never)
      yield* Host.launch([Busy, svc("After"), Stopper])
      expect(log).toContain("After.started")
    }))

  it.effect("the restart option retries per schedule before the failure reaches the host", () =>
    Effect.gen(function*() {
      let attempts = 0
      const Flaky = BackgroundService.make(
        "Flaky",
        Effect.suspend(() => {
          attempts++
          return Effect.fail("flaky")
        }),
        { restart: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2))) }
      )
      const fiber = yield* Effect.fork(Host.launch([Flaky]))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      expect(attempts).toBe(3)
      expect(failureOf(exit)._tag).toBe("BackgroundServiceError")
    }))
})
