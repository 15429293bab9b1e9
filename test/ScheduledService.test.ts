/**
 * ScheduledService (issue 4): exact run times under TestClock for Schedule.spaced, Schedule.fixed
 * and cron strings; the three overlap policies with runs longer than the interval; the stop waits
 * for the run in progress; failures are logged and do not end the service; an invalid cron fails
 * the build. Every run records the TestClock time at which it began.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Fiber, Layer, Metric, Option, Schedule, TestClock } from "effect"
import { ApplicationLifetime, ConfigurationError, Host, HostedService, ScheduledService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, countingLayer, failureOf, Resource, settle } from "./util/background.js"

/** A run that records when it began and ended, and how many runs were in progress at once. */
const timedRun = (duration: Duration.DurationInput = 0) => {
  const starts: Array<number> = []
  const ends: Array<number> = []
  const concurrency = { now: 0, max: 0 }
  const run = Effect.gen(function*() {
    starts.push(yield* Clock.currentTimeMillis)
    concurrency.now++
    concurrency.max = Math.max(concurrency.max, concurrency.now)
    yield* Effect.sleep(duration)
    ends.push(yield* Clock.currentTimeMillis)
  }).pipe(Effect.ensuring(Effect.sync(() => void concurrency.now--)))
  return { starts, ends, concurrency, run }
}

const seconds = (...s: Array<number>) => s.map((x) => x * 1000)

/**
 * The TestClock, except that a sleep longer than 1 ms wakes 1 ms early, as a real timer sometimes
 * does (Node measures `setTimeout` against its cached loop time, `Date.now` is another clock).
 * `adjust` is kept so that `TestHost`'s clean-up, which runs with this clock, can still move time.
 */
const earlyWakingClock = Effect.map(TestClock.testClock(), (clock): Clock.Clock & Pick<TestClock.TestClock, "adjust"> => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => clock.unsafeCurrentTimeMillis(),
  unsafeCurrentTimeNanos: () => clock.unsafeCurrentTimeNanos(),
  currentTimeMillis: clock.currentTimeMillis,
  currentTimeNanos: clock.currentTimeNanos,
  sleep: (duration) =>
    clock.sleep(Duration.greaterThan(duration, Duration.millis(1)) ? Duration.subtract(duration, Duration.millis(1)) : duration),
  adjust: (duration) => clock.adjust(duration)
}))

