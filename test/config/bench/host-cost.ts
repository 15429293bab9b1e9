/**
 * What watching the files adds to a host's start and stop: one host with one no-op service over a
 * content root with an appsettings.json, built and released, with reload on change (the default)
 * and with `reloadOnChange: false`, alternately, after a warm-up; medians in ms.
 *
 * Run: `node --import tsx test/config/bench/host-cost.ts` (optionally the number of rounds, default 300).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Scope from "effect/Scope"
import { Host, HostedService } from "effect-host"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const rounds = Number(process.argv[2] ?? 300)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-bench-"))
fs.writeFileSync(path.join(dir, "appsettings.json"), JSON.stringify({ Logging: { LogLevel: { Default: "Warning" } } }))
const service = HostedService.make("Service", { start: Effect.void, stop: Effect.void })

/** [start, stop] in ms. */
const once = (reloadOnChange: boolean) =>
  Effect.runPromise(Effect.gen(function*() {
    const scope = yield* Scope.make()
    const started = performance.now()
    yield* Layer.buildWithScope(Host.make([service], { configuration: { contentRoot: dir, args: false, env: {}, reloadOnChange } }), scope)
    const running = performance.now()
    yield* Scope.close(scope, Exit.void)
    return [running - started, performance.now() - running] as const
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning)))

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

const main = async () => {
  for (let i = 0; i < 50; i++) {
    await once(true)
    await once(false)
  }
  const samples = { true: { start: [] as Array<number>, stop: [] as Array<number> }, false: { start: [] as Array<number>, stop: [] as Array<number> } }
  for (let i = 0; i < rounds; i++) {
    for (const reload of [true, false] as const) {
      const [start, stop] = await once(reload)
      samples[`${reload}`].start.push(start)
      samples[`${reload}`].stop.push(stop)
    }
  }
  console.log(`one host, one service, ${rounds} rounds (node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)})`)
  console.log("| | start | stop |")
  console.log("|---|---|---|")
  for (const reload of [true, false] as const) {
    const s = samples[`${reload}`]
    console.log(`| reloadOnChange: ${reload} | ${median(s.start).toFixed(2)} ms | ${median(s.stop).toFixed(2)} ms |`)
  }
  fs.rmSync(dir, { recursive: true, force: true })
}

void main()
