/**
 * `npm run bench` runs every benchmark; `npm run bench -- --quick` runs a smaller version of each
 * (the whole suite in about a minute and a half); `npm run bench -- startstop queue` runs only those named.
 *
 * Measured programs run in child processes on built JavaScript (child.ts: `spawnBuilt`,
 * `runBuilt`): before the first benchmark, bench/build.ts rebuilds dist/ when src/ is newer
 * (`--no-build` skips that check) and bundles every program under bench/fixtures/ against dist/,
 * to be run with plain `node`.
 *
 * Each benchmark prints its side-by-side table (ratios, and the targets as pass/MISS —
 * targets are reported, never asserted) and writes `bench/results/<name>.json` with the machine it
 * ran on. `bench/results/latest.md` collects the newest table of every benchmark for the README
 * (`npm run bench -- --summary` only rebuilds it from the JSON files; add `--readme` to copy it
 * into README.md between the BENCH-TABLES markers).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { buildPrograms, ensureDist } from "./build.js"
import { type Benchmark, type BenchResult, describeMachine, resultsDir, rootDir, toMarkdown, writeResult } from "./lib.js"
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
const writeSummary = (): string => {
  // In the suite's order, so the README reads like a run.
  const rank = (f: string) => {
    const i = all.findIndex((b) => `${b.name}.json` === f)
    return i === -1 ? all.length : i
  }
  const files = fs.readdirSync(resultsDir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".tmp.json"))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  const sections = files.map((f) => {
    const body = JSON.parse(fs.readFileSync(path.join(resultsDir, f), "utf8")) as BenchResult & {
      readonly markdown: string
      readonly date: string
      readonly mode: string
      readonly machine: Parameters<typeof describeMachine>[0]
    }
    return `${body.markdown}\n\n_${body.mode} run, ${body.date.slice(0, 10)}, ${describeMachine(body.machine)}_`
  })
  const summary = sections.join("\n\n") + "\n"
  fs.writeFileSync(path.join(resultsDir, "latest.md"), summary)
  return summary
}

/** Copies the summary into README.md between `<!-- BENCH-TABLES:START -->` and `:END -->`. */
const updateReadme = (summary: string) => {
  const readme = path.join(rootDir, "README.md")
  const text = fs.readFileSync(readme, "utf8")
  const start = "<!-- BENCH-TABLES:START -->"
  const end = "<!-- BENCH-TABLES:END -->"
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from === -1 || to < from) throw new Error(`README.md has no ${start} ... ${end} markers`)
  fs.writeFileSync(readme, `${text.slice(0, from + start.length)}\n\n${summary}\n${text.slice(to)}`)
  console.log("updated README.md")
}

const main = async () => {
  if (args.includes("--summary")) {
    const summary = writeSummary()
    console.log(`rebuilt ${path.relative(process.cwd(), path.join(resultsDir, "latest.md"))}`)
    if (args.includes("--readme")) updateReadme(summary)
    return
  }
  console.log(`effect-host benchmarks (${quick ? "quick" : "full"}) on ${describeMachine()}\n`)
  const t0 = performance.now()
  if (!args.includes("--no-build")) ensureDist()
  await buildPrograms()
  for (const bench of selected) {
    const started = performance.now()
    process.stdout.write(`running ${bench.name} ...\n`)
    const result = await bench.run({ quick })
    const file = writeResult(result, { quick })
    console.log(`\n${toMarkdown(result)}\n\n(${((performance.now() - started) / 1000).toFixed(1)} s, written to ${path.relative(process.cwd(), file)})\n`)
  }
  const summary = writeSummary()
  if (args.includes("--readme")) updateReadme(summary)
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
