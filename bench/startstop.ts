/**
 * Host start+stop vs plain `Layer.launch`, and the floor under both, by CPU time and wall time,
 * warm and cold. The programs are in fixtures/startstop.ts (built JS, one child process each):
 *
 * - warm: one process per size runs every program interleaved (A B C D, B C D A, ...) after
 *   warm-up rounds; each sample is one start+stop, timed by `process.cpuUsage` (user + system,
 *   every thread of the process: GC helpers and the compiler included) and `performance.now()`.
 * - cold: one fresh process per measurement does one start+stop and reports that region's CPU and
 *   wall time, plus the CPU the whole process had used by then (node's start-up and module
 *   loading included); processes of the programs interleave.
 *
 * Targets (the issue's): at 1,000 and 10,000 services the sequential host costs ≤ 0.8x the CPU of
 * Layer.launch and the concurrent host ≤ 1.2x the sequential one; one host's fixed cost (a
 * 1-service host, warm) ≤ 0.5 ms of CPU.
 */
import { runBuilt } from "./child.js"
import { type Benchmark, median, type Ratio, type Row, type Target } from "./lib.js"

interface Sample {
  readonly wall: number
  readonly cpu: number
}

const floor = "floor (Scope)"
const baseline = "Layer.launch"
const sequential = "Host (sequential)"
const concurrent = "Host (concurrent)"
const programs = [floor, baseline, sequential, concurrent]
const fixture = "bench/fixtures/startstop.ts"

interface Plan {
  readonly warm: ReadonlyArray<{ readonly n: number; readonly reps: number; readonly warmup: number }>
  readonly cold: ReadonlyArray<{ readonly n: number; readonly reps: number }>
}

// 10,000 services warm: 7 rounds, not 3. The concurrent/sequential ratio of one round ranged
// from 0.68x to 1.43x on the same build (5 rounds in one process), so 3 rounds' medians missed or
// met the ≤ 1.2x target by chance (0.83x and 1.27x in two runs of one build).
const plan = (quick: boolean): Plan =>
  quick
    ? // 10,000 services take seconds per run: full run only.
    { warm: [{ n: 1, reps: 300, warmup: 100 }, { n: 1000, reps: 3, warmup: 1 }], cold: [{ n: 1, reps: 3 }, { n: 1000, reps: 2 }] }
    : {
      warm: [{ n: 1, reps: 2000, warmup: 500 }, { n: 1000, reps: 15, warmup: 3 }, { n: 10_000, reps: 7, warmup: 1 }],
      cold: [{ n: 1, reps: 15 }, { n: 1000, reps: 10 }, { n: 10_000, reps: 3 }]
    }

const services = (n: number) => `${n.toLocaleString("en-US")} service${n === 1 ? "" : "s"}`

/** Medians of one metric per program. */
const medians = (samples: Readonly<Record<string, ReadonlyArray<number>>>) =>
  Object.fromEntries(programs.map((p) => [p, median(samples[p] ?? [])]))

const ratios = (v: Readonly<Record<string, number>>): Array<Ratio> => [
  { label: "sequential / Layer.launch", value: (v[sequential] ?? Number.NaN) / (v[baseline] ?? Number.NaN) },
  { label: "concurrent / sequential", value: (v[concurrent] ?? Number.NaN) / (v[sequential] ?? Number.NaN) },
  { label: "sequential / floor", value: (v[sequential] ?? Number.NaN) / (v[floor] ?? Number.NaN) }
]

const cpuTargets = (n: number, v: Readonly<Record<string, number>>, warm: boolean): Array<Target> => {
  const [vsBaseline, vsSequential] = ratios(v)
  if (n >= 1000) {
    return [
      { text: "sequential ≤ 0.8x Layer.launch", pass: (vsBaseline?.value ?? Number.NaN) <= 0.8 },
      { text: "concurrent ≤ 1.2x sequential", pass: (vsSequential?.value ?? Number.NaN) <= 1.2 }
    ]
  }
  const fixed = v[sequential] ?? Number.NaN
  return n === 1 && warm ? [{ text: "fixed cost ≤ 0.5 ms", pass: fixed <= 0.5 }] : []
}

