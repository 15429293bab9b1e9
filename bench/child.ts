/**
 * Child processes for the benchmarks that need a real process (signals, HTTP servers, `--expose-gc`).
 * Children run TypeScript through tsx's loader (`node --import tsx`), one process per child, so a
 * signal sent to the child reaches the program itself.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { rootDir } from "./lib.js"

export interface Child {
  readonly process: ChildProcess
  readonly output: () => string
  /** The exit code, or 128 + n when the child was killed by signal n (as a shell reports it). */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: number }>
  /** Resolves when `pattern` appears on stdout or stderr. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>
}

export const spawnTs = (
  file: string,
  { args = [], env = {}, nodeArgs = [] }: {
    readonly args?: ReadonlyArray<string>
    readonly env?: Readonly<Record<string, string>>
    readonly nodeArgs?: ReadonlyArray<string>
  } = {}
): Child => {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", path.resolve(rootDir, file), ...args], {
    cwd: rootDir,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8")
    for (const listener of listeners) listener()
  }
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() }))
  )
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer)
        listeners.delete(check)
        if (error) reject(error)
        else resolve()
      }
      const timer = setTimeout(() => done(new Error(`${file}: no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs)
      const check = () => {
        if (pattern.test(output)) done()
      }
      listeners.add(check)
      void exited.then(() => listeners.has(check) && done(new Error(`${file} exited before ${pattern}:\n${output}`)))
      check()
    })
  return { process: child, output: () => output, exited, waitFor }
}
