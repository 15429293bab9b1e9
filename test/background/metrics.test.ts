/**
 * The background-work metrics, read back from the rendered registry as a scraper reads them:
 * background-service failures and restarts, scheduled runs, skips and lateness, and the queue's
 * depth, running tasks, totals, unprocessed tasks and wait. Timed behaviour under TestClock.
 *
 * Metrics are global to the test file's process: every test uses service names of its own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Schedule } from "effect"
import { BackgroundService, BackgroundTaskQueue, ScheduledService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, settle, startWithQueue } from "../util/background.js"
import { scrapeRegistry } from "../util/prometheus.js"

/** The queue's series of `service`, as a scraper sees them. */
const queueSeries = (service: string) =>
  Effect.map(scrapeRegistry, (scrape) => ({
    enqueued: scrape.value("effect_host_queue_tasks_enqueued_total", { service }),
    started: scrape.value("effect_host_queue_tasks_started_total", { service }),
    completed: scrape.value("effect_host_queue_tasks_completed_total", { service }),
    failed: scrape.value("effect_host_queue_tasks_failed_total", { service }),
    depth: scrape.value("effect_host_queue_depth", { service }),
    inFlight: scrape.value("effect_host_queue_in_flight", { service }),
    waitSeconds: scrape.value("effect_host_queue_wait_seconds_total", { service })
  }))

describe("background service metrics", () => {
  it.scoped("every failed attempt is a failure; every restart of the schedule a restart", () =>
    Effect.gen(function*() {
      let attempts = 0
      const host = yield* TestHost.start([
        BackgroundService.make("MetricsFlaky", Effect.suspend(() => (++attempts <= 3 ? Effect.fail("boom") : Effect.never)), {
          restart: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(5)))
        })
      ])
      yield* host.started
      yield* settle
      yield* host.advance("1 second")
      yield* host.advance("1 second")
      yield* host.advance("1 second")
      expect(attempts).toBe(4)
      const scrape = yield* scrapeRegistry
      expect(scrape.families.get("effect_host_background_failures_total")?.type).toBe("counter")
      expect(scrape.value("effect_host_background_failures_total", { service: "MetricsFlaky" })).toBe(3)
      expect(scrape.value("effect_host_background_restarts_total", { service: "MetricsFlaky" })).toBe(3)
      // The host's own stop interrupts the fourth attempt: not a failure.
      assertSuccess(yield* host.stop)
      expect((yield* scrapeRegistry).value("effect_host_background_failures_total", { service: "MetricsFlaky" })).toBe(3)
    }))

  it.scoped("an exhausted schedule: failures counted, the last one not a restart", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([
        BackgroundService.make("MetricsGivesUp", Effect.fail("boom"), { restart: Schedule.recurs(1) })
      ], { backgroundServiceExceptionBehavior: "Ignore" })
      yield* host.started
      yield* settle
      const scrape = yield* scrapeRegistry
      expect(scrape.value("effect_host_background_failures_total", { service: "MetricsGivesUp" })).toBe(2)
      expect(scrape.value("effect_host_background_restarts_total", { service: "MetricsGivesUp" })).toBe(1)
      yield* host.stop
    }))
})

describe("scheduled service metrics", () => {
  it.scoped("lateness: 0 for a run on time, the wait for the run before it with overlap \"queue\"", () =>
    Effect.gen(function*() {
      // Ticks at 60 s and 120 s; the first run takes 90 s, so the second starts at 150 s: 30 s late.
      const host = yield* TestHost.start([
        ScheduledService.make("MetricsLate", {
          schedule: Schedule.spaced("1 minute"),
          overlap: "queue",
          run: Effect.sleep("90 seconds")
        })
      ], { shutdownTimeout: "2 minutes" })
      yield* host.started
      yield* host.advance("155 seconds")
      const scrape = yield* scrapeRegistry
      const l = "effect_host_scheduled_lateness_seconds"
      expect(scrape.families.get(l)?.type).toBe("histogram")
      expect(scrape.value(`${l}_count`, { service: "MetricsLate" })).toBe(2)
      expect(scrape.value(`${l}_sum`, { service: "MetricsLate" })).toBe(30)
      expect(scrape.value(`${l}_bucket`, { service: "MetricsLate", le: "0.001" })).toBe(1)
      expect(scrape.value(`${l}_bucket`, { service: "MetricsLate", le: "10" })).toBe(1)
      expect(scrape.value(`${l}_bucket`, { service: "MetricsLate", le: "60" })).toBe(2)
      expect(scrape.value("effect_host_scheduled_runs_total", { service: "MetricsLate", outcome: "success" })).toBe(1)
      assertSuccess(yield* host.stop)
      expect((yield* scrapeRegistry).value("effect_host_scheduled_runs_total", { service: "MetricsLate", outcome: "success" })).toBe(2)
    }))

  it.scoped("runs by outcome and skipped ticks", () =>
    Effect.gen(function*() {
      let run = 0
      const host = yield* TestHost.start([
        ScheduledService.make("MetricsSkips", {
          schedule: Schedule.spaced("1 minute"),
          // The first run fails; the second takes 150 s and covers two ticks, which are skipped.
          run: Effect.suspend(() => (++run === 1 ? Effect.fail("boom") : run === 2 ? Effect.sleep("150 seconds") : Effect.void))
        })
      ])
      yield* host.started
      yield* host.advance("5 minutes")
      const scrape = yield* scrapeRegistry
      expect(scrape.value("effect_host_scheduled_runs_total", { service: "MetricsSkips", outcome: "failure" })).toBe(1)
      expect(scrape.value("effect_host_scheduled_runs_total", { service: "MetricsSkips", outcome: "success" })).toBe(2)
      expect(scrape.value("effect_host_scheduled_skipped_total", { service: "MetricsSkips" })).toBe(2)
      yield* host.stop
    }))
})

