/**
 * Runs a fixture app as a real Node child process (`node --import tsx`, no wrapper process in
 * between, so a signal reaches the app itself), collects its output and measures how long it
 * takes from a signal to the exit.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

export interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Running {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** stdout and stderr interleaved as they arrived. */
  readonly output: () => string
  /** Resolves once `pattern` has appeared in the output; rejects on timeout or early exit. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>
  readonly exited: Promise<Exited>
  /** Sends `signal` and resolves with the exit and the milliseconds from the signal to the exit. */
  readonly signal: (signal: NodeJS.Signals) => Promise<Exited & { readonly elapsedMs: number }>
}

const live = new Set<ChildProcess>()

/** Kills whatever a failed test left running. */
export const killLeftovers = () => {
  for (const child of live) child.kill("SIGKILL")
  live.clear()
}

// Startup under tsx on a busy two-core machine can take several seconds.
const readyTimeoutMs = 20_000

export const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Running => {
  const inherited = { ...process.env }
  // The host reads NODE_ENV and the runner warns about npm: keep the child's environment neutral.
  delete inherited["NODE_ENV"]
  delete inherited["npm_lifecycle_event"]
  const child = spawn(process.execPath, ["--import", "tsx", path.join("test", "fixtures", "node", "app.ts"), ...args], {
    cwd: root,
    env: { ...inherited, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(child)
  let stdout = ""
  let stderr = ""
  let output = ""
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const check of waiters) check()
  }
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
    output += chunk.toString("utf8")
    notify()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
    output += chunk.toString("utf8")
    notify()
  })
  const exited = new Promise<Exited>((resolve) =>
    child.on("close", (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
  )
  const waitFor = (pattern: RegExp, timeoutMs = readyTimeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`))
      }, timeoutMs)
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
      }
      waiters.add(check)
      check()
      void exited.then(() => {
        if (waiters.has(check)) {
          clearTimeout(timer)
          waiters.delete(check)
          reject(new Error(`exited before printing ${pattern}; output:\n${output}`))
        }
      })
    })
  const signal = async (name: NodeJS.Signals) => {
    const sentAt = performance.now()
    child.kill(name)
    const result = await exited
    return { ...result, elapsedMs: Math.round(performance.now() - sentAt) }
  }
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => output, waitFor, exited, signal }
}

/** The lines of `text` that match `pattern`, in order. */
export const linesMatching = (text: string, pattern: RegExp): ReadonlyArray<string> =>
  text.split("\n").filter((line) => pattern.test(line))
