/**
 * Acceptance, black-box: TestHost, ScheduledService and BackgroundTaskQueue as DESIGN.md names
 * them (`effect-host/testing`, `ScheduledService.make(name, { schedule, run, overlap?, perRun? })`,
 * `BackgroundTaskQueue` Tag with `enqueue` and `layer({ capacity, workers })`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Schedule } from "effect"
import { BackgroundService, BackgroundTaskQueue, HostedService, ScheduledService } from "effect-host"
import { TestHost } from "effect-host/testing"

const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow(), { discard: true })

describe("acceptance: TestHost", () => {
  it.scoped("records the lifecycle in order, stop returns the final exit", () =>
    Effect.gen(function*() {
      const svc = (name: string) => HostedService.make(name, { start: Effect.void, stop: Effect.void })
      const host = yield* TestHost.start([svc("A"), svc("B")])
      yield* host.started
      const exit = yield* host.stop
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(yield* host.trace).toStrictEqual([
        "A.start", "B.start", "lifetime.started", "lifetime.stopping", "B.stop", "A.stop", "lifetime.stopped"
      ])
    }))

  it.scoped("advance drives TestClock; injectFailure under StopHost fails the host", () =>
    Effect.gen(function*() {
      let ticks = 0
      const Ticker = BackgroundService.make("Ticker", Effect.forever(Effect.zipRight(Effect.sleep("1 second"), Effect.sync(() => ticks++))))
      const host = yield* TestHost.start([Ticker])
      yield* host.started
      yield* host.advance("5 seconds")
      expect(ticks).toBe(5)
      yield* host.injectFailure("Ticker", new Error("injected"))
      const exit = yield* host.exit
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("BackgroundServiceError")
    }))

  it.scoped("requestStop, then poll sees the exit", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start(HostedService.make("A", {}))
      yield* host.started
      yield* host.requestStop
      yield* host.exit
      const polled = yield* host.poll
      expect(polled._tag).toBe("Some")
    }))
})

describe("acceptance: ScheduledService", () => {
  it.scoped("Schedule.spaced: runs at 1, 2, 3 ... intervals after start", () =>
    Effect.gen(function*() {
      let runs = 0
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run: Effect.sync(() => runs++) })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("59 seconds")
      expect(runs).toBe(0)
      yield* host.advance("1 second")
      expect(runs).toBe(1)
      yield* host.advance("2 minutes")
      expect(runs).toBe(3)
      expect(Exit.isSuccess(yield* host.stop)).toBe(true)
    }))

  it.scoped("a cron string", () =>
    Effect.gen(function*() {
      let runs = 0
      const Job = ScheduledService.make("Cron", { schedule: "*/5 * * * *", run: Effect.sync(() => runs++), timeZone: "UTC" })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("30 minutes")
      expect(runs).toBe(6)
    }))

  it.scoped("overlap skip (default): a slow run drops the ticks it covers; a failing run does not kill the timer", () =>
    Effect.gen(function*() {
      let runs = 0
      const Job = ScheduledService.make("Slow", {
        schedule: Schedule.spaced("1 second"),
        run: Effect.suspend(() => {
          runs++
          return runs === 1 ? Effect.sleep("2500 millis") : Effect.fail("oops")
        })
      })
      const host = yield* TestHost.start([Job])
      yield* host.started
      for (let i = 0; i < 6; i++) yield* host.advance("1 second")
      // run 1 at 1s (until 3.5s), ticks at 2s and 3s skipped, runs at 4s, 5s, 6s
      expect(runs).toBe(4)
      expect(Exit.isSuccess(yield* host.stop)).toBe(true)
    }))

  it.scoped("perRun: a fresh layer per run, released when the run ends", () =>
    Effect.gen(function*() {
      class Tx extends Context.Tag("Tx")<Tx, { readonly id: number }>() {}
      const log: Array<string> = []
      let next = 0
      const TxLive = Layer.scoped(Tx, Effect.acquireRelease(
        Effect.sync(() => ({ id: ++next })),
        (tx) => Effect.sync(() => void log.push(`release ${tx.id}`))
      ))
      const Job = ScheduledService.make("Tx", {
        schedule: Schedule.spaced("1 second"),
        run: Effect.flatMap(Tx, (tx) => Effect.sync(() => void log.push(`run ${tx.id}`))),
        perRun: TxLive
      })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("1 second")
      yield* host.advance("1 second")
      expect(log).toStrictEqual(["run 1", "release 1", "run 2", "release 2"])
    }))
})

// Producers get the queue with `Layer.provide(QueueLive)` (the host's memo map builds it once):
// a list `[QueueLive, Producer]` alone does not hand the queue to Producer (see the report).
describe("acceptance: BackgroundTaskQueue", () => {
  it.scoped("enqueue via the static accessor and via the service; workers run the tasks", () =>
    Effect.gen(function*() {
      const done: Array<number> = []
      const QueueLive = BackgroundTaskQueue.layer({ capacity: 10, workers: 2 })
      const Producer = HostedService.make("Producer", {
        started: Effect.gen(function*() {
          yield* BackgroundTaskQueue.enqueue(Effect.sync(() => done.push(1)))
          const queue = yield* BackgroundTaskQueue
          yield* queue.enqueue(Effect.sync(() => done.push(2)))
        })
      }).pipe(Layer.provide(QueueLive))
      const host = yield* TestHost.start([QueueLive, Producer])
      yield* host.started
      yield* settle
      expect(done.sort()).toStrictEqual([1, 2])
      expect(Exit.isSuccess(yield* host.stop)).toBe(true)
    }))

  it.scoped("at stop the queued tasks are worked off (default drain) within the budget", () =>
    Effect.gen(function*() {
      const done: Array<number> = []
      const QueueLive = BackgroundTaskQueue.layer({ capacity: 10, workers: 1 })
      const Producer = HostedService.make("Producer", {
        started: Effect.forEach([1, 2, 3], (n) =>
          BackgroundTaskQueue.enqueue(Effect.zipRight(Effect.sleep("1 second"), Effect.sync(() => done.push(n)))), { discard: true })
      }).pipe(Layer.provide(QueueLive))
      const host = yield* TestHost.start([QueueLive, Producer])
      yield* host.started
      yield* host.requestStop
      yield* settle
      yield* host.advance("1 second")
      yield* host.advance("1 second")
      yield* host.advance("1 second")
      const exit = yield* host.exit
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(done).toStrictEqual([1, 2, 3])
    }))

  it.scoped("enqueue after the host stopped fails with TaskQueueStoppedError", () =>
    Effect.gen(function*() {
      const QueueLive = BackgroundTaskQueue.layer({ capacity: 1, workers: 1 })
      let queue: BackgroundTaskQueue.Service | undefined
      const Grab = HostedService.make("Grab", {
        start: Effect.map(BackgroundTaskQueue, (q) => void (queue = q))
      }).pipe(Layer.provide(QueueLive))
      const host = yield* TestHost.start([QueueLive, Grab])
      yield* host.started
      yield* host.stop
      expect(queue).toBeDefined()
      if (queue === undefined) return
      const result = yield* Effect.flip(queue.enqueue(Effect.void))
      expect(result._tag).toBe("TaskQueueStoppedError")
    }))
})