describe("queue metrics", () => {
  it.scoped("depth, running tasks, totals and the wait, as the tasks go through", () =>
    Effect.gen(function*() {
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ name: "MetricsMail", capacity: 10 }))
      // One worker, three tasks of 10 s each; the second fails.
      yield* queue.enqueue(Effect.sleep("10 seconds"))
      yield* queue.enqueue(Effect.zipRight(Effect.sleep("10 seconds"), Effect.fail("smtp down")))
      yield* queue.enqueue(Effect.sleep("10 seconds"))
      yield* settle
      expect(yield* queueSeries("MetricsMail")).toEqual({
        enqueued: 3,
        started: 1,
        completed: 0,
        failed: 0,
        depth: 2,
        inFlight: 1,
        waitSeconds: 0
      })
      yield* host.advance("10 seconds")
      yield* settle
      expect(yield* queueSeries("MetricsMail")).toMatchObject({ started: 2, completed: 1, depth: 1, inFlight: 1, waitSeconds: 20 })
      yield* host.advance("10 seconds")
      yield* settle
      yield* host.advance("10 seconds")
      yield* settle
      // Waits of 0, 10 and 20 s.
      expect(yield* queueSeries("MetricsMail")).toEqual({
        enqueued: 3,
        started: 3,
        completed: 3,
        failed: 1,
        depth: 0,
        inFlight: 0,
        waitSeconds: 30
      })
      assertSuccess(yield* host.stop)
    }))

  it.scoped("the wait counts only the time tasks wait, not the idle time before them", () =>
    Effect.gen(function*() {
      const { host, queue } = yield* startWithQueue(BackgroundTaskQueue.layer({ name: "MetricsIdleFirst", capacity: 10 }))
      // Idle for a minute, with tasks going through that never wait.
      for (let i = 0; i < 3; i++) {
        yield* queue.enqueue(Effect.void)
        yield* settle
        yield* host.advance("20 seconds")
        yield* settle
      }
      expect(yield* queueSeries("MetricsIdleFirst")).toMatchObject({ completed: 3, depth: 0, waitSeconds: 0 })
      // Then one worker, a task of 5 s and two behind it: they wait 5 s each, then the last 5 s more.
      for (let i = 0; i < 3; i++) yield* queue.enqueue(Effect.sleep("5 seconds"))
      yield* settle
      yield* host.advance("5 seconds")
      yield* settle
      expect(yield* queueSeries("MetricsIdleFirst")).toMatchObject({ started: 5, depth: 1, waitSeconds: 10 })
      yield* host.advance("10 seconds")
      yield* settle
      expect(yield* queueSeries("MetricsIdleFirst")).toMatchObject({ completed: 6, depth: 0, waitSeconds: 15 })
      assertSuccess(yield* host.stop)
    }))

  it.scoped("tasks not completed at stop, by status; enqueued = completed + unprocessed", () =>
    Effect.gen(function*() {
      const never = yield* Deferred.make<void>()
      const { host, queue } = yield* startWithQueue(
        BackgroundTaskQueue.layer({ name: "MetricsCancelled", capacity: 10, workers: 2, drain: "cancel" })
      )
      yield* queue.enqueue(Effect.void)
      for (let i = 0; i < 4; i++) yield* queue.enqueue(Deferred.await(never))
      yield* settle
      expect(yield* queueSeries("MetricsCancelled")).toMatchObject({ enqueued: 5, completed: 1, depth: 2, inFlight: 2 })
      assertSuccess(yield* host.stop)
      const scrape = yield* scrapeRegistry
      const unprocessed = (status: string) =>
        scrape.value("effect_host_queue_tasks_unprocessed_total", { service: "MetricsCancelled", status })
      expect(unprocessed("interrupted")).toBe(2)
      expect(unprocessed("notStarted")).toBe(2)
      expect(unprocessed("abandoned")).toBe(0)
      expect(yield* queueSeries("MetricsCancelled")).toMatchObject({ enqueued: 5, started: 3, completed: 1, depth: 0, inFlight: 0 })
    }))

  it.scoped("two queues of one name (two hosts) add up instead of overwriting each other", () =>
    Effect.gen(function*() {
      const never = yield* Deferred.make<void>()
      const first = yield* startWithQueue(BackgroundTaskQueue.layer({ name: "MetricsTwice", capacity: 10 }))
      const second = yield* startWithQueue(BackgroundTaskQueue.layer({ name: "MetricsTwice", capacity: 10 }))
      for (const { queue } of [first, second]) {
        yield* queue.enqueue(Deferred.await(never))
        yield* queue.enqueue(Effect.void)
      }
      yield* settle
      expect(yield* queueSeries("MetricsTwice")).toMatchObject({ enqueued: 4, depth: 2, inFlight: 2 })
      yield* Deferred.succeed(never, undefined)
      yield* settle
      expect(yield* queueSeries("MetricsTwice")).toMatchObject({ enqueued: 4, completed: 4, depth: 0, inFlight: 0 })
      yield* first.host.stop
      yield* second.host.stop
    }))
})
