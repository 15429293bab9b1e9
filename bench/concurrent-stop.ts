/**
 * Concurrent stop: 100 services whose `stop` each takes 100 ms. With
 * `servicesStopConcurrently: true` the stop phase should take about 100 ms, not 100 × 100 ms.
 * Measured from the scope close (the stop request) to the end of the stop.
 */
import { Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import { Host, HostedService } from "effect-host"
import { type Benchmark, median, quietHost, type Row } from "./lib.js"

const services = 100
const stopMillis = 100

/** Builds `layer`, then times only the release of its scope. */
const timeStop = <A, E>(layer: Layer.Layer<A, E>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Layer.buildWithScope(layer, scope)
    const t0 = performance.now()
    yield* Scope.close(scope, Exit.void)
    return performance.now() - t0
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning), Effect.runPromise)

const slowStops = () =>
  Array.from({ length: services }, (_, i) => HostedService.make(`Service${i}`, { stop: Effect.sleep(stopMillis) }))

const plainLayers = () => {
  const layers = Array.from({ length: services }, () => Layer.scopedDiscard(Effect.acquireRelease(Effect.void, () => Effect.sleep(stopMillis))))
  return Layer.mergeAll(...(layers as [Layer.Layer<never>, ...Array<Layer.Layer<never>>]))
}

export const concurrentStop: Benchmark = {
  name: "concurrent-stop",
  title: "Concurrent stop of 100 services, 100 ms each",
  run: async ({ quick }) => {
    const reps = quick ? 3 : 10
    const programs = ["Host (servicesStopConcurrently)", "Layer.launch (mergeAll)", "Host (sequential)"]
    const samples: Record<string, Array<number>> = Object.fromEntries(programs.map((p) => [p, []]))
    for (let i = 0; i < reps; i++) {
      samples[programs[0] ?? ""]?.push(await timeStop(Host.make(slowStops(), { ...quietHost, servicesStopConcurrently: true })))
      samples[programs[1] ?? ""]?.push(await timeStop(plainLayers()))
    }
    // The sequential stop takes 10 s per run: once, and only in the full run.
    if (!quick) samples[programs[2] ?? ""]?.push(await timeStop(Host.make(slowStops(), quietHost)))
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
        `${reps} repetitions each; the sequential host (default mode, about ${services * stopMillis / 1000} s) is measured once, in the full run only.`
      ]
    }
  }
}
