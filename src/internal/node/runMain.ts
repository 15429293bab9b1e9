/**
 * The Node process runner behind `NodeHost.runMain`, built on `@effect/platform`'s `makeRunMain`
 * (which forks the program and hands us its fiber and a teardown).
 *
 * What it adds for a supervised service, as .NET's ConsoleLifetime does for its host:
 *   - SIGINT, SIGTERM and SIGQUIT interrupt the program (a graceful stop); a second signal exits
 *     at once with 128 + n (a copy of the first relayed by tsx's CLI or npm is not a second
 *     signal: `relayedSignals.ts`);
 *   - a wall-clock guard: a real Node timer armed at the first signal or when a host begins
 *     stopping, that exits with 124 at `shutdownTimeout` + a margin, because a finalizer that
 *     never returns cannot be ended by fiber interruption alone;
 *   - exit codes from the hosts' results, read from their handles (after a signal the fiber's
 *     exit is only "interrupted");
 *   - a watchdog thread armed with the guard (`watchdog.ts`), for the stop that blocks the event
 *     loop and with it the timer: it ends the process at the guard's deadline (+0.1 s) with 124,
 *     naming what is still stopping;
 *   - under systemd: sd_notify messages when `NOTIFY_SOCKET` is set (`systemd.ts`), syslog
 *     priorities on journal streams (`journal.ts`);
 *   - status messages, start-up warnings, and failures logged once with their cause.
 *
 * Control flows one way: the runner watches the hosts the program builds (`watch.ts`) and
 * interrupts the program; the hosts never call the runner. While a stop runs, the runner reads
 * the hosts' hooks in flight every `progressIntervalMs` (for the watchdog thread and systemd's
 * STATUS=); nothing is read per hook, and nothing at all before a stop.
 *
 * @internal
 */
import { makeRunMain } from "@effect/platform/Runtime"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import { constVoid, identity } from "effect/Function"
import * as HashSet from "effect/HashSet"
import type * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as os from "node:os"
import type { Options as LaunchOptions } from "../../Host.js"
import type { HostError } from "../../HostError.js"
import type { RunMainOptions } from "../../NodeHost.js"
import { exitCodes } from "../exitCode.js"
import { fallbackLogger } from "../config/fallback.js"
import * as HostLogger from "../config/logger.js"
import { defaults as hostDefaults } from "../config/hostOptions.js"
import { currentOptionsWatch, currentWatch, type WatchedHost } from "../watch.js"
import { consoleLogger, withConsoleLogger } from "./logger.js"
import { settle } from "./outcome.js"
import { duplicateWindow, type FirstSignal, isRelayedCopy, loopWatch, relayingParent } from "./relayedSignals.js"
import type { InFlight } from "../engine.js"
import { standIn } from "../config/logger.js"
import type * as Journal from "./journal.js"
import * as StatusMessages from "./statusMessages.js"
import type * as Systemd from "./systemd.js"
import * as Watchdog from "./watchdog.js"
import { processWarnings } from "./warnings.js"

/** The signals that start a graceful stop (and, the second time, force the exit). */
export const signals = ["SIGINT", "SIGTERM", "SIGQUIT"] as const
export type Signal = (typeof signals)[number]

/** The log category (annotation `category`) of the runner's own lines. */
export const category = "effect-host.NodeHost"

/**
 * Time the guard grants after `shutdownTimeout`: the host itself completes at its deadline plus
 * the finalization grace (0.5 s); the rest is for finalizers outside the host (layers provided
 * around `Host.launch`) and the exit itself.
 */
export const defaultGuardMargin: Duration.Duration = Duration.seconds(1)

/** Node fires a timer with a longer delay after 1 ms. */
const maxTimerDelay = 2 ** 31 - 1

/**
 * The watchdog thread acts this long after the timer guard's deadline, so that when the event
 * loop is free the guard exits first, with its line in the host's log format.
 */
export const watchdogLagMs = 100

/** How long after a host's `started` the watchdog thread starts idle (after the app's own start-up work). */
export const standbyDelayMs = 25

/** How often a running stop's hooks in flight are read (for the watchdog thread and STATUS=). */
export const progressIntervalMs = 100

