/**
 * Runs every example as a real child process (`node --import tsx`, as `npm start` would), waits
 * for the output that shows it is doing its job, sends SIGINT (Ctrl+C) and checks that it stopped
 * cleanly: the expected lines, in order, and exit code 0.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

interface Running {
  readonly child: ChildProcess
  /** Everything printed so far, stdout and stderr interleaved as they arrived. */
  readonly output: () => string
  /** Resolves once `pattern` has appeared in the output (rejects after `timeoutMs`). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>
}

const start = (example: string, env: Record<string, string> = {}, args: ReadonlyArray<string> = []): Running => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("examples", example), ...args], {
    cwd: root,
    // NO_COLOR keeps the output greppable; CI-like environment otherwise.
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8")
    for (const check of waiters) check()
  }
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`timed out waiting for ${pattern} in the output of ${example}:\n${output}`))
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
          reject(new Error(`${example} exited before printing ${pattern}:\n${output}`))
        }
      })
    })
  return { child, output: () => output, waitFor, exited }
}

/** Sends Ctrl+C and waits for the exit code (kills the child if it does not exit in time). */
const interrupt = async (running: Running, timeoutMs = 15_000): Promise<number | null> => {
  running.child.kill("SIGINT")
  const timer = setTimeout(() => running.child.kill("SIGKILL"), timeoutMs)
  try {
    return await running.exited
  } finally {
    clearTimeout(timer)
  }
}

/** Asserts that every pattern occurs in `output`, each after the previous one. */
const expectInOrder = (output: string, patterns: ReadonlyArray<RegExp>) => {
  let from = 0
  for (const pattern of patterns) {
    const match = pattern.exec(output.slice(from))
    expect(match, `expected ${pattern} after offset ${from} in:\n${output}`).not.toBeNull()
    from += (match?.index ?? 0) + (match?.[0].length ?? 0)
  }
}

describe("examples", () => {
  it("lifecycle-hooks prints the 9 steps in the documented order and exits 0", async () => {
    const app = start("lifecycle-hooks.ts")
    await app.waitFor(/ApplicationLifetime\.started/)
    expect(await interrupt(app)).toBe(0)
    expectInOrder(app.output(), [
      /1\. Lifecycle\.starting/,
      /2\. Lifecycle\.start\b/,
      /3\. Lifecycle\.started/,
      /4\. ApplicationLifetime\.started/,
      /5\. ApplicationLifetime\.stopping/,
      /6\. Lifecycle\.stopping/,
      /7\. Lifecycle\.stop\b/,
      /8\. Lifecycle\.stopped/,
      /9\. ApplicationLifetime\.stopped/
    ])
  })

  it("timed-worker counts its executions and reports them at stop", async () => {
    const app = start("timed-worker.ts")
    await app.waitFor(/Count: 2\b/)
    expect(await interrupt(app)).toBe(0)
    expectInOrder(app.output(), [
      /Timed Hosted Service running/,
      /Timed Hosted Service is working\. Count: 1\b/,
      /Timed Hosted Service is working\. Count: 2\b/,
      /Timed Hosted Service stopped after \d+ run\(s\), 0 skipped\./
    ])
  })

  it("scoped-worker opens and releases one scope per run, also for the run that fails", async () => {
    const app = start("scoped-worker.ts")
    await app.waitFor(/scope #4 released/)
    expect(await interrupt(app)).toBe(0)
    const output = app.output()
    expectInOrder(output, [
      /scope #1 opened \(open scopes: 1\)/,
      /scope #1 doing work/,
      /scope #1 released \(open scopes: 0\)/,
      /scope #3 opened/,
      /scope #3 released \(open scopes: 0\)/,
      /scope #3: simulated failure/,
      /scope #4 opened \(open scopes: 1\)/
    ])
    // Never two scopes at once, and every scope opened was released.
    expect(output).not.toMatch(/open scopes: 2/)
    expect(output.match(/scope #\d+ opened/g)?.length).toBe(output.match(/scope #\d+ released/g)?.length)
  })
})