describe("ScheduledService run times", () => {
  it.scoped("Schedule.spaced: runs at each recurrence, the first one interval after start", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const host = yield* TestHost.start([ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run })])
      yield* host.started
      yield* host.advance("59 seconds")
      expect(starts).toStrictEqual([])
      yield* host.advance(241_000)
      expect(starts).toStrictEqual(seconds(60, 120, 180, 240, 300))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("Schedule.spaced: a slow run does not shift the timetable (ticks are stepped when they fire)", () =>
    Effect.gen(function*() {
      const { run, starts, ends } = timedRun("20 seconds")
      const host = yield* TestHost.start([ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run })])
      yield* host.started
      yield* host.advance(210_000)
      expect(starts).toStrictEqual(seconds(60, 120, 180))
      expect(ends).toStrictEqual(seconds(80, 140, 200))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("Schedule.fixed: runs on the fixed grid", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun("10 seconds")
      const host = yield* TestHost.start([ScheduledService.make("Job", { schedule: Schedule.fixed("30 seconds"), run })])
      yield* host.started
      yield* host.advance("2 minutes")
      expect(starts).toStrictEqual(seconds(30, 60, 90, 120))
      // The run that began at 120 s is awaited by the stop.
      yield* host.requestStop
      yield* host.advance("10 seconds")
      assertSuccess(yield* host.exit)
    }))

  // Schedule.fixed and cron compute the next slot from the clock's time: stepped 1 ms before a
  // slot, they answer "this slot, in 1 ms", and the slot used to run twice (999, 1000, 1999, 2000 ...).
  it.scoped.each([
    ["Schedule.fixed", Schedule.fixed("1 second")],
    ["a cron string", "* * * * * *"],
    ["Schedule.windowed", Schedule.windowed("1 second")]
  ] as const)("%s: a timer that wakes early still runs each slot once, on time", ([, schedule]) =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const clock = yield* earlyWakingClock
      const host = yield* TestHost.start([ScheduledService.make("Job", { schedule, timeZone: "UTC", run })]).pipe(
        Effect.withClock(clock)
      )
      yield* host.started
      yield* host.advance("5 seconds")
      expect(starts).toStrictEqual(seconds(1, 2, 3, 4, 5))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("Schedule.spaced: a timer that wakes early runs at the recurrence's time, not before", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const clock = yield* earlyWakingClock
      const host = yield* TestHost.start([ScheduledService.make("Job", { schedule: Schedule.spaced("1 second"), run })]).pipe(
        Effect.withClock(clock)
      )
      yield* host.started
      yield* host.advance("3 seconds")
      expect(starts).toStrictEqual(seconds(1, 2, 3))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a cron string: runs at the matching minutes (time zone UTC)", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const host = yield* TestHost.start([
        ScheduledService.make("Job", { schedule: "*/5 * * * *", timeZone: "UTC", run })
      ])
      yield* host.started
      yield* host.advance("16 minutes")
      expect(starts).toStrictEqual(seconds(300, 600, 900))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a cron string with seconds", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const host = yield* TestHost.start([
        ScheduledService.make("Job", { schedule: "*/10 * * * * *", timeZone: "UTC", run })
      ])
      yield* host.started
      yield* host.advance("35 seconds")
      expect(starts).toStrictEqual(seconds(10, 20, 30))
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a cron string in a time zone: 09:00 in Berlin is 08:00 UTC in January", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const host = yield* TestHost.start([
        ScheduledService.make("Job", { schedule: "0 9 * * *", timeZone: "Europe/Berlin", run })
      ])
      yield* host.started
      // TestClock starts at 1970-01-01T00:00:00Z.
      yield* host.advance("2 days")
      const hour = 3600_000
      expect(starts).toStrictEqual([8 * hour, 32 * hour])
      assertSuccess(yield* host.stop)
    }))

  it.scoped("a schedule that ends leaves the service idle until the stop", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const host = yield* TestHost.start([
        ScheduledService.make("Job", { schedule: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3))), run })
      ])
      yield* host.started
      yield* host.advance("1 minute")
      expect(starts).toStrictEqual(seconds(1, 2, 3))
      expect(Option.isNone(yield* host.poll)).toBe(true)
      assertSuccess(yield* host.stop)
    }))
})

describe("ScheduledService overlap (runs of 150 s, or 130 s, on a 60 s schedule)", () => {
  it.scoped("skip (default): ticks during a run are skipped", () =>
    Effect.gen(function*() {
      const { concurrency, run, starts } = timedRun("150 seconds")
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "1 hour" })
      yield* host.started
      yield* host.advance("7 minutes")
      // 60-210 runs; 120 and 180 skipped; 240-390 runs; 300 and 360 skipped; 420 runs.
      expect(starts).toStrictEqual(seconds(60, 240, 420))
      expect(concurrency.max).toBe(1)
      const stats = yield* Job.stats
      expect(stats).toMatchObject({ runs: 3, succeeded: 2, skipped: 4, running: 1 })
      yield* host.requestStop
      yield* host.advance("150 seconds")
      assertSuccess(yield* host.exit)
    }))

  it.scoped("queue: ticks during a run wait, and run back to back after it", () =>
    Effect.gen(function*() {
      const { concurrency, ends, run, starts } = timedRun("130 seconds")
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run, overlap: "queue" })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "1 hour" })
      yield* host.started
      yield* host.advance("460 seconds")
      // Ticks at 60, 120, ..., 420 (7); runs back to back: 60-190, 190-320, 320-450, 450-580.
      expect(starts).toStrictEqual(seconds(60, 190, 320, 450))
      expect(ends).toStrictEqual(seconds(190, 320, 450))
      expect(concurrency.max).toBe(1)
      // At stop, the run in progress is awaited and the 3 queued ticks are dropped.
      yield* host.requestStop
      yield* host.advance("119 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("1 second")
      assertSuccess(yield* host.exit)
      expect(ends).toStrictEqual(seconds(190, 320, 450, 580))
      expect(yield* Job.stats).toMatchObject({ runs: 4, succeeded: 4, skipped: 3, running: 0 })
    }))

  it.scoped("allow: every tick starts a run, concurrently with the running ones", () =>
    Effect.gen(function*() {
      const { concurrency, run, starts } = timedRun("150 seconds")
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run, overlap: "allow" })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "1 hour" })
      yield* host.started
      yield* host.advance("5 minutes")
      expect(starts).toStrictEqual(seconds(60, 120, 180, 240, 300))
      expect(concurrency.max).toBe(3)
      // The stop waits for all three runs in progress (started at 180, 240, 300).
      yield* host.requestStop
      yield* host.advance("149 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance("1 second")
      assertSuccess(yield* host.exit)
      expect(yield* Job.stats).toMatchObject({ runs: 5, succeeded: 5, running: 0 })
    }))
})

