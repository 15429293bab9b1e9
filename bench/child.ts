/**
 * Child processes for the benchmarks. Every measured program is a child: `spawnBuilt` runs a bench
 * program (bench/fixtures/*.ts) from its bundle (bench/build.ts) with plain `node`, against the
 * built package; `spawnCommand` runs anything else (the HTTP load generator). One process per
 * child, no wrapper in between, so a signal sent to the child reaches the program itself.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bundleOf } from "./build.js"
import { rootDir } from "./lib.js"

export interface Child {
  readonly process: ChildProcess
  readonly output: () => string
  /** Only what the child wrote to stdout. */
  readonly stdout: () => string
  /** The exit code or signal, and when the parent saw the exit (`performance.now()`). */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: number }>
  /** Resolves with `performance.now()` of the chunk in which `pattern` first appears (stdout or stderr). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<number>
}

export interface SpawnOptions {
  readonly args?: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>>
  readonly nodeArgs?: ReadonlyArray<string>
  /** CPUs to pin the child to (`taskset -c`), when taskset exists; see `pinning`. */
  readonly cpus?: string | undefined
}

/** Whether `taskset` is there to pin processes to cores (Linux, util-linux). */
export const canPin: boolean = (() => {
  if (process.platform !== "linux") return false
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

const wrap = (child: ChildProcess, label: string): Child => {
  let output = ""
  let stdout = ""
  const listeners = new Set<() => void>()
  const onData = (fromStdout: boolean) => (chunk: Buffer) => {
    const text = chunk.toString("utf8")
    output += text
    if (fromStdout) stdout += text
    for (const listener of listeners) listener()
  }
  child.stdout?.on("data", onData(true))
  child.stderr?.on("data", onData(false))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() }))
  )
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<number>((resolve, reject) => {
      const done = (result: number | Error) => {
        clearTimeout(timer)
        listeners.delete(check)
        if (result instanceof Error) reject(result)
        else resolve(result)
      }
      const timer = setTimeout(() => done(new Error(`${label}: no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs)
      const check = () => {
        if (pattern.test(output)) done(performance.now())
      }
      listeners.add(check)
      void exited.then(() => listeners.has(check) && done(new Error(`${label} exited before ${pattern}:\n${output}`)))
      check()
    })
  return { process: child, output: () => output, stdout: () => stdout, exited, waitFor }
}

/** Runs `command args` (pinned to `cpus` when asked and possible), output piped. */
export const spawnCommand = (
  command: string,
  args: ReadonlyArray<string>,
  { env = {}, cpus }: Pick<SpawnOptions, "env" | "cpus"> = {}
): Child => {
  // taskset execs the command, so the child's pid is the program's own (signals reach it).
  const [file, argv] = cpus !== undefined && canPin ? ["taskset", ["-c", cpus, command, ...args]] : [command, [...args]]
  const child = spawn(file, argv, {
    cwd: rootDir,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  return wrap(child, path.basename(args.find((a) => !a.startsWith("-")) ?? command))
}

/** Runs the bundle of a bench program (`bench/fixtures/x.ts`) with `node`. */
export const spawnBuilt = (file: string, { args = [], env, nodeArgs = [], cpus }: SpawnOptions = {}): Child => {
  const bundle = bundleOf(file)
  if (!fs.existsSync(bundle)) throw new Error(`${file} has no bundle (${path.relative(rootDir, bundle)}): run the benchmarks through bench/run.ts`)
  return spawnCommand(process.execPath, [...nodeArgs, bundle, ...args], { env: env ?? {}, cpus })
}

/**
 * Runs a TypeScript file through tsx's loader (`node --import tsx`). Only for programs whose start-up
 * is not measured: the cluster bench's members are the cluster test fixtures, and it measures tasks
 * per second and fail-over times once they run.
 */
export const spawnTs = (file: string, { args = [], env = {}, nodeArgs = [], cpus }: SpawnOptions = {}): Child =>
  spawnCommand(process.execPath, [...nodeArgs, "--import", "tsx", path.resolve(rootDir, file), ...args], { env, cpus })

/**
 * Runs a bench program to its end and returns the JSON of its `RESULT {...}` line (see
 * fixtures/common.ts); throws with its output when it fails.
 */
export const runBuilt = async <A>(file: string, options: SpawnOptions = {}): Promise<A> => {
  const child = spawnBuilt(file, options)
  const { code, signal } = await child.exited
  const line = child.stdout().split("\n").find((l) => l.startsWith("RESULT "))
  if (code !== 0 || line === undefined) {
    throw new Error(`${file} ${(options.args ?? []).join(" ")} failed (exit ${code ?? signal}):\n${child.output()}`)
  }
  return JSON.parse(line.slice("RESULT ".length)) as A
}

/** User + system CPU time of a process so far, in ms (Linux /proc; NaN elsewhere). */
export const processCpuMs = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN
  try {
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 1000 / clockTicks
  } catch {
    return Number.NaN
  }
}

const clockTicks: number = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** Logical CPUs, for deciding whether pinning the load generator apart from the server helps. */
export const cores = os.cpus().length
