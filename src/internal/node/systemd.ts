/**
 * systemd's notification protocol (`sd_notify(3)`) for a process started by a unit with
 * `Type=notify`: `READY=1` once the host has started, `STOPPING=1` when it begins to stop,
 * `STATUS=` lines for its phases, and `WATCHDOG=1` every `WATCHDOG_USEC / 2` while it runs.
 *
 * The sender. Node cannot send an AF_UNIX datagram (dgram is UDP only, libuv pipes are stream
 * sockets), so the messages are handed to systemd's own `systemd-notify` command, which is
 * installed wherever systemd is (it is part of the systemd package), reaches both socket forms
 * (`/run/systemd/notify` and abstract `@name`), and needs no native code in this package. What it
 * costs, measured: about 8 ms of wall time and 1.5 ms of this process's CPU per message, off the
 * event loop; a few messages per lifetime and one per half watchdog period. What it needs: the
 * message comes from the command's PID, which systemd accepts from a non-root service only with
 * `NotifyAccess=all` (as root, the command sends with our PID and the default `main` works). When
 * the command is missing (a container image without systemd, say), a warning is logged once and
 * nothing else happens.
 *
 * Messages go out one command at a time, in order; what queues up meanwhile is sent together in
 * one datagram (one command with several assignments, as systemd allows), and a newer `STATUS=`
 * or `WATCHDOG=1` replaces a queued one.
 *
 * The watchdog pings come from a timer on the main thread's event loop, so they stop when the loop
 * is stuck: that is what systemd's watchdog is for. They are sent only while a host is `Started`.
 *
 * @internal
 */
import type * as ChildProcess from "node:child_process"
import { createRequire } from "node:module"
import type { InFlight } from "../engine.js"
import type { WatchedHost } from "../watch.js"
import * as Effect from "effect/Effect"

/** What the environment says about systemd's notification socket and watchdog. */
export interface Settings {
  /** `NOTIFY_SOCKET`: a path, or `@name` for an abstract socket. */
  readonly socket: string
  /** Half of `WATCHDOG_USEC`, when the watchdog is on and meant for this process. */
  readonly watchdogIntervalMs: number | undefined
}

/** The variables `settings` reads; `take` removes them from the environment. */
export const variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] as const

const positiveInteger = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}

/**
 * Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` as `sd_watchdog_enabled(3)` does:
 * the watchdog applies when `WATCHDOG_USEC` is a positive number and `WATCHDOG_PID` is unset or
 * this process's PID (a child that inherited the variables does not ping for its parent).
 */
export const settings = (env: Readonly<Record<string, string | undefined>>, pid: number): Settings | undefined => {
  const socket = env["NOTIFY_SOCKET"]
  if (socket === undefined || socket === "") return undefined
  const usec = positiveInteger(env["WATCHDOG_USEC"])
  const watchdogPid = env["WATCHDOG_PID"]
  const forUs = watchdogPid === undefined || watchdogPid === "" || positiveInteger(watchdogPid) === pid
  return { socket, watchdogIntervalMs: usec !== undefined && forUs ? Math.max(1, Math.floor(usec / 2000)) : undefined }
}

/**
 * Reads the settings and removes the variables from `env`, as `sd_notify(unset_environment=1)`
 * does: with `NotifyAccess=all`, a child process that inherited `NOTIFY_SOCKET` (another
 * effect-host program, say) would otherwise report its own `READY=1` and `STOPPING=1` for the unit.
 */
export const take = (env: Record<string, string | undefined>, pid: number): Settings | undefined => {
  const found = settings(env, pid)
  if (found !== undefined) for (const name of variables) Reflect.deleteProperty(env, name)
  return found
}

/** Hands one datagram (its assignments, in order) to the socket; calls `done` when it is gone. */
export type Transport = (assignments: ReadonlyArray<string>, done: (problem: Problem | undefined) => void) => void

/** Why a message could not be sent: `missing` (no sender on this machine) ends all sending. */
export interface Problem {
  readonly missing: boolean
  readonly message: string
}

/** How long one `systemd-notify` may take before it is killed (it waits for systemd's barrier). */
export const commandTimeoutMs = 5_000

const require = createRequire(import.meta.url)

/** Sends with the `systemd-notify` command found on `PATH`, to `socket`. */
export const commandTransport = (socket: string, command = "systemd-notify"): Transport => {
  const { spawn } = require("node:child_process") as typeof ChildProcess
  return (assignments, done) => {
    let stderr = ""
    let settled = false
    const finish = (problem: Problem | undefined) => {
      if (settled) return
      settled = true
      done(problem)
    }
    let child: ChildProcess.ChildProcess
    try {
      child = spawn(command, [...assignments], {
        env: { ...process.env, NOTIFY_SOCKET: socket },
        stdio: ["ignore", "ignore", "pipe"],
        timeout: commandTimeoutMs
      })
    } catch (error) {
      return finish({ missing: false, message: `${command} could not be started: ${String(error)}` })
    }
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString("utf8")
    })
    child.on("error", (error: NodeJS.ErrnoException) =>
      finish(
        error.code === "ENOENT"
          ? { missing: true, message: `${command} was not found on PATH` }
          : { missing: false, message: `${command} could not be started: ${error.message}` }
      )
    )
    child.on("close", (code, signal) =>
      finish(
        code === 0
          ? undefined
          : { missing: false, message: `${command} ${signal === null ? `exited with ${code}` : `was killed (${signal})`}: ${stderr.trim()}` }
      )
    )
  }
}

