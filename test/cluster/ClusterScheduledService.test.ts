/**
 * ClusterScheduledService in one process: a cron slot runs once and gets its slot time (on a
 * SQLite file, on PostgreSQL, and on the in-memory test cluster under TestClock), a Schedule runs
 * through a singleton, invalid schedules are configuration errors, and the overlap and
 * missed-slot decisions.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Cron, DateTime, Duration, Effect, Exit, Layer, Option, Schedule } from "effect"
import { ConfigurationError, ScheduledService } from "effect-host"
import { ClusterScheduledService, HostCluster } from "effect-host/cluster"
import { TestHost } from "effect-host/testing"
import * as path from "node:path"
import { decide, nextSlot, slotsBetween } from "../../src/internal/cluster/scheduled.js"
import { describePostgres, freshDatabase, hostOptions, startHost, tempDir } from "./util/cluster.js"

interface Run {
  readonly slot: DateTime.Utc
  readonly at: number
}

/** A 1 s cron job recording its runs. */
const everySecond = (name: string, runs: Array<Run>) =>
  ClusterScheduledService.make(name, {
    schedule: "* * * * * *",
    run: (slot) => Effect.sync(() => void runs.push({ slot, at: Date.now() }))
  })

/**
 * Each slot once, whole seconds, in order, never run before its time, and every slot between the
 * first and the last run that did not run counted as skipped (`skipped`, from the service's
 * stats). For a job that takes no time, a slot is skipped only when the machine stalls for
 * seconds (a slot picked up more than `missedAfter` late, or a run ending more than a poll
 * interval after the slots it would have covered), and never silently. That a short run picked
 * up late skips no slot is `nextSlot`'s unit test below: this test must hold on a loaded machine.
 */
const expectOncePerSlot = (runs: ReadonlyArray<Run>, atLeast: number, skipped: number) => {
  expect(runs.length).toBeGreaterThanOrEqual(atLeast)
  const slots = runs.map((r) => DateTime.toEpochMillis(r.slot))
  for (const slot of slots) expect(slot % 1000).toBe(0)
  let gaps = 0
  for (let i = 1; i < slots.length; i++) {
    const step = (slots[i] ?? 0) - (slots[i - 1] ?? 0)
    expect(step).toBeGreaterThanOrEqual(1000)
    gaps += step / 1000 - 1
  }
  expect(gaps).toBeLessThanOrEqual(skipped)
  for (const run of runs) expect(run.at).toBeGreaterThanOrEqual(DateTime.toEpochMillis(run.slot))
}

const waitFor = (condition: () => boolean, timeout: Duration.DurationInput = "20 seconds") =>
  Effect.suspend(() => (condition() ? Effect.void : Effect.fail("not yet"))).pipe(
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeout(timeout)
  )

describe("ClusterScheduledService on real storage", () => {
  it.scopedLive("SQLite: each slot runs once and gets its slot time; stats count the runs", () =>
    Effect.gen(function*() {
      const runs: Array<Run> = []
      const job = everySecond("Tick", runs)
      const { stop } = yield* startHost(
        [HostCluster.layer({ sql: { filename: path.join(tempDir(), "c.db") } }), job],
        hostOptions()
      )
      yield* waitFor(() => runs.length >= 2)
      yield* stop
      const stats = yield* job.stats
      expectOncePerSlot(runs, 2, stats.skipped)
      expect(stats.runs).toBe(runs.length)
      expect(stats.succeeded).toBe(runs.length)
      expect(Option.map(stats.lastRun, (r) => r.outcome)).toEqual(Option.some("success"))
    }))

  describePostgres("PostgreSQL", () => {
    it.scopedLive("each slot runs once and gets its slot time", () =>
      Effect.gen(function*() {
        const runs: Array<Run> = []
        const url = yield* freshDatabase("cron")
        const job = everySecond("Tick", runs)
        const { stop } = yield* startHost([HostCluster.layer({ sql: { url } }), job], hostOptions())
        yield* waitFor(() => runs.length >= 2)
        yield* stop
        expectOncePerSlot(runs, 2, (yield* job.stats).skipped)
      }))
  })

  it.scopedLive("a Schedule runs through a singleton on this runner, with the local service's stats", () =>
    Effect.gen(function*() {
      const times: Array<DateTime.Utc> = []
      const job = ClusterScheduledService.make("Spaced", {
        schedule: Schedule.spaced("100 millis"),
        run: (at) => Effect.sync(() => void times.push(at))
      })
      const { stop } = yield* startHost(
        [HostCluster.layer({ sql: { filename: path.join(tempDir(), "c.db") } }), job],
        hostOptions()
      )
      yield* waitFor(() => times.length >= 3)
      yield* stop
      const stats = yield* job.stats
      expect(stats.runs).toBeGreaterThanOrEqual(3)
      expect(stats.succeeded).toBe(stats.runs)
      // The same metric as the local ScheduledService, tagged with the service's name.
      expect(ScheduledService.runsTotal).toBeDefined()
    }))
})