describe("ScheduledService stop", () => {
  it.scoped("the stop waits for the run in progress, and no new run begins", () =>
    Effect.gen(function*() {
      const { ends, run, starts } = timedRun("30 seconds")
      const resource = countingLayer()
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run, perRun: resource.layer })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("70 seconds")
      expect(starts).toStrictEqual(seconds(60))
      yield* host.requestStop
      yield* host.advance("19 seconds")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      expect(resource.counts).toStrictEqual({ acquired: 1, released: 0 })
      yield* host.advance("1 second")
      assertSuccess(yield* host.exit)
      expect(ends).toStrictEqual(seconds(90))
      expect(resource.counts).toStrictEqual({ acquired: 1, released: 1 })
      yield* host.advance("10 minutes")
      expect(starts).toStrictEqual(seconds(60))
    }))

  it.scoped("a run longer than the shutdown budget is interrupted at the deadline, and its perRun layer released", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun("1 hour")
      const resource = countingLayer()
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run, perRun: resource.layer })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "10 seconds" })
      yield* host.started
      yield* host.advance("1 minute")
      expect(starts).toStrictEqual(seconds(60))
      yield* host.requestStop
      yield* host.advance("10 seconds")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Job"] })
      // Released within the grace, before the host returned (this used to need a settle here).
      expect(resource.counts).toStrictEqual({ acquired: 1, released: 1 })
      expect(yield* Job.stats).toMatchObject({ runs: 1, interrupted: 1, running: 0 })
    }))
})

describe("ScheduledService at the shutdown deadline", () => {
  // Host.launch itself, so that the counters are read in its fiber the moment it returned.
  it.scoped("the interrupted run's perRun layer and scope are released before Host.launch returns", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      // Closing takes a moment (a macrotask), as closing a connection does.
      const closing = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const PerRun = Layer.scoped(
        Resource,
        Effect.acquireRelease(
          Effect.sync(() => (events.push("acquired"), { id: 1 })),
          () => Effect.zipRight(closing, Effect.sync(() => void events.push("layer released")))
        )
      )
      const run = Effect.gen(function*() {
        yield* Resource
        yield* Effect.addFinalizer(() => Effect.zipRight(closing, Effect.sync(() => void events.push("run scope closed"))))
        events.push("running")
        return yield* Effect.never
      })
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run, perRun: PerRun })
      let atReturn: ReadonlyArray<string> = []
      const launched = yield* Host.launch([Job, HostedService.make("Stopper", {
        started: Effect.flatMap(ApplicationLifetime, (lifetime) =>
          Effect.forkDaemon(Effect.zipRight(Effect.sleep("90 seconds"), lifetime.stopApplication)))
      })], { shutdownTimeout: "10 seconds" }).pipe(
        Effect.onExit(() => Effect.sync(() => void (atReturn = [...events]))),
        Effect.fork
      )
      yield* settle
      yield* TestClock.adjust("1 minute")
      expect(events).toStrictEqual(["acquired", "running"])
      yield* TestClock.adjust("30 seconds")
      yield* settle
      yield* TestClock.adjust("10 seconds")
      expect(failureOf(yield* Fiber.await(launched))).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Job"] })
      expect(atReturn).toStrictEqual(["acquired", "running", "run scope closed", "layer released"])
      expect(yield* Job.stats).toMatchObject({ runs: 1, interrupted: 1, running: 0 })
    }))

  it.scoped("a run that ignores interruption is abandoned after the grace, and the host still returns", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const resource = countingLayer()
      const Job = ScheduledService.make("Stubborn", {
        schedule: Schedule.spaced("1 minute"),
        run: Effect.uninterruptible(Effect.zipRight(Resource, Effect.sleep("1 hour"))),
        perRun: resource.layer
      })
      const host = yield* TestHost.start([Job], { shutdownTimeout: "10 seconds" })
      yield* host.started
      yield* host.advance("1 minute")
      yield* host.requestStop
      const before = Date.now()
      yield* host.advance("10 seconds")
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
      expect(Date.now() - before).toBeLessThan(3_000)
      // Waited for and said once: the interrupted stop, the engine and the layer's release all cut it off.
      expect(logs.messages("WARN").filter((m) => m.includes("still in progress"))).toStrictEqual([
        "Scheduled service Stubborn: 1 of 1 interrupted run(s) still in progress after a 400ms grace; abandoned (their perRun layers may not be released)"
      ])
      expect(resource.counts).toStrictEqual({ acquired: 1, released: 0 })
    }).pipe(Effect.provide(logs.layer))
  })
})