const byMetric = (samples: Readonly<Record<string, ReadonlyArray<Sample>>>, metric: keyof Sample) =>
  medians(Object.fromEntries(Object.entries(samples).map(([p, xs]) => [p, xs.map((x) => x[metric])])))

export const startStop: Benchmark = {
  name: "startstop",
  title: "Host start+stop vs Layer.launch and a bare Scope",
  run: async ({ quick }) => {
    const { warm, cold } = plan(quick)
    const rows: Array<Row> = []
    const raw: Record<string, unknown> = {}

    for (const { n, reps, warmup } of warm) {
      const { samples } = await runBuilt<{ readonly samples: Record<string, Array<Sample>> }>(fixture, {
        args: ["warm", String(n), String(reps), String(warmup)],
        nodeArgs: ["--expose-gc"]
      })
      const cpu = byMetric(samples, "cpu")
      rows.push({ case: `${services(n)}, warm: CPU`, values: cpu, ratio: ratios(cpu), target: cpuTargets(n, cpu, true) })
      const wall = byMetric(samples, "wall")
      rows.push({ case: `${services(n)}, warm: wall`, values: wall, ratio: ratios(wall) })
    }

    for (const { n, reps } of cold) {
      const region: Record<string, Array<Sample>> = Object.fromEntries(programs.map((p) => [p, []]))
      const total: Record<string, Array<number>> = Object.fromEntries(programs.map((p) => [p, []]))
      for (let round = 0; round < reps; round++) {
        for (let i = 0; i < programs.length; i++) {
          const program = programs[(round + i) % programs.length] ?? ""
          const result = await runBuilt<{ readonly region: Sample; readonly processCpu: number }>(fixture, {
            args: ["cold", program, String(n)]
          })
          region[program]?.push(result.region)
          total[program]?.push(result.processCpu)
        }
      }
      raw[`cold ${n}`] = { region, processCpu: total }
      const cpu = byMetric(region, "cpu")
      rows.push({ case: `${services(n)}, cold: CPU`, values: cpu, ratio: ratios(cpu), target: cpuTargets(n, cpu, false) })
      const wall = byMetric(region, "wall")
      rows.push({ case: `${services(n)}, cold: wall`, values: wall, ratio: ratios(wall) })
      const processCpu = medians(total)
      rows.push({ case: `${services(n)}, cold: process CPU`, values: processCpu, ratio: ratios(processCpu).slice(0, 1) })
    }

    const warmReps = warm.map(({ n, reps }) => `${reps} × ${n.toLocaleString("en-US")}`).join(", ")
    const coldReps = cold.map(({ n, reps }) => `${reps} × ${n.toLocaleString("en-US")}`).join(", ")
    return {
      name: "startstop",
      title: "Host start+stop vs Layer.launch and a bare Scope",
      unit: "ms per start+stop of N no-op services, median; built JS",
      programs,
      rows,
      raw,
      notes: [
        "floor (Scope): N Effect.acquireRelease(void, void) in one Effect.scoped, the least N started-then-stopped members cost. Layer.launch: N Layer.scopedDiscard(acquireRelease) via Layer.mergeAll, built and released (Layer.launch minus its endless wait; mergeAll builds and releases concurrently). Host: N HostedService.make(name, { start, stop }) under Host.make, every start and stop phase, one at a time (sequential, the default) or each phase's members concurrently.",
        `CPU: process.cpuUsage (user + system) around the region, every thread of the process (GC helpers, the compiler), so it can exceed wall time. Logs below Warning filtered in every program.`,
        `warm: one process per size, programs interleaved, medians of ${warmReps} start+stops each (--expose-gc, a minor GC before each run of ≥ 100 services, outside the region). cold: one fresh \`node\` process per start+stop (${coldReps}), interleaved; "process CPU" is everything that process used up to the end of the region (node start-up and module loading included).`
      ]
    }
  }
}
