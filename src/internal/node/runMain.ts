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
 *   - status messages, start-up warnings, and failures logged once with their cause.
 *
 * Control flows one way: the runner watches the hosts the program builds (`watch.ts`) and
 * interrupts the program; the hosts never call the runner.
 *
 * Limits: the guard is a timer on the event loop, so a synchronous busy loop (a finalizer that
 * never yields to the event loop) blocks it too.
 *
 * @internal
 */
import { makeRunMain } from "@effect/platform/Runtime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { constVoid, identity } from "effect/Function"
import * as HashSet from "effect/HashSet"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as os from "node:os"
import type { HostError } from "../../HostError.js"
import type { RunMainOptions } from "../../NodeHost.js"
import { exitCodes } from "../exitCode.js"
import { fallbackLogger } from "../config/fallback.js"
import { defaults as hostDefaults } from "../config/hostOptions.js"
import { currentWatch, type WatchedHost } from "../watch.js"
import { withConsoleLogger } from "./logger.js"
import { settle } from "./outcome.js"
import { duplicateWindow, type FirstSignal, isRelayedCopy, loopWatch, relayingParent } from "./relayedSignals.js"
import * as StatusMessages from "./statusMessages.js"
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

export const run = <A, E>(effect: Effect.Effect<A, E>, options: RunMainOptions = {}): void => {
  const hosts: Array<WatchedHost> = []
  const arrivals = Effect.runSync(Queue.unbounded<WatchedHost>())
  const guardMargin = options.guardMargin === undefined ? defaultGuardMargin : Duration.decode(options.guardMargin)
  const withLogger = options.disablePrettyLogger === true ? identity : withConsoleLogger

  // Log lines written from outside the program (signal handlers, the guard, the final report):
  // with the first host's logger when there is a host, so they have its format and destination;
  // before any host exists (its configuration files were broken, say) with the logger the host
  // would have had, decided from what can be known without the files (JSON in Production).
  const withoutHost = options.disablePrettyLogger === true
    ? identity
    : <A, E>(effect: Effect.Effect<A, E>) => Effect.locally(effect, FiberRef.currentLoggers, HashSet.make(fallbackLogger()))
  const logNow = (log: Effect.Effect<void>) => {
    const annotated = Effect.annotateLogs(log, "category", category)
    const host = hosts[0]
    Effect.runSync(host === undefined ? withoutHost(annotated) : host.withHost(annotated))
  }

  const stillStopping = (): string => {
    const busy = hosts.flatMap((host) => host.inFlight()).map(({ phase, service }) => `${service} (${phase})`)
    return busy.length > 0
      ? `still stopping: ${busy.join(", ")}`
      : "no hosted service is in a hook (a finalizer outside the host has not returned)"
  }

  const warnings = options.suppressProcessWarnings === true
    ? Effect.void
    : Effect.forEach(processWarnings(process), (warning) => Effect.logWarning(warning), { discard: true }).pipe(
      Effect.annotateLogs("category", category)
    )

  const program = warnings.pipe(
    Effect.zipRight(effect),
    Effect.locally(currentWatch, Option.some<Queue.Enqueue<WatchedHost>>(arrivals)),
    withLogger
  )

  makeRunMain(({ fiber }) => {
    let firstSignal: FirstSignal<Signal> | undefined
    let exiting = false
    let guard: ReturnType<typeof setTimeout> | undefined
    const keepAlive = setInterval(constVoid, 2 ** 31 - 1)

    const exitProcess = (code: number): void => {
      if (exiting) return
      exiting = true
      clearInterval(keepAlive)
      if (guard !== undefined) clearTimeout(guard)
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
      guard = setTimeout(() => {
        logNow(Effect.logError(
          `Shutdown did not finish within ${Duration.format(timeout)} (+${Duration.format(guardMargin)} margin); ` +
            `${stillStopping()}; exiting with code ${exitCodes.ShutdownTimeout}`
        ))
        exitProcess(exitCodes.ShutdownTimeout)
      }, Math.min(Duration.toMillis(Duration.sum(timeout, guardMargin)), maxTimerDelay))
      // The guard bounds the stop; it must never be what keeps the process alive.
      guard.unref()
    }

    // Watches each host the program builds: any stop (signal, stopApplication, a failed
    // background service) arms the guard; the lifetime events print the status messages.
    const watchHost = (host: WatchedHost) =>
      Effect.gen(function*() {
        hosts.push(host)
        yield* Effect.forkDaemon(Effect.zipRight(host.stopRequested, Effect.sync(armGuard)))
        yield* Effect.forkDaemon(StatusMessages.watch(host, options.suppressStatusMessages))
      })
    const watcher = Effect.runFork(Effect.forever(Effect.flatMap(Queue.take(arrivals), watchHost)))

    const relayer = relayingParent(process)
    const windowMs = relayer === undefined ? 0 : Duration.toMillis(duplicateWindow)
    let loop: { readonly lastFreeTurn: () => number } | undefined

    const onSignal = (signal: Signal) => {
      if (exiting) return
      const now = performance.now()
      if (firstSignal === undefined) {
        firstSignal = { signal, at: now }
        loop = loopWatch(now, windowMs)
        armGuard()
        logNow(Effect.logDebug(`Received ${signal}; stopping (send it again to exit at once)`))
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

    fiber.addObserver((exit: Exit.Exit<unknown, unknown>) => {
      Effect.runFork(Fiber.interrupt(watcher))
      // Hosts not yet taken by the watcher (a host that finished in the same tick) count too.
      hosts.push(...Effect.runSync(Queue.takeAll(arrivals)))
      const results: Array<HostError> = hosts.flatMap((host) => Option.toArray(Option.flatten(host.poll())))
      const { code, reports } = settle(exit, results)
      if (options.disableErrorReporting !== true) {
        for (const report of reports) {
          logNow(report.cause === undefined ? Effect.logError(report.message) : Effect.logError(report.message, report.cause))
        }
      }
      exitProcess(code)
    })
  })(program, { disableErrorReporting: true, disablePrettyLogger: true })
}
