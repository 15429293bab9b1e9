/**
 * The shutdown bound that holds while the event loop is blocked: a worker thread (its program
 * is `source`, at the end of this module) that ends the process at the guard's deadline when the runner's own
 * timer cannot fire, because a stop hook or a finalizer runs `while (true) {}` (or waits in
 * `Atomics.wait`, or in a synchronous child process).
 *
 * The runner arms it together with its timer guard (the first signal, or a host beginning to
 * stop). Starting a thread takes a few milliseconds of the main thread, which a fast stop would
 * feel (SIGTERM → exit), so once a host has started the runner starts the thread idle
 * (`standby`), and arming only posts the deadline to it; a stop that comes first starts the
 * thread with its deadline. Arming installs the deadline function the thread evaluates on the
 * main thread through the inspector (see `source`); from then on the runner posts what is still
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

/** The `Symbol.for` key under which the deadline function waits on `globalThis`. */
export const globalKey = "effect-host/NodeHost/watchdog"

/**
 * How long the watchdog thread gives the main thread, after evaluating the deadline function on
 * it, before it exits from its own thread (WASI) or sends SIGKILL.
 */
export const defaultGraceMs = 250

/**
 * How the last line is written: as the host's logger writes an error line (`json`, `logfmt`;
 * `text` for the pretty format and for a program that has a logger of its own), to `fd`.
 */
export interface LineFormat {
  readonly format: "json" | "logfmt" | "text"
  readonly fd: 1 | 2
  /** Before the line: the journal's priority (`<3>`) when `fd` is a journal stream, else empty. */
  readonly prefix: string
}

/**
 * The last line. Self-contained (it uses nothing from outside itself): the watchdog thread runs
 * its source text too, so both threads write the same line.
 */
export const renderLine = (format: LineFormat["format"], category: string, message: string): string => {
  const timestamp = new Date().toISOString()
  if (format === "json") {
    return JSON.stringify({ message, logLevel: "ERROR", timestamp, annotations: { category }, spans: {}, fiberId: "watchdog" }) + "\n"
  }
  if (format === "logfmt") return `timestamp=${timestamp} level=ERROR fiber=watchdog message=${JSON.stringify(message)} category=${category}\n`
  return `${timestamp} ERROR [${category}] ${message}\n`
}

export interface ArmOptions {
  /** When to end the process, in epoch milliseconds (`Date.now()`). */
  readonly deadline: number
  /** How the last line is written (default: text on stderr). */
  readonly line?: LineFormat | undefined
  readonly exitCode: number
  /** The log category named in the line. */
  readonly category: string
  /** The line's text before the description ("Shutdown did not finish within 30s (+1s margin); "). */
  readonly before: string
  /** What is still stopping, read at the deadline on the main thread ("still stopping: Db (stop)"). */
  readonly describe: () => string
  /**
   * What the thread says when the main thread does not answer: what the runner saw last
   * ("last seen in a hook: Db (stop)"); `update` replaces it.
   */
  readonly seen: string
  /** A failure of the thread itself, reported on the event loop (it then no longer guards). */
  readonly onError: (message: string) => void
  readonly graceMs?: number | undefined
}

export interface Watchdog {
  /** Tells the thread what the runner now sees in flight, for a main thread that no interrupt reaches. */
  readonly update: (seen: string) => void
  /** The outcome is known and only the exit is left: the thread no longer acts. */
  readonly disarm: () => void
}

export type Armed =
  | { readonly _tag: "Armed"; readonly watchdog: Watchdog }
  | { readonly _tag: "Unavailable"; readonly reason: string }

// Loaded when the watchdog is armed, not when the runner's module is: nothing at start-up.
/**
 * Node's `require`, made when first needed (the thread's start, after the host started):
 * `createRequire` costs about 0.75 ms, which every start-up would pay at import.
 */
let cachedRequire: NodeJS.Require | undefined
const require = (id: string): unknown => (cachedRequire ??= createRequire(import.meta.url))(id)

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