/**
 * How long a normal exit waits, at most, for the last sd_notify messages ("STATUS=Stopped"). Each
 * message is a `systemd-notify` process (tens of milliseconds; hundreds on a loaded machine) and
 * the exit comes as soon as the queue is empty, so the bound only matters when sending is slow.
 * At the exit there are at most two commands to wait for (the one in flight, then the queued
 * messages in one datagram): 3 s leaves each of them 1.5 s, which a loaded two-core machine
 * needed (1 s was exceeded there, and "STATUS=Stopped" was lost). The shutdown guard still
 * bounds it: when it fires first, the process exits with the program's code.
 */
export const notifyDrainMs = 3000

const names = (inFlight: ReadonlyArray<InFlight>): string =>
  inFlight.map(({ phase, service }) => `${service} (${phase})`).join(", ")

const describe = (inFlight: ReadonlyArray<InFlight>): string =>
  inFlight.length > 0
    ? `still stopping: ${names(inFlight)}`
    : "no hosted service is in a hook (a finalizer outside the host has not returned)"

/** What the watchdog thread reports when the main thread no longer answers (it may be stale). */
const lastSeen = (inFlight: ReadonlyArray<InFlight>): string =>
  inFlight.length > 0 ? `last seen in a hook: ${names(inFlight)}` : "no hosted service was seen in a hook"

/** Node's `--unhandled-rejections` mode, from the command line or NODE_OPTIONS (the last one given wins). */
export const rejectionsMode = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): string => {
  let mode = "throw"
  for (const arg of [...(nodeOptions ?? "").split(/\s+/), ...execArgv]) {
    const match = /^--unhandled-rejections=(.+)$/.exec(arg)
    if (match?.[1] !== undefined) mode = match[1]
  }
  return mode
}

/**
 * The `process.exitCode` the program set (an integer, or its text), for a graceful end: the
 * program's own word on its outcome is kept, as plain `NodeRuntime.runMain` and .NET's
 * `Environment.ExitCode` keep it. 0 when unset or not an integer.
 */
const programExitCode = (): number => {
  const set: unknown = process.exitCode
  const code = typeof set === "number" ? set : typeof set === "string" && /^\d+$/.test(set) ? Number(set) : 0
  return Number.isInteger(code) ? code : 0
}

