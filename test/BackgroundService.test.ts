/**
 * BackgroundService (issue 4): forked at start, interrupted at stop, failures loud and handed to
 * the host's policy after an optional restart schedule. Everything timed runs under TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Exit } from "effect"
import { Cause, Clock, Deferred, Effect, Fiber, Layer, Option, Schedule, TestClock } from "effect"
import { ApplicationLifetime, BackgroundService, Host, HostedService } from "effect-host"
import type { HostError } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, failureOf, settle } from "./util/background.js"

/** An execute that records the time of each attempt, then fails with `error`. */
const failingAt = (times: Array<number>, error: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    times.push(now)
    return Effect.fail(error)
  })

const backgroundError = (exit: Exit.Exit<void, unknown>) => {
  const error = failureOf(exit)
  if (typeof error !== "object" || error === null || !("_tag" in error) || error._tag !== "BackgroundServiceError") {
    throw new Error(`expected BackgroundServiceError, got ${String(error)}`)
  }
  return error as unknown as HostError.BackgroundServiceError
}

describe("BackgroundService", () => {
  it.scoped("start does not wait for execute, and a stop by the host is not a failure", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const released = { count: 0 }
      const running = yield* Deferred.make<void>()
      const Worker = BackgroundService.make(
        "Worker",
        Effect.zipRight(Deferred.succeed(running, undefined), Effect.never).pipe(
          Effect.ensuring(Effect.sync(() => void released.count++))
        )
      )
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* Deferred.await(running)
      expect(Option.isNone(yield* host.poll)).toBe(true)

      assertSuccess(yield* host.stop)
      expect(released.count).toBe(1)
      expect(yield* host.trace).toContain("Worker.stop")
      expect(logs.messages("ERROR")).toStrictEqual([])
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("under StopHost (the default) a failure stops the host, which fails with BackgroundServiceError", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const Worker = BackgroundService.make("Worker", Effect.zipRight(Effect.sleep("5 seconds"), Effect.fail("disk full")))
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* host.advance("4 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("1 second")

      const error = backgroundError(yield* host.exit)
      expect(error.service).toBe("Worker")
      expect(Cause.squash(error.cause)).toBe("disk full")
      // The host stopped: the service got its stop phase.
      expect(yield* host.trace).toContain("Worker.stop")
      // Logged at error level with its cause.
      const logged = logs.lines.filter((l) => l.level === "ERROR" && l.message.includes("Worker"))
      expect(logged.some((l) => Cause.pretty(l.cause).includes("disk full"))).toBe(true)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("under Ignore the failure is logged and the host keeps running", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const ticks: Array<number> = []
      const Failing = BackgroundService.make("Failing", Effect.zipRight(Effect.sleep("1 second"), Effect.die(new Error("bug"))))
      const Healthy = BackgroundService.make(
        "Healthy",
        Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => void ticks.push(t))).pipe(
          Effect.repeat(Schedule.spaced("1 second"))
        )
      )
      const host = yield* TestHost.start([Failing, Healthy], { backgroundServiceExceptionBehavior: "Ignore" })
      yield* host.started
      yield* host.advance("5 seconds")

      expect(Option.isNone(yield* host.poll)).toBe(true)
      expect(ticks).toStrictEqual([0, 1000, 2000, 3000, 4000, 5000])
      const logged = logs.lines.filter((l) => l.level === "ERROR" && l.message.includes("Failing"))
      expect(logged.some((l) => Cause.pretty(l.cause).includes("bug"))).toBe(true)
      assertSuccess(yield* host.stop)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("restarts per the schedule, logging each attempt, then applies the policy", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const attempts: Array<number> = []
      const Worker = BackgroundService.make("Worker", failingAt(attempts, "flaky"), {
        // 1 s, 2 s, 4 s: three restarts, then give up.
        restart: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))
      })
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* settle
      expect(attempts).toStrictEqual([0])

      yield* host.advance("999 millis")
      expect(attempts).toStrictEqual([0])
      yield* host.advance("1 millis")
      expect(attempts).toStrictEqual([0, 1000])
      yield* host.advance("2 seconds")
      expect(attempts).toStrictEqual([0, 1000, 3000])
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("4 seconds")
      expect(attempts).toStrictEqual([0, 1000, 3000, 7000])

      const error = backgroundError(yield* host.exit)
      expect(error.service).toBe("Worker")
      const restarts = logs.messages("WARN").filter((m) => m.includes("restarting"))
      expect(restarts).toStrictEqual([
        "Background service Worker failed (attempt 1); restarting in 1s (attempt 2)",
        "Background service Worker failed (attempt 2); restarting in 2s (attempt 3)",
        "Background service Worker failed (attempt 3); restarting in 4s (attempt 4)"
      ])
      expect(logs.messages("ERROR").some((m) => m.includes("restart schedule is exhausted"))).toBe(true)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("a restart that recovers keeps the host running, and the recovered service is stopped cleanly", () =>
    Effect.gen(function*() {
      const attempts: Array<number> = []
      const execute = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        attempts.push(now)
        return attempts.length < 3 ? Effect.fail("not yet") : Effect.never
      })
      const Worker = BackgroundService.make("Worker", execute, { restart: Schedule.spaced("10 seconds") })
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* host.advance("1 minute")
      expect(attempts).toStrictEqual([0, 10_000, 20_000])
      expect(Option.isNone(yield* host.poll)).toBe(true)
      assertSuccess(yield* host.stop)
    }))

  it.scoped("with Ignore, an exhausted restart schedule leaves the host running", () =>
    Effect.gen(function*() {
      const attempts: Array<number> = []
      const Worker = BackgroundService.make("Worker", failingAt(attempts, "flaky"), { restart: Schedule.recurs(2) })
      const host = yield* TestHost.start([Worker], { backgroundServiceExceptionBehavior: "Ignore" })
      yield* host.started
      yield* host.advance("1 second")
      expect(attempts).toStrictEqual([0, 0, 0])
      expect(Option.isNone(yield* host.poll)).toBe(true)
      assertSuccess(yield* host.stop)
    }))

  it.scoped("returning normally is not a failure", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const Worker = BackgroundService.make("Worker", Effect.sleep("1 second"))
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* host.advance("10 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      expect(logs.messages("INFO")).toContain("Background service Worker completed")
      assertSuccess(yield* host.stop)
      expect(logs.messages("ERROR")).toStrictEqual([])
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("an interruption that does not come from the host is reported like a failure", () =>
    Effect.gen(function*() {
      const Worker = BackgroundService.make("Worker", Effect.zipRight(Effect.sleep("1 second"), Effect.interrupt))
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* host.advance("1 second")
      const error = backgroundError(yield* host.exit)
      expect(Cause.isInterruptedOnly(error.cause)).toBe(true)
    }))

  it.scoped("the stop waits for execute to finish its interruption, within the shutdown budget", () =>
    Effect.gen(function*() {
      const cleanedUp = { at: -1 }
      const Worker = BackgroundService.make(
        "Worker",
        Effect.never.pipe(
          Effect.onInterrupt(() =>
            Effect.zipRight(Effect.sleep("2 seconds"), Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => void (cleanedUp.at = t))))
          )
        )
      )
      const host = yield* TestHost.start([Worker], { shutdownTimeout: "5 seconds" })
      yield* host.started
      yield* host.requestStop
      yield* host.advance("1 second")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("1 second")
      assertSuccess(yield* host.exit)
      expect(cleanedUp.at).toBe(2000)
    }))

  it.scoped("an execute that ignores interruption is abandoned at the shutdown deadline", () =>
    Effect.gen(function*() {
      const Worker = BackgroundService.make("Worker", Effect.uninterruptible(Effect.sleep("1 hour")))
      const host = yield* TestHost.start([Worker], { shutdownTimeout: "3 seconds" })
      yield* host.started
      yield* host.requestStop
      yield* host.advance("3 seconds")
      const error = failureOf(yield* host.exit)
      expect(error).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Worker"] })
    }))

  it.scoped("an abandoned execute is said so, within the grace", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const Worker = BackgroundService.make("Worker", Effect.uninterruptible(Effect.sleep("1 hour")))
      yield* Effect.scoped(Effect.gen(function*() {
        const host = yield* TestHost.start([Worker], { shutdownTimeout: "3 seconds" })
        yield* host.started
        yield* host.requestStop
        yield* host.advance("3 seconds")
        expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
      }))
      // Once, though both the deadline and the layer's release (the scope above) cut it off.
      expect(logs.messages("WARN").filter((m) => m.includes("abandoned"))).toStrictEqual([
        "Background service Worker: still running 400ms after it was interrupted; abandoned"
      ])
    }).pipe(Effect.provide(logs.layer))
  })

  // Host.launch itself, so that the release is read in its fiber the moment it returned.
  it.scoped("a service the stop never reached (the deadline came first) is interrupted, and its scope closed before Host.launch returns", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const closing = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const Worker = BackgroundService.make(
        "Worker",
        Effect.zipRight(
          Effect.addFinalizer(() => Effect.zipRight(closing, Effect.sync(() => void events.push("scope closed")))),
          Effect.never
        )
      )
      // Listed after the worker, so it stops first and takes the whole budget.
      const Stuck = HostedService.make("Stuck", { stop: Effect.never })
      const lifetime = yield* Deferred.make<ApplicationLifetime["Type"]>()
      const Capture = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (l) => Deferred.succeed(lifetime, l)))
      let atReturn: ReadonlyArray<string> = []
      const launched = yield* Host.launch([Capture, Worker, Stuck], { shutdownTimeout: "3 seconds" }).pipe(
        Effect.onExit(() => Effect.sync(() => void (atReturn = [...events]))),
        Effect.fork
      )
      const { started, stopApplication } = yield* Deferred.await(lifetime)
      yield* started
      yield* stopApplication
      yield* settle
      yield* TestClock.adjust("3 seconds")
      expect(failureOf(yield* Fiber.await(launched))).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Stuck"], skipped: ["Worker"] })
      expect(atReturn).toStrictEqual(["scope closed"])
    }))

  it.scoped("every attempt has its own scope, closed when the attempt ends", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      let n = 0
      const execute = Effect.gen(function*() {
        const attempt = ++n
        yield* Effect.acquireRelease(
          Effect.sync(() => void events.push(`open ${attempt}`)),
          () => Effect.sync(() => void events.push(`close ${attempt}`))
        )
        if (attempt === 1) return yield* Effect.fail("first attempt fails")
        return yield* Effect.never
      })
      const Worker = BackgroundService.make("Worker", execute, { restart: Schedule.forever })
      const host = yield* TestHost.start([Worker])
      yield* host.started
      yield* settle
      expect(events).toStrictEqual(["open 1", "close 1", "open 2"])
      assertSuccess(yield* host.stop)
      expect(events).toStrictEqual(["open 1", "close 1", "open 2", "close 2"])
    }))

  it.scoped("rolled back after a later service fails to start: interrupted, not reported as failed", () =>
    Effect.gen(function*() {
      const running = yield* Deferred.make<void>()
      const interrupted = { count: 0 }
      const Worker = BackgroundService.make(
        "Worker",
        Effect.zipRight(Deferred.succeed(running, undefined), Effect.never).pipe(
          Effect.onInterrupt(() => Effect.sync(() => void interrupted.count++))
        )
      )
      const Broken = HostedService.make("Broken", { start: Effect.zipRight(Deferred.await(running), Effect.fail("no database")) })
      const host = yield* TestHost.start([Worker, Broken])
      const error = failureOf(yield* host.exit)
      expect(error).toMatchObject({ _tag: "HostStartError" })
      expect(interrupted.count).toBe(1)
      expect(yield* host.trace).toContain("Worker.stop")
    }))

  it.scoped("a service whose start never ran is never executed (rollback of a failed start)", () =>
    Effect.gen(function*() {
      const ran = { count: 0 }
      const Broken = HostedService.make("Broken", { start: Effect.fail("no database") })
      const Worker = BackgroundService.make("Worker", Effect.sync(() => void ran.count++))
      const host = yield* TestHost.start([Broken, Worker])
      const error = failureOf(yield* host.exit)
      expect(error).toMatchObject({ _tag: "HostStartError" })
      expect(ran.count).toBe(0)
    }))

  it.scoped("an execute that fails at once (before it waits) fails the start: rolled back, started never fires, later services never start", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const record = (event: string) => Effect.sync(() => void events.push(event))
      const A = HostedService.make("A", { start: record("A.start"), stop: record("A.stop") })
      const C = HostedService.make("C", { start: record("C.start") })
      const Watch = Layer.effectDiscard(ApplicationLifetime.onStarted(record("started")))
      const host = yield* TestHost.start([Watch, A, BackgroundService.make("Bad", Effect.fail("bad at once")), C])
      const error = backgroundError(yield* host.exit)
      expect(error.service).toBe("Bad")
      expect(events).toStrictEqual(["A.start", "A.stop"])
    }))

  it.scoped("an execute that fails after a wait fails after the start, as before", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const Watch = Layer.effectDiscard(ApplicationLifetime.onStarted(Effect.sync(() => void events.push("started"))))
      const host = yield* TestHost.start([Watch, BackgroundService.make("Bad", Effect.zipRight(Effect.sleep("1 millis"), Effect.fail("bad later")))])
      yield* host.started
      yield* host.advance("1 millis")
      expect(backgroundError(yield* host.exit).service).toBe("Bad")
      expect(events).toStrictEqual(["started"])
    }))

  it.scoped("a restart schedule whose step waits does not hold up the stop", () =>
    Effect.gen(function*() {
      const Worker = BackgroundService.make("Worker", Effect.fail("down"), {
        restart: Schedule.spaced("1 second").pipe(Schedule.tapInput(() => Effect.never))
      })
      const host = yield* TestHost.start([Worker], { shutdownTimeout: "5 seconds" })
      yield* host.started
      yield* host.requestStop
      // No time passes: the step's wait is interrupted at once, not cut at the deadline.
      assertSuccess(yield* host.exit)
    }))

  describe("failures while the host is stopping: logged and carried by the outcome (.NET aggregates them)", () => {
    /**
     * An execute that sleeps, then fails, all uninterruptibly: a stop's interruption waits for it,
     * and the failure happens. (Failing after the uninterruptible region would not: the pending
     * interruption ends the fiber first.)
     */
    const failsAfter = (name: string, ms: number) =>
      BackgroundService.make(name, Effect.uninterruptible(Effect.zipRight(Effect.sleep(ms), Effect.fail(`${name} failure`))))

    it.scoped("one failing while its own interruption waits is reported, not lost at the interruption", () => {
      const logs = captureLogs()
      return Effect.gen(function*() {
        const host = yield* TestHost.start([failsAfter("B1", 100), failsAfter("B2", 150), failsAfter("B3", 200)])
        yield* host.started
        yield* host.advance("100 millis")
        // B1 failed: the stop interrupts B3 first (reverse order), whose failure comes at 200 ms
        // while that interruption waits; B2, not yet interrupted, fails at 150 ms.
        yield* host.advance("100 millis")
        const exit = yield* host.exit
        const error = backgroundError(exit)
        expect(error.service).toBe("B1")
        expect(Cause.squash(error.cause)).toBe("B1 failure")
        expect(error.stop.failures.map((f) => [f.service, f.phase, Cause.squash(f.cause)])).toStrictEqual([
          ["B2", "execute", "B2 failure"],
          ["B3", "execute", "B3 failure"]
        ])
        expect(logs.messages("ERROR")).toStrictEqual([
          "Background service B1 failed; stopping the host",
          "Background service B2 failed while the host was stopping",
          "Background service B3 failed while the host was stopping"
        ])
      }).pipe(Effect.provide(logs.layer))
    })

    it.scoped("after a requested stop, a failure of execute makes the stop fail (HostStopError), naming it", () =>
      Effect.gen(function*() {
        const host = yield* TestHost.start([failsAfter("Worker", 1000)])
        yield* host.started
        yield* host.requestStop
        yield* host.advance("1 second")
        const error = failureOf(yield* host.exit)
        expect(error).toMatchObject({ _tag: "HostStopError", failures: [{ service: "Worker", phase: "execute" }] })
      }))

    it.scoped("under Ignore it is only logged, and the stop succeeds", () => {
      const logs = captureLogs()
      return Effect.gen(function*() {
        const host = yield* TestHost.start([failsAfter("Worker", 1000)], { backgroundServiceExceptionBehavior: "Ignore" })
        yield* host.started
        yield* host.requestStop
        yield* host.advance("1 second")
        assertSuccess(yield* host.exit)
        expect(logs.messages("ERROR")).toStrictEqual(["Background service Worker failed while the host was stopping"])
      }).pipe(Effect.provide(logs.layer))
    })

    it.scoped("with a restart schedule, a failure once the host is stopping is reported, not restarted and lost", () => {
      const logs = captureLogs()
      return Effect.gen(function*() {
        const stopBegan = yield* Deferred.make<void>()
        // Listed first, so stopped last: it fails while the host stops the service after it.
        const Worker = BackgroundService.make(
          "Worker",
          Effect.zipRight(Deferred.await(stopBegan), Effect.fail("failed while stopping")),
          { restart: Schedule.spaced("10 millis") }
        )
        const Slow = HostedService.make("Slow", { stop: Effect.zipRight(Deferred.succeed(stopBegan, undefined), Effect.sleep("200 millis")) })
        const host = yield* TestHost.start([Worker, Slow])
        yield* host.started
        yield* host.requestStop
        yield* host.advance("200 millis")
        const error = failureOf(yield* host.exit)
        expect(error).toMatchObject({ _tag: "HostStopError", failures: [{ service: "Worker", phase: "execute" }] })
        expect(logs.messages("WARN").filter((m) => m.includes("restarting"))).toStrictEqual([])
        expect(logs.messages("ERROR")).toContain("Background service Worker failed while the host was stopping")
      }).pipe(Effect.provide(logs.layer))
    })
  })
})
