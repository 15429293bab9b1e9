/**
 * Heap growth over 1,000,000 `perRun` runs (10,000 in `--quick`): a `ScheduledService` whose
 * every run builds and releases a fresh layer, vs the hand-written `Effect.provide(run, layer)`
 * loop. Each program runs in its own child process (built JS) under `node --expose-gc`; the heap is measured
 * after a warm-up and after the series, each time after a full GC.
 */
import { spawnBuilt } from "./child.js"
import type { Benchmark, Row } from "./lib.js"

interface Measurement {
  readonly runs: number
  readonly growthBytes: number
  readonly ms: number
  readonly acquired: number
  readonly released: number
}

const measure = async (program: string, runs: number, warmup: number): Promise<Measurement> => {
  const child = spawnBuilt("bench/fixtures/heap-perrun.ts", { nodeArgs: ["--expose-gc"], args: [program, String(runs), String(warmup)] })
  const { code } = await child.exited
  const line = child.output().split("\n").find((l) => l.startsWith("RESULT "))
  if (code !== 0 || line === undefined) throw new Error(`heap fixture ${program} failed (exit ${code}):\n${child.output()}`)
  return JSON.parse(line.slice("RESULT ".length)) as Measurement
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20 * 100) / 100

export const heap: Benchmark = {
  name: "heap",
  title: "Heap growth over perRun runs",
  run: async ({ quick }) => {
    const runs = quick ? 10_000 : 1_000_000
    const warmup = quick ? 2_000 : 50_000
    const programs = { "ScheduledService perRun": "scheduled", "hand-written Effect.provide loop": "handwritten" } as const
    const results: Record<string, Measurement> = {}
    for (const [name, program] of Object.entries(programs)) results[name] = await measure(program, runs, warmup)
    const names = Object.keys(programs)
    const ours = results["ScheduledService perRun"]
    const growth = mb(ours?.growthBytes ?? Number.NaN)
    const rows: Array<Row> = [
      {
        case: "heap growth after GC (MB)",
        values: Object.fromEntries(names.map((n) => [n, mb(results[n]?.growthBytes ?? Number.NaN)])),
        target: { text: "< 5 MB", pass: growth < 5 }
      },
      {
        case: "runs per second",
        values: Object.fromEntries(names.map((n) => [n, Math.round((results[n]?.runs ?? 0) / ((results[n]?.ms ?? 1) / 1000))]))
      },
      {
        case: "layers acquired − released",
        values: Object.fromEntries(names.map((n) => [n, (results[n]?.acquired ?? 0) - (results[n]?.released ?? 0)]))
      }
    ]
    return {
      name: "heap",
      title: "Heap growth over perRun runs",
      unit: `${runs.toLocaleString("en-US")} runs after ${warmup.toLocaleString("en-US")} warm-up runs, each with a fresh layer`,
      programs: names,
      rows,
      notes: ["ScheduledService: `Schedule.recurs(n)` with `overlap: \"queue\"`, so every tick is one run, back to back."]
    }
  }
}
