/**
 * Heap growth over 1,000,000 `perRun` runs (10,000 in `--quick`): a `ScheduledService` whose
 * every run builds and releases a fresh layer, vs the hand-written `Effect.provide(run, layer)`
 * loop. Each program runs in its own child process (built JS) under `node --expose-gc`; the heap is measured
 * after a warm-up and after the series, each time after a full GC.
 */
import { runBuilt } from "./child.js"
import type { Benchmark, Row } from "./lib.js"

interface Measurement {
  readonly runs: number
  readonly growthBytes: number
  readonly ms: number
  readonly acquired: number
  readonly released: number
}

const gcArgs = { nodeArgs: ["--expose-gc"] }

const measure = (program: string, runs: number, warmup: number): Promise<Measurement> =>
  runBuilt<Measurement>("bench/fixtures/heap-perrun.ts", { ...gcArgs, args: [program, String(runs), String(warmup)] })

const mb = (bytes: number) => Math.round(bytes / 2 ** 20 * 100) / 100

interface HostsMeasurement {
  readonly hosts: number
  readonly growthBytes: number
  readonly ms: number
}

const measureHosts = (program: string, hosts: number, warmup: number): Promise<HostsMeasurement> =>
  runBuilt<HostsMeasurement>("bench/fixtures/heap-hosts.ts", { ...gcArgs, args: [program, String(hosts), String(warmup)] })

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
    // Hosts back to back: what a stopped host leaves on the heap until the event loop turns.
    // The same count in --quick: fewer runs, and the heap's own noise (about 1 MB) is a KB a run.
    const hostRuns = 5_000
    const hostPrograms = { host: "Host.make, back to back", layer: "Layer.scopedDiscard, back to back" } as const
    const perRun: Record<string, number> = {}
    for (const [program, column] of Object.entries(hostPrograms)) {
      const measured = await measureHosts(program, hostRuns, 500)
      perRun[column] = Math.round(measured.growthBytes / measured.hosts / 1024 * 100) / 100
    }
    const hostKb = perRun[hostPrograms.host] ?? Number.NaN
    rows.push({
      case: `heap kept per start+stop until the event loop turns, over ${hostRuns.toLocaleString("en-US")} (KB)`,
      values: perRun,
      // A closed watch's own handle, which Node keeps until then; the host itself was 47 KB.
      target: { text: "< 2 KB", pass: hostKb < 2 }
    })
    return {
      name: "heap",
      title: "Heap growth over perRun runs",
      unit: `${runs.toLocaleString("en-US")} runs after ${warmup.toLocaleString("en-US")} warm-up runs, each with a fresh layer`,
      programs: [...names, ...Object.values(hostPrograms)],
      rows,
      notes: [
        "ScheduledService: `Schedule.recurs(n)` with `overlap: \"queue\"`, so every tick is one run, back to back.",
        "Start+stops back to back: a host with one no-op service over the working directory (configuration watched, the default), or the same service as a bare layer, built and released in a loop on promise jobs alone, so the event loop never turns in between (Node lets go of a closed `fs.watch` handle only in a later turn: a host's watch keeps under 1 KB until then; before the watch dropped its listeners it kept the whole host, about 47 KB); fixtures/heap-hosts.ts."
      ]
    }
  }
}
