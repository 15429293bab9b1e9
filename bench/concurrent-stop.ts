/**
 * Concurrent stop: 100 services whose `stop` each takes 100 ms. With
 * `servicesStopConcurrently: true` the stop phase should take about 100 ms, not 100 × 100 ms.
 * Measured from the scope close (the stop request) to the end of the stop, in a child process on
 * built JS (fixtures/concurrent-stop.ts).`
 */
import { runBuilt } from "./child.js"
import { type Benchmark, median, type Row } from "./lib.js"

const services = 100
const stopMillis = 100

export const concurrentStop: Benchmark = {
  name: "concurrent-stop",
  title: "Concurrent stop of 100 services, 100 ms each",
  run: async ({ quick }) => {
    const reps = quick ? 3 : 10
    const programs = ["Host (servicesStopConcurrently)", "Layer.launch (mergeAll)", "Host (sequential)"]
    const { samples } = await runBuilt<{ readonly samples: Record<string, Array<number>> }>("bench/fixtures/concurrent-stop.ts", {
      args: [String(reps), quick ? "0" : "1"]
    })
    const values = Object.fromEntries(
      Object.entries(samples).filter(([, v]) => v.length > 0).map(([k, v]) => [k, median(v)])
    )
    const ours = values[programs[0] ?? ""] ?? Number.NaN
    const row: Row = {
      case: `${services} × ${stopMillis} ms stop`,
      values,
      ratio: { label: "concurrent host / Layer.launch", value: ours / (values[programs[1] ?? ""] ?? Number.NaN) },
      // "about 100 ms": the stop work itself plus scheduling, well under two service durations.
      target: { text: "≈ 100 ms (< 150 ms)", pass: ours < 150 }
    }
    return {
      name: "concurrent-stop",
      title: "Concurrent stop of 100 services, 100 ms each",
      unit: "ms from stop request to stopped, median",
      programs,
      rows: [row],
      notes: [
        `${reps} repetitions each; the sequential host (default mode, about ${services * stopMillis / 1000} s) is measured once, in the full run only. One child process, built JS (fixtures/concurrent-stop.ts).`
      ]
    }
  }
}