/** The inspector is usable from a thread: not in a Node built without it, not under the permission model. */
const inspectorUsable = (): boolean => process.features.inspector && Reflect.get(process, "permission") === undefined

const startThread = (workerData: WorkerData): WorkerThreads.Worker => {
  const { Worker } = require("node:worker_threads") as typeof WorkerThreads
  const worker = new Worker(source, {
    eval: true,
    workerData,
    name: "effect-host watchdog",
    // Not the parent's flags: a loader (--import tsx) would cost start-up time for nothing.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 }
  })
  // The watchdog bounds the stop; it must never be what keeps the process alive.
  worker.unref()
  return worker
}

/** A watchdog thread started ahead of a stop, idle until `arm` posts it a deadline. */
export interface Standby {
  readonly worker: WorkerThreads.Worker
  /** The thread failed (reported through `onError`): `arm` starts a new one. */
  readonly failed: () => boolean
}

/**
 * Starts the watchdog thread idle, so that arming it later costs a message instead of a thread
 * start. `undefined` when no thread can start (`arm` then reports why).
 */
export const standby = (category: string, onError: (message: string) => void): Standby | undefined => {
  try {
    const worker = startThread({ globalKey, inspector: inspectorUsable(), category })
    let failed = false
    worker.on("error", (error) => {
      failed = true
      onError(reasonOf(error))
    })
    return { worker, failed: () => failed }
  } catch {
    return undefined
  }
}