describe("ClusterScheduledService on the test cluster under TestClock", () => {
  it.scoped("a minute's cron runs at each slot as the clock moves, with the slot's time and a fresh perRun layer", () =>
    Effect.gen(function*() {
      const slots: Array<string> = []
      const layers: Array<string> = []
      class Run extends Context.Tag("test/Run")<Run, { readonly id: number }>() {}
      let next = 0
      const perRun = Layer.scoped(Run, Effect.acquireRelease(
        Effect.sync(() => {
          layers.push(`acquire ${next}`)
          return { id: next++ }
        }),
        (run) => Effect.sync(() => void layers.push(`release ${run.id}`))
      ))
      const host = yield* TestHost.start([
        // Slower polls than the defaults: each is a step of the TestClock to run through.
        HostCluster.layerTest({ messagePollInterval: "20 seconds", refreshAssignmentsInterval: "20 seconds" }),
        ClusterScheduledService.make("Minutely", {
          schedule: "* * * * *",
          timeZone: "UTC",
          run: (slot) => Effect.flatMap(Run, (run) => Effect.sync(() => void slots.push(`${DateTime.formatIso(slot)} #${run.id}`))),
          perRun
        })
      ])
      yield* host.started
      for (let i = 0; i < 2; i++) yield* host.advance("1 minute")
      // TestClock starts at the epoch: the slots are the first minutes of 1970.
      expect(slots).toEqual(["1970-01-01T00:01:00.000Z #0", "1970-01-01T00:02:00.000Z #1"])
      expect(layers).toEqual(["acquire 0", "release 0", "acquire 1", "release 1"])
    }))

  it.scoped("an invalid cron string, and a cron faster than the storage poll, are configuration errors", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([
        HostCluster.layerTest({ messagePollInterval: "2 seconds" }),
        ClusterScheduledService.make("Bad", { schedule: "61 * * * *", run: () => Effect.void }),
        ClusterScheduledService.make("Fast", { schedule: "* * * * * *", run: () => Effect.void })
      ])
      const exit = yield* host.exit
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error).toBeInstanceOf(ConfigurationError)
      const issues = (error as ConfigurationError).issues
      expect(issues.map((i) => i.key)).toEqual(["ClusterScheduledService Bad: schedule", "ClusterScheduledService Fast: schedule"])
      expect(issues[0]?.message).toContain("invalid cron expression \"61 * * * *\"")
      expect(issues[1]?.message).toContain("the cluster polls its storage for due slots only every 2s")
    }))
})

describe("slot decisions", () => {
  const cron = Cron.unsafeParse("* * * * * *")
  const at = (s: number) => DateTime.unsafeMake(s * 1000)

  it("a slot picked up within missedAfter runs; later, it runs once (catchUpOnce) or is skipped", () => {
    const missedAfter = Duration.seconds(3)
    expect(decide(Duration.seconds(1), missedAfter, "catchUpOnce")).toEqual({ _tag: "Run", missed: false })
    expect(decide(Duration.seconds(1), missedAfter, "skip")).toEqual({ _tag: "Run", missed: false })
    expect(decide(Duration.seconds(9), missedAfter, "catchUpOnce")).toEqual({ _tag: "Run", missed: true })
    expect(decide(Duration.seconds(9), missedAfter, "skip")).toEqual({ _tag: "Skip" })
  })

  it("overlap skip goes on after the run, queue from the slot that ran; a missed slot always from now", () => {
    const next = (overlap: "skip" | "queue", started: number, ended: number, missed = false) =>
      DateTime.toEpochMillis(
        nextSlot(cron, at(10), DateTime.unsafeMake(started), DateTime.unsafeMake(ended), overlap, missed, Duration.seconds(1))
      )
    // Slot 10 ran from 10.1 until 13.5: slots 11, 12 and 13 came due during the run.
    expect(next("skip", 10_100, 13_500)).toBe(14_000)
    expect(next("queue", 10_100, 13_500)).toBe(11_000)
    expect(slotsBetween(cron, at(10), at(14))).toBe(3)
    // Slot 10 was picked up late (11.05: the storage poll), after slot 11 came due: 11 still runs.
    expect(next("skip", 11_050, 11_100)).toBe(11_000)
    // Picked up just before slot 11 came due, a short run ends just after it: no run of that
    // length (20 ms) would have been in slot 11's way, so 11 still runs.
    expect(next("skip", 10_990, 11_010)).toBe(11_000)
    // Picked up late, a run of 1.5 s covers slot 11 whenever it starts: 11 is skipped, 12 runs.
    expect(next("skip", 10_400, 11_900)).toBe(12_000)
    // Picked up 2.5 s late (under missedAfter), a 0.9 s run: counted from the slot it would end at
    // 10.9, but slots more than a poll interval (1 s) older than its end (12.4) are skipped too,
    // so the schedule does not stay behind: 11 and 12 are skipped, 13 runs.
    expect(next("skip", 12_500, 13_400)).toBe(13_000)
    // Missed (no runner owned it in time): from the first slot after now, whatever the overlap.
    expect(next("queue", 19_000, 19_100, true)).toBe(20_000)
    expect(next("skip", 19_000, 19_100, true)).toBe(20_000)
  })
})