export interface Notifier {
  /** Queues assignments (`READY=1`, `STATUS=…`); they go out in order. */
  readonly send: (...assignments: ReadonlyArray<string>) => void
  /** Calls `done` once everything queued has been sent, or after `timeoutMs` (real time). */
  readonly drain: (timeoutMs: number, done: () => void) => void
}

/** A queued assignment replaces an earlier queued one with the same key for these keys only. */
const latestOnly = (assignment: string) => assignment.startsWith("STATUS=") || assignment === "WATCHDOG=1"
const keyOf = (assignment: string) => assignment.slice(0, assignment.indexOf("="))

/**
 * The queue in front of `transport`. `warn` is called once, for the first problem (a missing
 * sender stops all sending; other problems, a refused socket say, are retried with the next
 * message).
 */
export const notifier = (transport: Transport, warn: (message: string) => void): Notifier => {
  let pending: Array<string> = []
  let sending = false
  let disabled = false
  let warned = false
  const idle: Array<() => void> = []

  const settle = () => {
    if (sending || pending.length > 0) return
    for (const done of idle.splice(0)) done()
  }
  const next = () => {
    if (sending || disabled || pending.length === 0) return settle()
    const batch = pending
    pending = []
    sending = true
    transport(batch, (problem) => {
      sending = false
      if (problem !== undefined) {
        if (problem.missing) {
          disabled = true
          pending = []
        }
        if (!warned) {
          warned = true
          warn(problem.message)
        }
      }
      next()
    })
  }
  return {
    send: (...assignments) => {
      if (disabled) return
      for (const assignment of assignments) {
        if (latestOnly(assignment)) pending = pending.filter((queued) => keyOf(queued) !== keyOf(assignment))
        pending.push(assignment)
      }
      next()
    },
    drain: (timeoutMs, done) => {
      if (!sending && pending.length === 0) return done()
      let called = false
      const once = () => {
        if (called) return
        called = true
        clearTimeout(timer)
        done()
      }
      const timer = setTimeout(once, timeoutMs)
      idle.push(once)
    }
  }
}

/** One line: systemd takes a datagram's lines as separate assignments. */
const status = (text: string) => `STATUS=${text.replace(/\s*\n\s*/g, " ")}`

export const statusText = {
  starting: "Starting",
  running: "Running",
  stopping: "Stopping",
  stoppingIn: (inFlight: ReadonlyArray<InFlight>) =>
    inFlight.length === 0 ? "Stopping" : `Stopping: ${inFlight.map(({ phase, service }) => `${service} (${phase})`).join(", ")}`,
  stopped: "Stopped"
} as const

export interface Integration {
  /** Reports `host`'s lifetime events (a fiber that waits for them). */
  readonly watch: (host: WatchedHost) => Effect.Effect<void>
  /** What is in a hook now, while stopping (the runner polls the hosts while a stop runs). */
  readonly progress: (inFlight: ReadonlyArray<InFlight>) => void
  /**
   * The program has ended and the process is about to exit: sends `STATUS=Stopped` and calls
   * `done` once it is out, or after `timeoutMs`. Nothing is sent after it.
   */
  readonly finish: (timeoutMs: number, done: () => void) => void
}

/**
 * The messages for the hosts of one process: `READY=1` when the first host has started,
 * `STOPPING=1` when the first one begins to stop (a process normally runs one host).
 */
export const make = (
  settings: Settings,
  notifier: Notifier,
  hosts: () => ReadonlyArray<WatchedHost>
): Integration => {
  let ready = false
  let stopping = false
  let finished = false
  let pinger: ReturnType<typeof setInterval> | undefined

  const onStarted = () => {
    if (ready || stopping || finished) return
    ready = true
    notifier.send("READY=1", status(statusText.running))
    const interval = settings.watchdogIntervalMs
    if (interval === undefined) return
    pinger = setInterval(() => {
      if (!stopping && hosts().some((host) => host.state() === "Started")) notifier.send("WATCHDOG=1")
    }, interval)
    // The pings report a live event loop; they never keep one alive.
    pinger.unref()
  }
  const onStopping = () => {
    if (stopping || finished) return
    stopping = true
    if (pinger !== undefined) clearInterval(pinger)
    notifier.send("STOPPING=1", status(statusText.stopping))
  }

  return {
    watch: (host) =>
      Effect.gen(function*() {
        if (!ready && !stopping && !finished) notifier.send(status(statusText.starting))
        yield* Effect.fork(Effect.zipRight(host.lifetime.started, Effect.sync(onStarted)))
        yield* Effect.zipRight(host.lifetime.stopping, Effect.sync(onStopping))
      }),
    progress: (inFlight) => {
      if (stopping && !finished) notifier.send(status(statusText.stoppingIn(inFlight)))
    },
    finish: (timeoutMs, done) => {
      if (pinger !== undefined) clearInterval(pinger)
      if (!finished) notifier.send(status(statusText.stopped))
      finished = true
      notifier.drain(timeoutMs, done)
    }
  }
}
