/**
 * `npm run bench` runs every benchmark; `npm run bench -- --quick` runs a smaller version of each
 * (the whole suite under 60 s); `npm run bench -- startstop queue` runs only those named.
 *
 * Each benchmark prints its side-by-side table (ratios, and the targets as pass/MISS —
 * targets are reported, never asserted) and writes `bench/results/<name>.json` with the machine it
 * ran on. `bench/results/latest.md` collects the newest table of every benchmark for the README.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Benchmark, type BenchResult, describeMachine, resultsDir, toMarkdown, writeResult } from "./lib.js"
import { startStop } from "./startstop.js"
import { concurrentStop } from "./concurrent-stop.js"
import { heap } from "./heap.js"
import { http } from "./http.js"
import { queue } from "./queue.js"
import { sigterm } from "./sigterm.js"
import { timerDrift } from "./timer-drift.js"

const all: ReadonlyArray<Benchmark> = [startStop, concurrentStop, sigterm, queue, heap, timerDrift, http]

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const only = args.filter((a) => !a.startsWith("--"))
const unknown = only.filter((name) => !all.some((b) => b.name === name))
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${all.map((b) => b.name).join(", ")}`)
  process.exit(2)
}
const selected = only.length > 0 ? all.filter((b) => only.includes(b.name)) : all

/** Rebuilds latest.md from every result file, so a partial run keeps the other tables. */
const writeSummary = () => {
  const files = fs.readdirSync(resultsDir).filter((f) => f.endsWith(".json") && !f.endsWith(".tmp.json")).sort()
  const sections = files.map((f) => {
    const body = JSON.parse(fs.readFileSync(path.join(resultsDir, f), "utf8")) as BenchResult & {
      readonly markdown: string
      readonly date: string
      readonly mode: string
      readonly machine: Parameters<typeof describeMachine>[0]
    }
    return `${body.markdown}\n\n_${body.mode} run, ${body.date.slice(0, 10)}, ${describeMachine(body.machine)}_`
  })
  fs.writeFileSync(path.join(resultsDir, "latest.md"), sections.join("\n\n") + "\n")
}

const main = async () => {
  console.log(`effect-host benchmarks (${quick ? "quick" : "full"}) on ${describeMachine()}\n`)
  const t0 = performance.now()
  for (const bench of selected) {
    const started = performance.now()
    process.stdout.write(`running ${bench.name} ...\n`)
    const result = await bench.run({ quick })
    const file = writeResult(result, { quick })
    console.log(`\n${toMarkdown(result)}\n\n(${((performance.now() - started) / 1000).toFixed(1)} s, written to ${path.relative(process.cwd(), file)})\n`)
  }
  writeSummary()
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
