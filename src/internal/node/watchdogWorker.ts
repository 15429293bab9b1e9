/**
 * The watchdog thread's program (`watchdog.ts` starts it): plain JavaScript, run by
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
 *      line itself, from the last description the main thread posted ("last seen": a hook
 *      that began and blocked in the same turn of the event loop is not in it), and calls WASI's
 *      `proc_exit`, which is libc's `exit()` on this thread. Only then: `exit()` racing a main
 *      thread that runs JavaScript can crash (SIGSEGV), so without a working inspector (where it
 *      cannot tell which case it is in) this step is skipped.
 *   3. SIGKILL to its own process (the supervisor sees 137, not 124).
 *
 * Messages from the main thread (queued on this thread's port, so they arrive even when the
 * main thread blocks right after posting): `{ description }`, what is still stopping, and
 * `{ disarm: true }` once the outcome is known and only the exit is left.
 *
 * The measured facts behind each step are in the ops research (REPORT.md, part B).
 *
 * @internal
 */

/** What the main thread passes as `workerData`. */
export interface WorkerData {
  /** When to act, in epoch milliseconds (`Date.now()`). */
  readonly deadline: number
  /** How long the main thread gets to take the inspector's interrupt before step 2. */
  readonly graceMs: number
  readonly exitCode: number
  /** The `Symbol.for` key of the main thread's deadline function. */
  readonly globalKey: string
  /** The last line is `<ISO time> ERROR [<category>] <before>…`, naming what is still stopping. */
  readonly category: string
  readonly before: string
  /** What was still stopping when the watchdog was armed. */
  readonly description: string
}

/** A message from the main thread. */
export type Update = { readonly description: string } | { readonly disarm: true }

export const source = String.raw`"use strict"
const { parentPort, workerData } = require("node:worker_threads")
const fs = require("node:fs")
const data = workerData
let description = data.description

let timer

parentPort.on("message", (message) => {
  if (message === null || typeof message !== "object") return
  if (typeof message.description === "string") description = message.description
  if (message.disarm === true) clearTimeout(timer)
})

const reason = (error) => (error !== null && typeof error === "object" && (error.code || error.message)) || String(error)

const writeLine = (text) => {
  const line = new Date().toISOString() + " ERROR [" + data.category + "] " + data.before + text + "\n"
  try { fs.writeSync(2, line) } catch { /* stderr is closed: there is no one left to tell */ }
}

// 1. Runs the runner's deadline function on the main thread, through an isolate interrupt.
const viaInspector = () => {
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
    const seen = "the main thread is blocked; last seen: " + description
    if (inspectorProblem === undefined) {
      writeLine(seen + "; it is in native code: exiting from the watchdog thread with code " + data.exitCode)
      writeLine(seen + "; " + viaWasi() + ": sending SIGKILL")
    } else {
      writeLine(seen + "; " + inspectorProblem + ": sending SIGKILL")
    }
    process.kill(process.pid, "SIGKILL")
  }, inspectorProblem === undefined ? data.graceMs : 0)
}

timer = setTimeout(fire, Math.max(0, data.deadline - Date.now()))
`
