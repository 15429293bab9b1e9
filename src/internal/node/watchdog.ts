/**
 * The shutdown bound that holds while the event loop is blocked: a worker thread (the program
 * is `watchdogWorker.ts`) that ends the process at the guard's deadline when the runner's own
 * timer cannot fire, because a stop hook or a finalizer runs `while (true) {}` (or waits in
 * `Atomics.wait`, or in a synchronous child process).
 *
 * The runner arms it together with its timer guard (the first signal, or a host beginning to
 * stop), never at start-up: a process that is never stopped never pays for the thread. Arming
 * installs the deadline function the thread evaluates on the main thread through the inspector
 * (see `watchdogWorker.ts`), then starts the thread; from then on the runner posts what is still
 * stopping whenever that changes. The thread is unref'd: it never keeps the process alive, and a
 * normal exit ends it.
 *
 * The one line it leaves on stderr does not go through the host's logger: the logger runs on the
 * event loop that is blocked. It is written with `fs.writeSync(2, …)`, as
 * `<ISO time> ERROR [effect-host.NodeHost] Shutdown did not finish within …; still stopping: …`.
 *
 * @internal
 */
import * as fs from "node:fs"
import type * as Inspector from "node:inspector"
import { createRequire } from "node:module"
import type * as WorkerThreads from "node:worker_threads"
import { source, type Update, type WorkerData } from "./watchdogWorker.js"

/** The `Symbol.for` key under which the deadline function waits on `globalThis`. */
export const globalKey = "effect-host/NodeHost/watchdog"

/**
 * How long the watchdog thread gives the main thread, after evaluating the deadline function on
 * it, before it exits from its own thread (WASI) or sends SIGKILL.
 */
export const defaultGraceMs = 250

export interface ArmOptions {
  /** When to end the process, in epoch milliseconds (`Date.now()`). */
  readonly deadline: number
  readonly exitCode: number
  /** The log category named in the line. */
  readonly category: string
  /** The line's text before the description ("Shutdown did not finish within 30s (+1s margin); "). */
  readonly before: string
  /** What is still stopping, read at the deadline on the main thread ("still stopping: Db (stop)"). */
  readonly describe: () => string
  /** A failure of the thread itself, reported on the event loop (it then no longer guards). */
  readonly onError: (message: string) => void
  readonly graceMs?: number | undefined
}

export interface Watchdog {
  /** Tells the thread what is still stopping, for a main thread that no interrupt reaches. */
  readonly update: (description: string) => void
  /** The outcome is known and only the exit is left: the thread no longer acts. */
  readonly disarm: () => void
}

export type Armed =
  | { readonly _tag: "Armed"; readonly watchdog: Watchdog }
  | { readonly _tag: "Unavailable"; readonly reason: string }

// Loaded when the watchdog is armed, not when the runner's module is: nothing at start-up.
const require = createRequire(import.meta.url)

/**
 * Ends the process at once with `code`, without `'exit'` listeners (they would run inside an
 * interrupt of code that never returns). `process.reallyExit` is Node's own last step of
 * `process.exit` (lib/internal/process/per_thread.js); undocumented, hence the fallback.
 */
const exitNow = (code: number): never => {
  const reallyExit: unknown = Reflect.get(process, "reallyExit")
  if (typeof reallyExit === "function") reallyExit.call(process, code)
  return process.exit(code)
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? ("code" in error && typeof error.code === "string" ? error.code : error.message) : String(error)

export const arm = (options: ArmOptions): Armed => {
  const graceMs = options.graceMs ?? defaultGraceMs
  let description = options.describe()
  let inspector: typeof Inspector | undefined
  try {
    inspector = require("node:inspector") as typeof Inspector
  } catch {
    // Node built without the inspector (ERR_INSPECTOR_NOT_AVAILABLE): the thread then cannot
    // reach this function either, and falls back to SIGKILL; nothing to close here.
  }

  // Runs on the main thread, inside the interrupt the watchdog thread's inspector session
  // requested: the event loop is blocked, so everything here is synchronous.
  const onDeadline = (): never => {
    try {
      description = options.describe()
    } catch {
      // The hosts could not be read; the last description posted is the best there is.
    }
    const line = `${new Date().toISOString()} ERROR [${options.category}] ${options.before}${description}; ` +
      `the event loop is blocked: ended by the watchdog thread with code ${options.exitCode}\n`
    try {
      fs.writeSync(2, line)
    } catch {
      // stderr is closed: there is no one left to tell.
    }
    try {
      // With --inspect the exit would wait for the watchdog's session to disconnect.
      inspector?.close()
    } catch {
      // Not open: nothing to wait for.
    }
    try {
      // Keeps Node's "Waiting for the debugger to disconnect..." from following our last line.
      fs.closeSync(2)
    } catch {
      // Already closed.
    }
    return exitNow(options.exitCode)
  }
  Reflect.set(globalThis, Symbol.for(globalKey), onDeadline)

  const workerData: WorkerData = {
    deadline: options.deadline,
    graceMs,
    exitCode: options.exitCode,
    globalKey,
    category: options.category,
    before: options.before,
    description
  }
  let worker: WorkerThreads.Worker
  try {
    const { Worker } = require("node:worker_threads") as typeof WorkerThreads
    worker = new Worker(source, {
      eval: true,
      workerData,
      name: "effect-host watchdog",
      // Not the parent's flags: a loader (--import tsx) would cost start-up time for nothing.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 }
    })
  } catch (error) {
    // The permission model without --allow-worker, for one.
    Reflect.deleteProperty(globalThis, Symbol.for(globalKey))
    return { _tag: "Unavailable", reason: reasonOf(error) }
  }
  // The watchdog bounds the stop; it must never be what keeps the process alive.
  worker.unref()
  worker.on("error", (error) => options.onError(reasonOf(error)))
  const post = (message: Update) => {
    try {
      worker.postMessage(message)
    } catch {
      // The thread is gone (its failure was reported through "error").
    }
  }
  const update = (next: string) => {
    if (next === description) return
    description = next
    post({ description })
  }
  return { _tag: "Armed", watchdog: { update, disarm: () => post({ disarm: true }) } }
}