describe("ScheduledService failures and observability", () => {
  it.scoped("a failing run is logged with its cause and the schedule goes on", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      let n = 0
      const run = Effect.suspend(() => ++n % 2 === 1 ? Effect.fail(`run ${n} failed`) : Effect.void)
      const Job = ScheduledService.make("FlakyJob", { schedule: Schedule.spaced("1 minute"), run })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("4 minutes")
      expect(Option.isNone(yield* host.poll)).toBe(true)
      const stats = yield* Job.stats
      expect(stats).toMatchObject({ runs: 4, succeeded: 2, failed: 2, interrupted: 0, skipped: 0, running: 0 })
      const failures = logs.lines.filter((l) => l.level === "ERROR")
      expect(failures.map((l) => Cause.squash(l.cause))).toStrictEqual(["run 1 failed", "run 3 failed"])
      expect(failures[0]?.message).toContain("FlakyJob")
      // Last outcome: run 4, a success at 4 minutes.
      const last = Option.getOrThrow(stats.lastRun)
      expect(last).toMatchObject({ startedAt: 240_000, endedAt: 240_000, outcome: "success" })
      assertSuccess(yield* host.stop)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("the runs metric counts runs by service and outcome", () =>
    Effect.gen(function*() {
      // A name no other test uses: metrics are global.
      const name = "MetricJob"
      let n = 0
      const run = Effect.suspend(() => ++n === 2 ? Effect.die("boom") : Effect.void)
      const Job = ScheduledService.make(name, { schedule: Schedule.spaced("1 second"), run })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("3 seconds")
      const count = (outcome: string) =>
        Metric.value(ScheduledService.runsTotal.pipe(Metric.tagged("service", name), Metric.tagged("outcome", outcome)))
      expect((yield* count("success")).count).toBe(2)
      expect((yield* count("failure")).count).toBe(1)
      assertSuccess(yield* host.stop)
    }))

  it.scoped("onFailure: \"stop\" ends the schedule and reports the failure to the host (StopHost)", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const Job = ScheduledService.make("Job", {
        schedule: Schedule.spaced("1 minute"),
        run: Effect.zipRight(run, Effect.fail("bad data")),
        onFailure: "stop"
      })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("1 minute")
      const error = failureOf(yield* host.exit)
      expect(error).toMatchObject({ _tag: "BackgroundServiceError", service: "Job" })
      expect(starts).toStrictEqual(seconds(60))
    }))

  it.scoped("onFailure: \"stop\" under Ignore: no more runs, the host keeps running", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const Job = ScheduledService.make("Job", {
        schedule: Schedule.spaced("1 minute"),
        run: Effect.zipRight(run, Effect.fail("bad data")),
        onFailure: "stop"
      })
      const host = yield* TestHost.start([Job], { backgroundServiceExceptionBehavior: "Ignore" })
      yield* host.started
      yield* host.advance("5 minutes")
      expect(starts).toStrictEqual(seconds(60))
      expect(Option.isNone(yield* host.poll)).toBe(true)
      assertSuccess(yield* host.stop)
    }))

  // Changed on purpose: an invalid cron string used to fail the build with InvalidScheduleError
  // (exit 1, only the first one named); it is a ConfigurationError now, reported with the others.
  it.scoped("an invalid cron string fails the build with a ConfigurationError naming the option; nothing starts", () =>
    Effect.gen(function*() {
      const started: Array<string> = []
      const Before = HostedService.make("Before", { start: Effect.sync(() => void started.push("Before")) })
      const Bad = ScheduledService.make("Reports", { schedule: "61 * * * *", run: Effect.void })
      const host = yield* TestHost.start([Before, Bad])
      const error = failureOf(yield* host.exit)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).issues).toStrictEqual([{
        key: "ScheduledService Reports: schedule",
        message: "invalid cron expression \"61 * * * *\": Expected a value between 0 and 59 (at \"61\")",
        source: { _tag: "Code" }
      }])
      expect((error as ConfigurationError).message).toBe(
        "Invalid configuration (1 problem):\n" +
          "  - ScheduledService Reports: schedule: invalid cron expression \"61 * * * *\": " +
          "Expected a value between 0 and 59 (at \"61\") (from code)"
      )
      expect(started).toStrictEqual([])
    }))

  it.effect("an unknown time zone or a wrong number of fields is reported the same way", () =>
    Effect.gen(function*() {
      const messageOf = (schedule: string, timeZone?: string) =>
        TestHost.start([ScheduledService.make("Job", { schedule, timeZone, run: Effect.void })]).pipe(
          Effect.flatMap((host) => host.exit),
          Effect.flatten,
          Effect.flip,
          Effect.map((error) => (error as ConfigurationError).issues.map((i) => `${i.key}: ${i.message}`)),
          Effect.scoped
        )
      expect(yield* messageOf("0 9 * * *", "Mars/Olympus")).toStrictEqual([
        "ScheduledService Job: schedule: invalid cron expression \"0 9 * * *\" (time zone \"Mars/Olympus\"): Invalid time zone in cron expression (at \"Mars/Olympus\")"
      ])
      expect(yield* messageOf("* * *")).toStrictEqual([
        "ScheduledService Job: schedule: invalid cron expression \"* * *\": Invalid number of segments in cron expression"
      ])
    }))

  it("InvalidScheduleError still describes the problem, with and without the service's name", () => {
    const error = new ScheduledService.InvalidScheduleError({
      service: "Reports",
      expression: "61 * * * *",
      timeZone: undefined,
      reason: "Expected a value between 0 and 59",
      input: "61"
    })
    expect(error.detail).toBe("invalid cron expression \"61 * * * *\": Expected a value between 0 and 59 (at \"61\")")
    expect(error.message).toBe(`scheduled service Reports: ${error.detail}`)
  })
})

