/**
 * Host start+stop overhead vs plain `Layer.launch`.
 *
 * Baseline: N `Layer.scopedDiscard(Effect.acquireRelease(...))` layers merged with
 * `Layer.mergeAll` — what one writes for `Layer.launch` — built and released (`Layer.launch` is
 * exactly that build plus an endless wait, which we leave out). Ours: the same N no-op services as
 * `HostedService.make` with `start`/`stop` hooks, under `Host.make`, built (= started: every phase)
 * and released (= stopped: every stop phase, within the shutdown budget), in the default
 * sequential mode and in concurrent mode.
 *
 * Log lines below Warning are filtered in every program (`quietHost` for the host, whose own
 * logger follows its configuration): the host logs one line per service start and stop at Info,
 * and printing 20,000 lines would measure the terminal, not the host. The host still builds its
 * configuration (appsettings files, environment) on every start, as it does in production.
 */
import { Effect, Layer, Logger, LogLevel } from "effect"
import { Host, HostedService } from "effect-host"
import { type Benchmark, median, quietHost, type Row, sideBySide } from "./lib.js"

const baseline = (n: number) => {
  const layers = Array.from({ length: n }, () => Layer.scopedDiscard(Effect.acquireRelease(Effect.void, () => Effect.void)))
  // mergeAll's type wants a non-empty tuple; n >= 1 here.
  const merged = Layer.mergeAll(...(layers as [Layer.Layer<never>, ...Array<Layer.Layer<never>>]))
  return Effect.scoped(Layer.build(merged))
}

const hosted = (n: number, concurrently: boolean) => {
  const services = Array.from({ length: n }, (_, i) => HostedService.make(`Service${i}`, { start: Effect.void, stop: Effect.void }))
  return Effect.scoped(Layer.build(Host.make(services, {
    ...quietHost,
    servicesStartConcurrently: concurrently,
    servicesStopConcurrently: concurrently
  })))
}

const quiet = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.runPromise(effect.pipe(Logger.withMinimumLogLevel(LogLevel.Warning)))

const plan = (quick: boolean): ReadonlyArray<{ readonly n: number; readonly reps: number; readonly warmup: number }> =>
  quick
    ? // 10,000 services take seconds per run: full run only.
    [{ n: 1, reps: 100, warmup: 20 }, { n: 100, reps: 10, warmup: 3 }, { n: 1000, reps: 3, warmup: 1 }]
    : [{ n: 1, reps: 2000, warmup: 200 }, { n: 100, reps: 200, warmup: 20 }, { n: 1000, reps: 20, warmup: 3 }, { n: 10_000, reps: 3, warmup: 1 }]

export const startStop: Benchmark = {
  name: "startstop",
  title: "Host start+stop overhead vs plain Layer.launch",
  run: async ({ quick }) => {
    const programs = ["Layer.launch", "Host (sequential)", "Host (concurrent)"]
    const rows: Array<Row> = []
    for (const { n, reps, warmup } of plan(quick)) {
      const base = baseline(n)
      const seq = hosted(n, false)
      const par = hosted(n, true)
      const samples = await sideBySide({
        [programs[0] ?? ""]: () => quiet(base),
        [programs[1] ?? ""]: () => quiet(seq),
        [programs[2] ?? ""]: () => quiet(par)
      }, { reps, warmup })
      const values = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
      const ratio = (values["Host (sequential)"] ?? Number.NaN) / (values["Layer.launch"] ?? Number.NaN)
      rows.push({
        case: `${n.toLocaleString("en-US")} service${n === 1 ? "" : "s"}`,
        values,
        ratio: { label: "sequential host / Layer.launch", value: ratio },
        target: n === 1000 ? { text: "≤ 1.5x", pass: ratio <= 1.5 } : undefined
      })
    }
    return {
      name: "startstop",
      title: "Host start+stop overhead vs plain Layer.launch",
      unit: "ms per start+stop, median",
      programs,
      rows,
      notes: [
        "Layer.launch: N Layer.scopedDiscard(acquireRelease) layers via Layer.mergeAll, built and released (concurrently, as mergeAll does).",
        "Host: N HostedService.make(name, { start, stop }) under Host.make: every start phase, lifetime events, every stop phase; logs below Warning filtered."
      ]
    }
  }
}
