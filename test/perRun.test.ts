/**
 * Scoped work per run (issue 4, the `IServiceScopeFactory` pattern): a layer built fresh for every
 * scheduled run / queued task and released when it ends — success, failure, or interruption by
 * the stop — counted by a layer with a finalizer counter over 10,000 runs.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Logger, Schedule } from "effect"
import { BackgroundTaskQueue, ScheduledService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, countingLayer, failureOf, Resource, settle } from "./util/background.js"

const runs = 10_000

// Each of these checks counts at 10,000 runs; it takes 3-5 s on a quiet two-core machine, and was
// measured at 31 s under `npm test`'s full load (lint and the process tests beside it), past the
// default 30 s. The timeout is there to catch a hang, not to time them.
const atScale = 120_000

// Thousands of failing runs are each logged with their cause; the logging is tested elsewhere,
// here it would only cost time.
const quiet = Logger.replace(Logger.defaultLogger, Logger.none)

describe("perRun (ScheduledService)", () => {
  it.scoped("10,000 sequential runs: 10,000 acquisitions and 10,000 releases, with failures and a run interrupted by the stop", () =>
    Effect.gen(function*() {
      const resource = countingLayer()
      const lastStarted = yield* Deferred.make<void>()
      const live = { now: 0, max: 0 }
      let n = 0
      const run = Effect.gen(function*() {
        const { id } = yield* Resource
        live.now++
        live.max = Math.max(live.max, live.now)
        yield* Effect.addFinalizer(() => Effect.sync(() => void live.now--))
        const i = ++n
        expect(id).toBe(i)
        if (i === runs) {
          yield* Deferred.succeed(lastStarted, undefined)
          return yield* Effect.never
        }
        if (i % 3 === 0) return yield* Effect.fail(`run ${i} failed`)
      })
      const Job = ScheduledService.make("Job", {
        // 10,000 ticks at once; "queue" runs them one after another.
        schedule: Schedule.recurs(runs),
        overlap: "queue",
        run,
        perRun: resource.layer
      })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "1 second" })
      yield* Deferred.await(lastStarted)
      expect(resource.counts).toStrictEqual({ acquired: runs, released: runs - 1 })

      // The stop waits for the last run, which never ends: the deadline interrupts it.
      yield* host.requestStop
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Job"] })
      // Released within the grace, before the host returned (this used to need settling).

      expect(resource.counts).toStrictEqual({ acquired: runs, released: runs })
      expect(live).toStrictEqual({ now: 0, max: 1 })
      expect(yield* Job.stats).toMatchObject({
        runs,
        succeeded: runs - 1 - Math.floor((runs - 1) / 3),
        failed: Math.floor((runs - 1) / 3),
        interrupted: 1,
        running: 0
      })
    }).pipe(Effect.provide(quiet)), atScale)

  it.scoped("10,000 concurrent runs (overlap \"allow\"): every one released, including the 100 interrupted at the deadline", () =>
    Effect.gen(function*() {
      const resource = countingLayer()
      let n = 0
      let blocked = 0
      const allBlocked = yield* Deferred.make<void>()
      const run = Effect.gen(function*() {
        yield* Resource
        const i = ++n
        yield* Effect.yieldNow()
        if (i > runs - 100) {
          if (++blocked === 100) yield* Deferred.succeed(allBlocked, undefined)
          return yield* Effect.never
        }
        if (i % 2 === 0) return yield* Effect.die(`run ${i} died`)
      })
      const Job = ScheduledService.make("Job", { schedule: Schedule.recurs(runs), overlap: "allow", run, perRun: resource.layer })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "1 second" })
      yield* Deferred.await(allBlocked)
      yield* settle
      expect(resource.counts).toStrictEqual({ acquired: runs, released: runs - 100 })

      yield* host.requestStop
      yield* host.advance("1 second")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
      // Released within the grace, before the host returned (this used to need settling).
      expect(resource.counts).toStrictEqual({ acquired: runs, released: runs })
      expect(yield* Job.stats).toMatchObject({ runs, succeeded: 4_950, failed: 4_950, interrupted: 100, running: 0 })
    }).pipe(Effect.provide(quiet)), atScale)

  it.scoped("released in order: the run's own scope first, then the perRun layer; a layer that fails to build is a failed run", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      let builds = 0
      const PerRun = Layer.scoped(
        Resource,
        Effect.acquireRelease(
          Effect.suspend(() => ++builds === 2 ? Effect.fail("no connection") : Effect.succeed({ id: builds })),
          ({ id }) => Effect.sync(() => void events.push(`layer ${id} released`))
        )
      )
      const run = Effect.gen(function*() {
        const { id } = yield* Resource
        yield* Effect.addFinalizer(() => Effect.sync(() => void events.push(`run ${id} scope closed`)))
      })
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 second"), run, perRun: PerRun })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("3 seconds")
      expect(events).toStrictEqual(["run 1 scope closed", "layer 1 released", "run 3 scope closed", "layer 3 released"])
      expect(yield* Job.stats).toMatchObject({ runs: 3, succeeded: 2, failed: 1 })
      assertSuccess(yield* host.stop)
    }))
})

describe("perTask (BackgroundTaskQueue)", () => {
  class Jobs extends BackgroundTaskQueue.Tag("test/Jobs")<Jobs, Resource>() {}

  it("tasks that need a per-task service do not compile without a perTask layer providing it", () => {
    // @ts-expect-error perTask is required: tasks of Jobs need Resource
    const missing = () => Jobs.layer({ capacity: 1 })
    // @ts-expect-error perTask must provide Resource, not something else
    const wrong = () => Jobs.layer({ capacity: 1, perTask: Layer.empty })
    expect([typeof missing, typeof wrong]).toStrictEqual(["function", "function"])
  })

  it.scoped("10,000 tasks: each gets its own layer, released when it ends, also when cancelled at stop", () =>
    Effect.gen(function*() {
      const resource = countingLayer()
      const seen = new Set<number>()
      const completed: Array<number> = []
      const failed: Array<number> = []
      const reported: Array<BackgroundTaskQueue.Unprocessed<Resource>["status"]> = []
      const blockedAll = yield* Deferred.make<void>()
      let blocked = 0
      const workers = 4
      const JobsLive = Jobs.layer({
        capacity: runs,
        workers,
        drain: "cancel",
        perTask: resource.layer,
        onUnprocessed: (tasks) => Effect.sync(() => void reported.push(...tasks.map((t) => t.status)))
      })
      const captured: { queue?: BackgroundTaskQueue.Service<Resource> } = {}
      const Capture = Layer.effectDiscard(Effect.map(Jobs, (q) => void (captured.queue = q))).pipe(Layer.provide(JobsLive))
      const host = yield* TestHost.start([JobsLive, Capture])
      yield* host.started
      const queue = captured.queue
      if (queue === undefined) throw new Error("the queue was not built")

      for (let i = 1; i <= runs; i++) {
        yield* queue.enqueue(Effect.gen(function*() {
          const { id } = yield* Resource
          seen.add(id)
          // The last `workers` tasks to start block, so the stop finds every worker busy.
          if (i > runs - 2 * workers && ++blocked <= workers) {
            if (blocked === workers) yield* Deferred.succeed(blockedAll, undefined)
            return yield* Effect.never
          }
          if (i % 5 === 0) {
            failed.push(i)
            return yield* Effect.fail(`task ${i} failed`)
          }
          completed.push(i)
        }))
      }
      yield* Deferred.await(blockedAll)
      assertSuccess(yield* host.stop)

      const started = resource.counts.acquired
      expect(resource.counts.released).toBe(started)
      expect(seen.size).toBe(started)
      expect(reported.filter((s) => s === "interrupted")).toHaveLength(workers)
      // Everything not started when the workers blocked was reported as not started.
      expect(started + reported.filter((s) => s === "notStarted").length).toBe(runs)
      expect(completed.length + failed.length + workers).toBe(started)
      expect(failed.length).toBeGreaterThan(0)
    }).pipe(Effect.provide(quiet)), atScale)
})