describe("ScheduledService is a value built whole", () => {
  it("carries its tag, name and stats as its own properties, and leaves the layer it wraps alone", () => {
    const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run: Effect.void })
    expect(ScheduledService.isScheduledService(Job)).toBe(true)
    expect(Layer.isLayer(Job)).toBe(true)
    expect(Job.serviceName).toBe("Job")
    expect(Object.getOwnPropertySymbols(Job)).toContain(ScheduledService.TypeId)
    expect(Object.keys(Job)).toEqual(expect.arrayContaining(["serviceName", "stats"]))
    // The hosted-service layer underneath is not patched: it is not a scheduled service itself.
    const wrapped: unknown = Object.getPrototypeOf(Job)
    expect(Layer.isLayer(wrapped)).toBe(true)
    expect(ScheduledService.isScheduledService(wrapped)).toBe(false)
    expect(Object.hasOwn(wrapped as object, "stats")).toBe(false)
    for (const other of [Layer.empty, Effect.void, null, undefined, { serviceName: "Job" }]) {
      expect(ScheduledService.isScheduledService(other)).toBe(false)
    }
  })

  it.scoped("Host.launch runs it (its stats count the runs)", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run })
      const host = yield* TestHost.start([Job])
      yield* host.started
      yield* host.advance("3 minutes")
      expect(starts).toStrictEqual(seconds(60, 120, 180))
      expect(yield* Job.stats).toMatchObject({ runs: 3, succeeded: 3 })
      assertSuccess(yield* host.stop)
    }))

  it.effect("Layer.launch runs it standalone, and interrupting the launch stops it", () =>
    Effect.gen(function*() {
      const { run, starts } = timedRun()
      const Job = ScheduledService.make("Job", { schedule: Schedule.spaced("1 minute"), run })
      const fiber = yield* Effect.fork(Layer.launch(Job))
      yield* settle
      yield* TestClock.adjust("2 minutes")
      expect(starts).toStrictEqual(seconds(60, 120))
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("2 minutes")
      expect(starts).toStrictEqual(seconds(60, 120))
      expect(yield* Job.stats).toMatchObject({ runs: 2, succeeded: 2, running: 0 })
    }))
})