export const arm = (options: ArmOptions, ready?: Standby): Armed => {
  const graceMs = options.graceMs ?? defaultGraceMs
  const { fd, format, prefix } = options.line ?? { format: "text", fd: 2, prefix: "" }
  let seen = options.seen
  // Runs on the main thread, inside the interrupt the watchdog thread's inspector session
  // requested: the event loop is blocked, so everything here is synchronous.
  const onDeadline = (): never => {
    let description: string
    try {
      description = options.describe()
    } catch {
      // The hosts could not be read; what was seen last is the best there is.
      description = seen
    }
    const line = prefix + renderLine(
      format,
      options.category,
      `${options.before}${description}; the event loop is blocked: ended by the watchdog thread with code ${options.exitCode}`
    )
    try {
      fs.writeSync(fd, line)
    } catch {
      // stderr is closed: there is no one left to tell.
    }
    try {
      // With --inspect the exit would wait for the watchdog's session to disconnect. Loaded only
      // now (a builtin, synchronously), not when arming.
      const inspector = require("node:inspector") as typeof Inspector
      inspector.close()
    } catch {
      // Not open, or Node was built without the inspector: nothing to wait for.
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

  const deadline: Deadline = { deadline: options.deadline, graceMs, exitCode: options.exitCode, before: options.before, seen, format, fd, prefix }
  let worker: WorkerThreads.Worker
  if (ready !== undefined && !ready.failed()) {
    worker = ready.worker
    worker.postMessage({ arm: deadline } satisfies Update)
  } else {
    try {
      worker = startThread({ globalKey, inspector: inspectorUsable(), category: options.category, ...deadline })
    } catch (error) {
      // The permission model without --allow-worker, for one.
      Reflect.deleteProperty(globalThis, Symbol.for(globalKey))
      return { _tag: "Unavailable", reason: reasonOf(error) }
    }
    worker.on("error", (error) => options.onError(reasonOf(error)))
  }
  const post = (message: Update) => {
    try {
      worker.postMessage(message)
    } catch {
      // The thread is gone (its failure was reported through "error").
    }
  }
  const update = (next: string) => {
    if (next === seen) return
    seen = next
    post({ seen })
  }
  return { _tag: "Armed", watchdog: { update, disarm: () => post({ disarm: true }) } }
}

// ---------------------------------------------------------------------------------------
// The watchdog thread
// ---------------------------------------------------------------------------------------
/**
 * The watchdog thread's program: plain JavaScript, run by
 * `new Worker(source, { eval: true })`, so it needs no file of its own next to the compiled
 * module and survives bundling (an eval'd worker is a CommonJS script: `require` works).
 *
 * It owns one deadline (`workerData.deadline`, epoch milliseconds) and ends the whole process
 * when it passes, even while the main thread never returns to its event loop:
 *
 *   1. inspector: it connects to the main thread and evaluates the runner's deadline function
 *      there (`globalThis[Symbol.for(workerData.globalKey)]`). V8 runs the evaluation through an
 *      isolate interrupt, in the middle of a busy JavaScript loop (or an `Atomics.wait`); the
 *      function writes the last line from the hosts' current `inFlight()` and exits with
 *      `workerData.exitCode`.
 *   2. if the process is still there `graceMs` later, the main thread is inside native code (a
 *      synchronous child process, a blocking read) and took no interrupt: this thread writes the
 *      line itself, from what the main thread posted last ("last seen": a hook that began and
 *      blocked in the same turn of the event loop is not in it), and calls WASI's
 *      `proc_exit`, which is libc's `exit()` on this thread. Only then: `exit()` racing a main
 *      thread that runs JavaScript can crash (SIGSEGV), so without a working inspector (where it
 *      cannot tell which case it is in) this step is skipped.
 *   3. SIGKILL to its own process (the supervisor sees 137, not 124).
 *
 * Messages from the main thread (queued on this thread's port, so they arrive even when the
 * main thread blocks right after posting): `{ seen }`, what the runner saw in flight, and
 * `{ disarm: true }` once the outcome is known and only the exit is left.
 *
 * The measured facts behind each step are in the ops research (REPORT.md, part B).
 */

/** What the thread needs to act at a deadline: in `workerData`, or posted to a thread on standby. */
export interface Deadline extends LineFormat {
  /** When to act, in epoch milliseconds (`Date.now()`). */
  readonly deadline: number
  /** How long the main thread gets to take the inspector's interrupt before step 2. */
  readonly graceMs: number
  readonly exitCode: number
  /** The last line's message is `<before>…`, naming what is still stopping (see `renderLine`). */
  readonly before: string
  /** What the runner saw in flight when it armed the watchdog ("last seen in a hook: Db (stop)"). */
  readonly seen: string
}

/** What the main thread passes as `workerData`: the deadline too, unless the thread is on standby. */
export interface WorkerData extends Partial<Deadline> {
  /** The `Symbol.for` key of the main thread's deadline function. */
  readonly globalKey: string
  /**
   * Whether this thread may use the inspector: not in a Node built without it, and not under the
   * permission model (which denies it; connecting anyway failed a native assertion, an abort).
   */
  readonly inspector: boolean
  readonly category: string
}

/** A message from the main thread. */
export type Update = { readonly arm: Deadline } | { readonly seen: string } | { readonly disarm: true }

export const source = String.raw`"use strict"
const { parentPort, workerData } = require("node:worker_threads")
const fs = require("node:fs")
const data = { ...workerData }
let seen = data.seen

let timer
let disarmed = false

// Without a deadline in workerData the thread is on standby: the port keeps it alive (the main
// thread unref'd it) until the message that arms it.
// A timer takes at most 2^31 - 1 ms (about 24.8 days; Node turns a longer delay into 1 ms): a
// deadline further away is waited for in steps of that size.
const maxDelay = 2147483647
const start = () => {
  if (disarmed) return
  const left = data.deadline - Date.now()
  timer = left > maxDelay ? setTimeout(start, maxDelay) : setTimeout(fire, Math.max(0, left))
}

parentPort.on("message", (message) => {
  if (message === null || typeof message !== "object") return
  if (message.arm !== null && typeof message.arm === "object" && timer === undefined) {
    for (const key of ["deadline", "graceMs", "exitCode", "before", "format", "fd", "prefix"]) data[key] = message.arm[key]
    seen = message.arm.seen
    start()
  }
  if (typeof message.seen === "string") seen = message.seen
  if (message.disarm === true) {
    disarmed = true
    clearTimeout(timer)
  }
})

const reason = (error) => (error !== null && typeof error === "object" && (error.code || error.message)) || String(error)

const renderLine = ${renderLine.toString()}
const writeLine = (text) => {
  let line
  try {
    line = renderLine(data.format || "text", data.category, data.before + text)
  } catch {
    // The function's text as this process runs it may not stand alone (code coverage rewrites
    // it with counters of its module): the line in plain text, and the exit still follows.
    line = new Date().toISOString() + " ERROR [" + data.category + "] " + data.before + text + "\n"
  }
  try { fs.writeSync(data.fd || 2, (data.prefix || "") + line) } catch { /* the output is closed: there is no one left to tell */ }
}

// 1. Runs the runner's deadline function on the main thread, through an isolate interrupt.
const viaInspector = () => {
  if (!data.inspector) return "the inspector is not available (a Node built without it, or the permission model)"
  try {
    const inspector = require("node:inspector")
    const session = new inspector.Session()
    session.connectToMainThread()
    const key = JSON.stringify(data.globalKey)
    session.post("Runtime.evaluate", {
      expression: "(globalThis[Symbol.for(" + key + ")] ?? (() => process.exit(" + data.exitCode + ")))()"
    }, () => {})
    return undefined
  } catch (error) {
    return "inspector unavailable: " + reason(error)
  }
}

// A module whose _start calls wasi_snapshot_preview1.proc_exit(code).
const exitModule = (code) => {
  const str = (s) => [s.length, ...Buffer.from(s)]
  const section = (id, bytes) => [id, bytes.length, ...bytes]
  const sleb = (n) => {
    const out = []
    for (;;) {
      const b = n & 0x7f
      n >>= 7
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out }
      out.push(b | 0x80)
    }
  }
  const body = [0x00, 0x41, ...sleb(code), 0x10, 0x00, 0x0b]
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [2, 0x60, 1, 0x7f, 0, 0x60, 0, 0]),
    ...section(2, [1, ...str("wasi_snapshot_preview1"), ...str("proc_exit"), 0x00, 0]),
    ...section(3, [1, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...str("memory"), 0x02, 0, ...str("_start"), 0x00, 1]),
    ...section(10, [1, body.length, ...body])
  ])
}

// 2. libc exit() from this thread; returns only when it could not run.
const viaWasi = () => {
  const emitWarning = process.emitWarning
  try {
    // WASI's ExperimentalWarning would go to a stderr piped through the blocked main thread.
    process.emitWarning = () => {}
    const { WASI } = require("node:wasi")
    const wasi = new WASI({ version: "preview1", returnOnExit: false })
    process.emitWarning = emitWarning
    wasi.start(new WebAssembly.Instance(new WebAssembly.Module(exitModule(data.exitCode)), wasi.getImportObject()))
    return "WASI proc_exit returned"
  } catch (error) {
    process.emitWarning = emitWarning
    return "WASI unavailable: " + reason(error)
  }
}

const fire = () => {
  const inspectorProblem = viaInspector()
  setTimeout(() => {
    // What the runner last posted: a hook that began and blocked at once may be missing.
    const blocked = "the main thread is blocked; " + seen
    if (inspectorProblem === undefined) {
      writeLine(blocked + "; it is in native code: exiting from the watchdog thread with code " + data.exitCode)
      writeLine(blocked + "; " + viaWasi() + ": sending SIGKILL")
    } else {
      writeLine(blocked + "; " + inspectorProblem + ": sending SIGKILL")
    }
    process.kill(process.pid, "SIGKILL")
  }, inspectorProblem === undefined ? data.graceMs : 0)
}

if (typeof data.deadline === "number") start()
`