export const run = <A, E>(effect: Effect.Effect<A, E>, options: RunMainOptions = {}): void => {
  const hosts: Array<WatchedHost> = []
  const arrivals = Effect.runSync(Queue.unbounded<WatchedHost>())
  /** The options of the hosts about to read their configuration (the first decides the fallback). */
  const configuring = Effect.runSync(Queue.unbounded<LaunchOptions>())
  let firstOptions: LaunchOptions | undefined
  const guardMargin = options.guardMargin === undefined ? defaultGuardMargin : Duration.decode(options.guardMargin)
  // Under systemd only: with NOTIFY_SOCKET and JOURNAL_STREAM unset, checking them is all that
  // systemd costs; the modules are loaded (asynchronously, before the program starts) when set.
  const systemdWanted = options.disableSystemd !== true && (process.env["NOTIFY_SOCKET"] ?? "") !== ""
  const journalWanted = options.disableSystemd !== true && options.disablePrettyLogger !== true &&
    (process.env["JOURNAL_STREAM"] ?? "") !== ""
  let systemd: Systemd.Integration | undefined
  /** Adds the journal's priorities to a stand-in logger, once `journal.ts` found a journal stream. */
  let toJournal: ((logger: Logger.Logger<unknown, void>) => Logger.Logger<unknown, void>) | undefined
  /** The journal streams, for the one line written without a logger (the watchdog thread's). */
  let journal: { readonly streams: Journal.Streams; readonly errorPrefix: string } | undefined

  // Log lines written from outside the program (signal handlers, the guard, the final report):
  // with the first host's logger when there is a host, so they have its format and destination;
  // before any host exists (its configuration files were broken, say) with the logger the host
  // would have had, decided from what can be known without the files (JSON in Production) and
  // from the options that host was given in code (an environment name set there, say).
  const fallback = () => {
    firstOptions ??= Option.getOrUndefined(Effect.runSync(Queue.poll(configuring)))
    const logger = fallbackLogger({ options: firstOptions })
    return toJournal?.(logger) ?? logger
  }
  const withoutHost = options.disablePrettyLogger === true
    ? identity
    : <A, E>(effect: Effect.Effect<A, E>) => Effect.locally(effect, FiberRef.currentLoggers, HashSet.make(fallback()))
  const logNow = (log: Effect.Effect<void>) => {
    const annotated = Effect.annotateLogs(log, "category", category)
    const host = hosts[0]
    Effect.runSync(host === undefined ? withoutHost(annotated) : host.withHost(annotated))
  }

  const inFlight = () => hosts.flatMap((host) => host.inFlight())
  const stillStopping = (): string => describe(inFlight())

  const loadSystemd = Effect.tryPromise(() => import("./systemd.js")).pipe(
    Effect.map((S: typeof Systemd) => {
      // The notify variables leave the environment, as with sd_notify(unset_environment=1):
      // the program's children do not inherit them.
      const settings = S.take(process.env, process.pid)
      if (settings === undefined) return
      const notifier = S.notifier(S.commandTransport(settings.socket), (problem) =>
        logNow(Effect.logWarning(
          `NOTIFY_SOCKET is set, but ${problem}: systemd may not get READY=1, STOPPING=1, STATUS= or WATCHDOG=1 ` +
            "(a unit with Type=notify needs systemd-notify on PATH, and NotifyAccess=all for a service not running as root); " +
            "this is logged once"
        )))
      systemd = S.make(settings, notifier, () => hosts)
    }),
    Effect.catchAllCause((cause) => Effect.logWarning("NOTIFY_SOCKET is set, but the systemd integration could not be loaded", cause))
  )
  const loadJournal = Effect.tryPromise(() => import("./journal.js")).pipe(
    Effect.map((J: typeof Journal) => {
      const streams = J.detect(process.env["JOURNAL_STREAM"])
      if (streams !== undefined) {
        toJournal = (logger) => standIn(J.withPriorities(logger, streams))
        journal = { streams, errorPrefix: J.priority(LogLevel.Error) }
      }
    }),
    Effect.catchAllCause((cause) => Effect.logWarning("JOURNAL_STREAM is set, but the journal logger could not be loaded", cause))
  )
  const setUp = Effect.zipRight(journalWanted ? loadJournal : Effect.void, systemdWanted ? loadSystemd : Effect.void)
  const withLogger = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    options.disablePrettyLogger === true
      ? effect
      : Effect.suspend(() => withConsoleLogger(toJournal?.(consoleLogger) ?? consoleLogger)(effect))

  // A reader that goes away (`node app | head -1`, a log shipper restarted, Ctrl+C on
  // `node app | pino-pretty`) closes the pipe, and Node raises the next write's EPIPE as an
  // uncaught exception: the process died in the middle of its stop. The lines meant for that
  // stream are dropped instead (a closed pipe takes nothing), it is said once, and the stop goes
  // on (as .NET's console logger carries on).
  for (const [stream, name] of [[process.stdout, "stdout"], [process.stderr, "stderr"]] as const) {
    let said = false
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (said) return
      said = true
      logNow(Effect.logWarning(`${name} can no longer be written (${error.code ?? error.message}): log lines for it are dropped`))
    })
  }

  const warnings = options.suppressProcessWarnings === true
    ? Effect.void
    : Effect.forEach(processWarnings(process), (warning) => Effect.logWarning(warning), { discard: true }).pipe(
      Effect.annotateLogs("category", category)
    )

  const program = Effect.zipRight(
    withLogger(setUp),
    withLogger(warnings.pipe(
      Effect.zipRight(effect),
      Effect.locally(currentWatch, Option.some<Queue.Enqueue<WatchedHost>>(arrivals)),
      Effect.locally(currentOptionsWatch, Option.some<Queue.Enqueue<LaunchOptions>>(configuring)),
      // The hosts' own loggers get the journal's priorities too.
      (program) => Effect.suspend(() => toJournal === undefined ? program : Effect.locally(program, HostLogger.currentDecorator, toJournal))
    ))
  )

  makeRunMain(({ fiber }) => {
    let firstSignal: FirstSignal<Signal> | undefined
    let exiting = false
    let guard: ReturnType<typeof setTimeout> | undefined
    let progress: ReturnType<typeof setInterval> | undefined
    let watchdog: Watchdog.Watchdog | undefined
    let standby: Watchdog.Standby | undefined
    let standbyAsked = false
    /** The exit code once the program has ended (the last sd_notify messages may still be going out). */
    let settled: number | undefined
    const keepAlive = setInterval(constVoid, 2 ** 31 - 1)

    const exitProcess = (code: number): void => {
      if (exiting) return
      exiting = true
      clearInterval(keepAlive)
      if (guard !== undefined) clearTimeout(guard)
      if (progress !== undefined) clearInterval(progress)
      // The signal handlers stay installed until the process is gone: removing them would give
      // a signal that arrives during the exit its default action (SIGQUIT: a core dump, 131).
      process.exit(code)
    }

    const armGuard = () => {
      if (guard !== undefined || exiting) return
      const timeout = hosts.reduce<Duration.Duration>(
        (max, host) => Duration.max(max, host.options.shutdownTimeout),
        hosts.length === 0 ? hostDefaults.shutdownTimeout : Duration.zero
      )
      const delay = Math.min(Duration.toMillis(Duration.sum(timeout, guardMargin)), maxTimerDelay)
      const exceeded = `Shutdown did not finish within ${Duration.format(timeout)} (+${Duration.format(guardMargin)} margin); `
      guard = setTimeout(() => {
        if (settled !== undefined) return exitProcess(settled)
        logNow(Effect.logError(`${exceeded}${stillStopping()}; exiting with code ${exitCodes.ShutdownTimeout}`))
        exitProcess(exitCodes.ShutdownTimeout)
      }, delay)
      // The guard bounds the stop; it must never be what keeps the process alive.
      guard.unref()
      if (options.disableWatchdogThread !== true) armWatchdog(Date.now() + delay + watchdogLagMs, exceeded)
      watchProgress()
    }

    const watchdogFailed = (reason: string) =>
      logNow(Effect.logWarning(`The shutdown watchdog thread failed (${reason}); a stop that blocks the event loop is not bounded`))

    // A timer cannot fire while the event loop is blocked; a thread can (watchdog.ts).
    const armWatchdog = (deadline: number, exceeded: string) => {
      // The first host's logger decides, as for the runner's other lines (`logNow`).
      const host = hosts[0]?.loggerOutput()
      const fd = host?.output === "stdout" ? 1 : 2
      const journalNow = journal
      const prefix = journalNow !== undefined && (fd === 1 ? journalNow.streams.stdout : journalNow.streams.stderr) ? journalNow.errorPrefix : ""
      const armed = Watchdog.arm({
        deadline,
        line: {
          format: host === undefined || host.format === "pretty" ? "text" : host.format,
          fd,
          prefix
        },
        exitCode: exitCodes.ShutdownTimeout,
        category,
        before: exceeded,
        describe: stillStopping,
        seen: lastSeen(inFlight()),
        onError: watchdogFailed
      }, standby)
      if (armed._tag === "Armed") watchdog = armed.watchdog
      else {
        logNow(Effect.logWarning(
          `The shutdown watchdog thread could not start (${armed.reason}): a stop that blocks the event loop is not bounded ` +
            "by this process; the supervisor's stop timeout still is"
        ))
      }
    }

    // Once a host has started, the thread starts idle, a moment after the app's own start-up
    // work, so that arming it at the stop is a message: starting it then would add a few
    // milliseconds to every SIGTERM → exit. A stop that comes first starts it with its deadline.
    const prepareWatchdog = () => {
      if (standbyAsked || options.disableWatchdogThread === true) return
      standbyAsked = true
      setTimeout(() => {
        if (guard !== undefined || exiting) return
        standby = Watchdog.standby(category, watchdogFailed)
      }, standbyDelayMs).unref()
    }

    // While a stop runs: what is in flight, for the watchdog thread (named in its last line when
    // the main thread no longer answers) and for systemd's STATUS=; only when it changed.
    const watchProgress = () => {
      if (watchdog === undefined && systemd === undefined) return
      let last: string | undefined
      const look = () => {
        const now = inFlight()
        const key = names(now)
        if (key === last) return
        last = key
        watchdog?.update(lastSeen(now))
        systemd?.progress(now)
      }
      look()
      progress = setInterval(look, progressIntervalMs)
      progress.unref()
    }

    // Watches each host the program builds: any stop (signal, stopApplication, a failed
    // background service) arms the guard; the lifetime events print the status messages.
    const watchHost = (host: WatchedHost) =>
      Effect.gen(function*() {
        hosts.push(host)
        yield* Effect.forkDaemon(Effect.zipRight(host.stopRequested, Effect.sync(armGuard)))
        yield* Effect.forkDaemon(Effect.zipRight(host.lifetime.started, Effect.sync(prepareWatchdog)))
        yield* Effect.forkDaemon(StatusMessages.watch(host, options.suppressStatusMessages))
        if (systemd !== undefined) yield* Effect.forkDaemon(systemd.watch(host))
      })
    Effect.runFork(Effect.forever(Effect.flatMap(Queue.take(arrivals), watchHost)))

    const relayer = relayingParent(process)
    const windowMs = relayer === undefined ? 0 : Duration.toMillis(duplicateWindow)
    let loop: { readonly lastFreeTurn: () => number } | undefined

    const onSignal = (signal: Signal) => {
      if (exiting) return
      // The outcome is known, only the last sd_notify messages are going out: a signal ends that wait.
      if (settled !== undefined) return exitProcess(settled)
      const now = performance.now()
      if (firstSignal === undefined) {
        firstSignal = { signal, at: now }
        loop = loopWatch(now, windowMs)
        armGuard()
        // Asked first: the line is below most hosts' level, and building it on the way to the
        // stop cost about 0.3 ms of a SIGTERM → exit (the host's logger set-up, on cold code).
        if (hosts[0]?.logs(LogLevel.Debug) ?? true) logNow(Effect.logDebug(`Received ${signal}; stopping (send it again to exit at once)`))
        fiber.unsafeInterruptAsFork(fiber.id())
        return
      }
      const earliestArrival = Math.min(now, Math.max(loop?.lastFreeTurn() ?? now, firstSignal.at))
      if (isRelayedCopy(firstSignal, signal, earliestArrival, windowMs)) {
        logNow(Effect.logDebug(
          `Received ${signal} again ${Math.round(now - firstSignal.at)} ms after the first: the same keypress, ` +
            `delivered again by ${relayer}; not a second signal`
        ))
        return
      }
      const code = exitCodes.signalBase + os.constants.signals[signal]
      logNow(Effect.logError(`Received ${signal} while stopping; ${stillStopping()}; exiting now with code ${code}`))
      exitProcess(code)
    }
    for (const signal of signals) process.on(signal, () => onSignal(signal))

    // An exception thrown, or a promise rejected, outside every fiber (a plain timer's callback,
    // an EventEmitter's "error" nobody listens to) would end the process at once, with no stop
    // and a plain-text stack outside the host's log format. It is logged with its cause and
    // stops the program as a signal does: every started service is stopped, within the same
    // bound, and the exit is 1 (or the stop's own code when that is worse). Later ones are
    // logged too; the stop under way goes on.
    let faulted = false
    const onFault = (what: string) => (error: unknown) => {
      logNow(Effect.logFatal(`${what} outside the program's fibers; ${faulted || firstSignal !== undefined ? "still stopping" : "stopping"}`, Cause.die(error)))
      if (faulted || exiting || settled !== undefined) return
      faulted = true
      if (firstSignal !== undefined) return
      armGuard()
      fiber.unsafeInterruptAsFork(fiber.id())
    }
    process.on("uncaughtException", onFault("Uncaught exception"))
    // Only in Node's default mode (`throw`: a rejection nobody handles ends the process); a mode
    // chosen with --unhandled-rejections (warn, none, strict, ...) keeps its meaning.
    if (rejectionsMode(process.execArgv, process.env["NODE_OPTIONS"]) === "throw") {
      process.on("unhandledRejection", onFault("Unhandled promise rejection"))
    }

    fiber.addObserver((exit: Exit.Exit<unknown, unknown>) => {
      // Hosts not yet taken by the watcher (a host that finished in the same tick) count too.
      // The watcher itself is left waiting for the next one: it keeps nothing alive, and
      // interrupting it (a fiber, on code that has not run yet) only delayed the exit.
      hosts.push(...Effect.runSync(Queue.takeAll(arrivals)))
      const results: Array<HostError> = hosts.flatMap((host) => Option.toArray(Option.flatten(host.poll())))
      const settlement = settle(exit, results)
      const reports = settlement.reports
      const code = faulted ? Math.max(settlement.code, exitCodes.ServiceFailure) : settlement.code || programExitCode()
      if (options.disableErrorReporting !== true) {
        for (const report of reports) {
          logNow(report.cause === undefined ? Effect.logError(report.message) : Effect.logError(report.message, report.cause))
        }
      }
      if (systemd === undefined) return exitProcess(code)
      settled = code
      watchdog?.disarm()
      systemd.finish(notifyDrainMs, () => exitProcess(code))
    })
  })(program, { disableErrorReporting: true, disablePrettyLogger: true })
}
