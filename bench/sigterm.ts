/**
 * SIGTERM-to-exit latency of an idle app with 10 services, on real child processes: the time from
 * `kill(SIGTERM)` to the parent seeing the child's exit. Compared side by side (interleaved):
 * plain `NodeRuntime.runMain(Layer.launch(...))`, `Host.launch` under plain `NodeRuntime.runMain`,
 * and `Host.launch` under `NodeHost.runMain`.
 */
import { spawnTs } from "./child.js"
import { type Benchmark, median, percentile, type Row } from "./lib.js"

const fixtures: Readonly<Record<string, string>> = {
  "NodeRuntime.runMain(Layer.launch)": "bench/fixtures/idle-layer-launch.ts",
  "NodeRuntime.runMain(Host.launch)": "bench/fixtures/idle-host-noderuntime.ts",
  "NodeHost.runMain(Host.launch)": "bench/fixtures/idle-host-nodehost.ts"
}

/** Starts the fixture, waits for "ready" (plus a beat, so start-up work is over), then times SIGTERM → exit. */
const once = async (file: string): Promise<number> => {
  const child = spawnTs(file)
  await child.waitFor(/^ready$/m)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const t0 = performance.now()
  child.process.kill("SIGTERM")
  const { at, code, signal } = await child.exited
  if (code !== 0) throw new Error(`${file} exited with ${code ?? signal} after SIGTERM:\n${child.output()}`)
  return at - t0
}

export const sigterm: Benchmark = {
  name: "sigterm",
  title: "SIGTERM-to-exit latency, idle app with 10 services",
  run: async ({ quick }) => {
    const reps = quick ? 3 : 15
    const names = Object.keys(fixtures)
    const samples: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
    for (let round = 0; round < reps; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length] ?? ""
        samples[name]?.push(await once(fixtures[name] ?? ""))
      }
    }
    const baseline = names[0] ?? ""
    const ours = names[2] ?? ""
    const values = Object.fromEntries(names.map((n) => [n, median(samples[n] ?? [])]))
    const ratio = (values[ours] ?? Number.NaN) / (values[baseline] ?? Number.NaN)
    const rows: Array<Row> = [
      {
        case: "median",
        values,
        ratio: { label: "NodeHost / plain", value: ratio },
        target: { text: "≤ 1.2x", pass: ratio <= 1.2 }
      },
      {
        case: "p90",
        values: Object.fromEntries(names.map((n) => [n, percentile(samples[n] ?? [], 90)]))
      }
    ]
    return {
      name: "sigterm",
      title: "SIGTERM-to-exit latency, idle app with 10 services",
      unit: `ms from kill(SIGTERM) to the child's exit (${reps} processes each)`,
      programs: names,
      rows,
      notes: ["Each child runs with `node --import tsx`; the timer starts 100 ms after it printed \"ready\"."]
    }
  }
}
