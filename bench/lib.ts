/**
 * Shared plumbing for the benchmarks: machine info, side-by-side timing, the result table and the
 * JSON written to `bench/results/<name>.json`.
 *
 * Every benchmark compares programs *in the same run*, interleaving their repetitions, so a busy
 * neighbour on this shared machine slows both sides alike and the ratio stays meaningful.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const benchDir = path.dirname(fileURLToPath(import.meta.url))
export const rootDir = path.resolve(benchDir, "..")
export const resultsDir = path.join(benchDir, "results")

export interface BenchOptions {
  /** `--quick`: fewer repetitions and smaller sizes, the whole suite under 60 s. */
  readonly quick: boolean
}

/** One line of the table: a case (e.g. "1,000 services") and each program's value for it. */
export interface Row {
  readonly case: string
  /** Program name -> measured value, in the benchmark's unit. */
  readonly values: Readonly<Record<string, number>>
  /** `ours / baseline` (or as the benchmark defines it), shown as "1.23x"; several are joined with "; ". */
  readonly ratio?: Ratio | ReadonlyArray<Ratio> | undefined
  /** The target(s) for this case and whether the measurement met each. */
  readonly target?: Target | ReadonlyArray<Target> | undefined
}

export interface Ratio {
  readonly label: string
  readonly value: number
}

export interface Target {
  readonly text: string
  readonly pass: boolean
}

const list = <A>(x: A | ReadonlyArray<A> | undefined): ReadonlyArray<A> =>
  x === undefined ? [] : Array.isArray(x) ? x as ReadonlyArray<A> : [x as A]

export interface BenchResult {
  readonly name: string
  readonly title: string
  /** e.g. "ms per start+stop (median)". */
  readonly unit: string
  readonly programs: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Row>
  readonly notes: ReadonlyArray<string>
  /** The measurements behind the rows (per round, per process), kept in the JSON for a second look. */
  readonly raw?: unknown
}

export interface Benchmark {
  readonly name: string
  readonly title: string
  readonly run: (options: BenchOptions) => Promise<BenchResult>
}

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly node: string
  readonly platform: string
  readonly loadAverage: ReadonlyArray<number>
}

export const machine = (): Machine => ({
  cpu: os.cpus()[0]?.model.trim() ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100)
})

export const describeMachine = (m: Machine = machine()): string =>
  `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform} (load ${m.loadAverage.join(" ")})`

export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return Number.NaN
  // noUncheckedIndexedAccess: indices are in range for a non-empty array.
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))] ?? Number.NaN
}

/**
 * Runs each program `reps` times, interleaved (A B C A B C ...), after `warmup` untimed rounds,
 * and returns each program's per-repetition durations in milliseconds.
 */
export const sideBySide = async (
  programs: Readonly<Record<string, () => Promise<unknown>>>,
  { reps, warmup }: { readonly reps: number; readonly warmup: number }
): Promise<Record<string, Array<number>>> => {
  const names = Object.keys(programs)
  const samples: Record<string, Array<number>> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < warmup + reps; round++) {
    // Rotate the starting program so none always runs right after a GC-heavy neighbour.
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] ?? ""
      const program = programs[name]
      if (program === undefined) continue
      const t0 = performance.now()
      await program()
      const elapsed = performance.now() - t0
      if (round >= warmup) samples[name]?.push(elapsed)
    }
  }
  return samples
}

export const fmt = (n: number, digits = 2): string => {
  if (!Number.isFinite(n)) return String(n)
  if (Number.isInteger(n)) return n.toLocaleString("en-US")
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US")
  return n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : digits)
}

/** The result as a markdown table (also what the console shows). */
export const toMarkdown = (result: BenchResult): string => {
  const hasRatio = result.rows.some((r) => r.ratio !== undefined)
  const hasTarget = result.rows.some((r) => r.target !== undefined)
  const header = ["case", ...result.programs, ...(hasRatio ? ["ratio"] : []), ...(hasTarget ? ["target"] : [])]
  const lines = [
    `**${result.title}** — ${result.unit}`,
    "",
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`
  ]
  for (const row of result.rows) {
    const cells = [
      row.case,
      ...result.programs.map((p) => (row.values[p] === undefined ? "—" : fmt(row.values[p] ?? Number.NaN))),
      ...(hasRatio ? [list(row.ratio).map((r) => `${r.value.toFixed(2)}x ${r.label}`).join("; ")] : []),
      ...(hasTarget ? [list(row.target).map((t) => `${t.pass ? "pass" : "MISS"} (${t.text})`).join("; ")] : [])
    ]
    lines.push(`| ${cells.join(" | ")} |`)
  }
  for (const note of result.notes) lines.push("", `- ${note}`)
  return lines.join("\n")
}

/** The commit measured (`git describe --always --dirty`), so a result names the code it ran. */
export const commit = (): string => {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty"], { cwd: rootDir, encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

export const writeResult = (result: BenchResult, options: BenchOptions): string => {
  fs.mkdirSync(resultsDir, { recursive: true })
  const file = path.join(resultsDir, `${result.name}.json`)
  const body = {
    ...result,
    mode: options.quick ? "quick" : "full",
    date: new Date().toISOString(),
    machine: machine(),
    commit: commit(),
    markdown: toMarkdown(result)
  }
  fs.writeFileSync(file, JSON.stringify(body, null, 2) + "\n")
  return file
}

/** Lets the event loop breathe and runs a full GC when `--expose-gc` is on. */
export const settle = async (): Promise<void> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) gc()
  await new Promise((resolve) => setImmediate(resolve))
}

/** Host options for the bench programs (fixtures/common.ts): logs below Warning filtered, no command line. */
export { quietHost } from "./fixtures/common.js"
