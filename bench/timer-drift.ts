/**
 * Fixed-rate timer drift: 1,000 ticks of 10 ms (200 in `--quick`), all programs running at the
 * same time in one child process on built JS (fixtures/timer-drift.ts). Each tick records
 * `performance.now()`; lateness of tick k is its time minus (first tick + (k − 1) × 10 ms), so
 * start-up latency does not count, only drift.
 *
 * - setInterval(10): Node's timer re-arms from when the callback ran, so lateness accumulates.
 * - Effect.repeat(Schedule.fixed): Effect's fixed-rate schedule, hand-written.
 * - ScheduledService(Schedule.fixed): ours, a hosted service under `Host.launch`.
 */
import { runBuilt } from "./child.js"
import { type Benchmark, fmt, percentile, type Row } from "./lib.js"

const interval = 10

/** Lateness of tick k against the grid anchored at the first tick: t_k − (t_1 + (k − 1) × interval). */
const lateness = (times: ReadonlyArray<number>): Array<number> => {
  const first = times[0] ?? 0
  return times.map((t, k) => t - (first + k * interval))
}

/** Distance of each tick to the nearest grid point (t_1 + j × interval), whatever its index. */
const gridOffset = (times: ReadonlyArray<number>): Array<number> => {
  const first = times[0] ?? 0
  return times.map((t) => {
    const phase = (t - first) % interval
    return Math.min(phase, interval - phase)
  })
}

/** Ticks delivered minus ticks the elapsed time holds: > 0 means catch-up ticks, < 0 lost ticks. */
const extraTicks = (times: ReadonlyArray<number>): number =>
  times.length - 1 - Math.round(((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / interval)

const minGap = (times: ReadonlyArray<number>): number =>
  Math.min(...times.slice(1).map((t, i) => t - (times[i] ?? 0)))

export const timerDrift: Benchmark = {
  name: "timer-drift",
  title: "Fixed-rate timer drift, 10 ms ticks",
  run: async ({ quick }) => {
    const ticks = quick ? 200 : 1000
    const { times } = await runBuilt<{ readonly times: Record<string, ReadonlyArray<number>> }>("bench/fixtures/timer-drift.ts", {
      args: [String(ticks)]
    })
    const names = Object.keys(times)
    const row = (label: string, f: (xs: ReadonlyArray<number>) => number): Row => ({
      case: label,
      values: Object.fromEntries(names.map((n) => [n, f(times[n] ?? [])]))
    })
    const rows = [
      row(`drift at tick ${ticks} (ms)`, (xs) => lateness(xs)[xs.length - 1] ?? Number.NaN),
      row("ticks off the timetable (+ extra, − lost)", extraTicks),
      row("mean distance to the 10 ms grid (ms)", (xs) => gridOffset(xs).reduce((a, b) => a + b, 0) / xs.length),
      row("p99 distance to the grid (ms)", (xs) => percentile(gridOffset(xs), 99)),
      row("shortest gap between ticks (ms)", minGap)
    ]
    const drift = (n: string) => fmt(rows[0]?.values[n] ?? Number.NaN)
    return {
      name: "timer-drift",
      title: "Fixed-rate timer drift, 10 ms ticks",
      unit: `${ticks.toLocaleString("en-US")} ticks each, all running at once`,
      programs: names,
      rows,
      notes: [
        `setInterval drifted ${drift("setInterval")} ms over ${ticks} ticks; ScheduledService ${drift("ScheduledService(Schedule.fixed)")} ms.`,
        "Drift is the last tick's time minus (first tick + (N − 1) × 10 ms): positive = late, negative = ahead because of extra ticks.",
        "Extra ticks: Effect's Schedule.fixed computes the next slot from Date.now; when the timer fires a millisecond before the slot boundary, it schedules one more run at that boundary (~1 ms later), so some slots run twice (the short gaps). ScheduledService waits out an early wake-up before stepping its schedule, so it runs each slot once; its remaining short gaps are catch-up runs after a late timer."
      ]
    }
  }
}
