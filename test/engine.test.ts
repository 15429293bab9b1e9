import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { ApplicationLifetime, Host, HostedService, HostError } from "effect-host"
import { defectTags } from "./util/host.js"

// The stop that stopApplication starts runs on a watcher fiber in the host's scope. When that
// scope closes while the stop is still running (the program ends right after stopApplication,
// or a signal arrives during a stop started by a background failure), the stop must still finish
// and the closing must wait for it, instead of being cut short and leaving waiters hanging.
it.effect("a stop in progress survives the host's scope closing under it", () =>
  Effect.gen(function*() {
    const log: Array<string> = []
    const Slow = HostedService.make("Slow", {
      start: Effect.sync(() => log.push("start")),
      stop: Effect.sleep("2 seconds").pipe(Effect.zipRight(Effect.sync(() => log.push("stop"))))
    })
    const program = Effect.gen(function*() {
      yield* ApplicationLifetime.stopApplication
      // Let the watcher begin the stop, then end the program: the scope closes mid-stop.
      yield* Effect.yieldNow()
    }).pipe(Effect.provide(Host.make([Slow])))
    const fiber = yield* Effect.fork(program)
    yield* TestClock.adjust("1 second")
    expect(log).toEqual(["start"])
    yield* TestClock.adjust("1 second")
    const exit = yield* Fiber.await(fiber)
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(log).toEqual(["start", "stop"])
  }))

it.effect("the shutdown deadline abandons a stop hook that never yields to interruption", () =>
  Effect.gen(function*() {
    const Stuck = HostedService.make("Stuck", { stop: Effect.uninterruptible(Effect.never) })
    const fiber = yield* Effect.fork(
      Effect.gen(function*() {
        yield* ApplicationLifetime.stopApplication
        yield* ApplicationLifetime.stopped
      }).pipe(Effect.provide(Host.make([Stuck], { shutdownTimeout: "5 seconds" })))
    )
    yield* TestClock.adjust("5 seconds")
    // The program completes (the stop never hangs), and its exit carries the deadline.
    const exit = yield* Fiber.await(fiber)
    expect(defectTags(exit)).toStrictEqual(["ShutdownTimeoutError"])
  }))


// A fiber waiting on `stopping` (the documented "effect that waits for the event") must observe
// it before any stopping hook runs, not after the whole stop.
it.effect("fibers waiting on ApplicationLifetime.stopping run before the stopping hooks", () =>
  Effect.gen(function*() {
    const log: Array<string> = []
    const rec = (entry: string) => Effect.sync(() => void log.push(entry))
    const Watch = Layer.effectDiscard(
      Effect.flatMap(ApplicationLifetime, (lifetime) => Effect.forkDaemon(Effect.zipRight(lifetime.stopping, rec("waiter.stopping"))))
    )
    const A = HostedService.make("A", {
      started: ApplicationLifetime.stopApplication,
      stopping: rec("A.stopping"),
      stop: rec("A.stop")
    })
    const B = HostedService.make("B", { stopping: rec("B.stopping") })
    yield* Host.launch([Watch, B, A], { logger: false })
    expect(log).toEqual(["waiter.stopping", "A.stopping", "B.stopping", "A.stop"])
  }))

// Interrupted from outside by a runner that does not observe hosts (plain NodeRuntime.runMain on
// Ctrl+C), a launch whose stop fails must not look like a clean interruption: the HostError rides
// along as a defect, so that runner reports it and exits non-zero.
describe("an interrupted Host.launch", () => {
  const launchThenInterrupt = (stop: Effect.Effect<void, string>) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Host.launch([HostedService.make("Db", { start: Effect.void, stop })], { shutdownTimeout: "5 seconds", logger: false })
      )
      yield* TestClock.adjust("1 second")
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("5 seconds")
      const exit = yield* Fiber.join(interrupting)
      expect(Exit.isInterrupted(exit)).toBe(true)
      return Exit.isFailure(exit) ? [...Cause.defects(exit.cause)] : []
    })

  it.effect("carries the stop's failure as a defect", () =>
    Effect.gen(function*() {
      const [defect, ...rest] = yield* launchThenInterrupt(Effect.fail("disk full"))
      expect(rest).toEqual([])
      expect(defect).toBeInstanceOf(HostError.HostStopError)
    }))

  it.effect("carries a missed shutdown deadline as a defect", () =>
    Effect.gen(function*() {
      const [defect] = yield* launchThenInterrupt(Effect.never)
      expect(defect).toBeInstanceOf(HostError.ShutdownTimeoutError)
    }))

  it.effect("is a plain interruption when the stop went well", () =>
    Effect.gen(function*() {
      expect(yield* launchThenInterrupt(Effect.void)).toEqual([])
    }))
})
