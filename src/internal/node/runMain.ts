/**
 * The Node process runner behind `NodeHost.runMain`.
 *
 * It does what `@effect/platform-node`'s runner does (fork the program, keep the process alive,
 * interrupt on a signal) and adds what a supervised service needs:
 *   - SIGQUIT as a stop signal, and a second signal that exits at once with 128 + n;
 *   - a wall-clock guard: a real Node timer armed at the first signal (or when a host begins
 *     stopping) that exits with 124 at `shutdownTimeout` + a margin, because a finalizer that
 *     never returns cannot be interrupted by fiber interruption alone;
 *   - exit codes from the host's outcome, which it learns through the observer even when the
 *     main fiber only reports "interrupted";
 *   - status messages, start-up warnings, and failures logged once with their cause.
 *
 * Limits: the guard is a timer on the event loop, so a synchronous busy loop (a finalizer that
 * never yields to the event loop) blocks it too; only a watchdog in a worker thread (or the
 * supervisor's SIGKILL) can end such a process.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { constVoid, identity } from "effect/Function"
import type * as HashSet from "effect/HashSet"
import type * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as os from "node:os"
import { ExitCode } from "../../ExitCode.js"
import type { HostError } from "../../HostError.js"
import * as HostOptions from "../../HostOptions.js"
import { currentObserver, type HostHandle, type HostObserver } from "../observer.js"
import { withConsoleLogger } from "./logger.js"
import { settle } from "./outcome.js"
import * as StatusMessages from "./statusMessages.js"
import { processWarnings } from "./warnings.js"

/** The signals that start a graceful stop (and, the second time, force the exit). */
export const signals = ["SIGINT", "SIGTERM", "SIGQUIT"] as const
export type Signal = (typeof signals)[number]

/** The log category (annotation `category`) of the runner's own lines. */
export const category = "effect-host.NodeHost"

/**
 * Time the guard grants after `shutdownTimeout`: the host itself completes at its deadline, the
 * margin is for finalizers outside the host (layers provided around `Host.launch`).
 */
export const guardMargin: Duration.Duration = Duration.seconds(1)

export interface Options {
  readonly suppressStatusMessages?: boolean | undefined
  readonly suppressProcessWarnings?: boolean | undefined
  readonly disablePrettyLogger?: boolean | undefined
  readonly disableErrorReporting?: boolean | undefined
}

export const run = <A, E>(effect: Effect.Effect<A, E>, options: Options = {}): void => {
  const hosts: Array<HostHandle> = []
  const observed: Array<HostError> = []
  let firstSignal: Signal | undefined
  let guard: ReturnType<typeof setTimeout> | undefined

  const withLogger = options.disablePrettyLogger === true ? identity : withConsoleLogger
  // The loggers the (first) host logs with: the runner's own lines then have the same format
  // and destination as the host's (JSON in production), not the console logger's.
  let hostLoggers: HashSet.HashSet<Logger.Logger<unknown, unknown>> | undefined
  // Log lines written from outside the main fiber (signal handlers, the guard, the final report).
  const logNow = (log: Effect.Effect<void>) => {
    const annotated = Effect.annotateLogs(log, "category", category)
    Effect.runSync(
      hostLoggers === undefined ? withLogger(annotated) : Effect.locally(annotated, FiberRef.currentLoggers, hostLoggers)
    )
  }

  const stillStopping = (): string => {
    const busy = hosts.flatMap((host) => host.inFlight()).map(({ phase, service }) => `${service} (${phase})`)
    return busy.length > 0
      ? `still stopping: ${busy.join(", ")}`
      : "no hosted service is in a hook (a finalizer outside the host has not returned)"
  }

  const keepAlive = setInterval(constVoid, 2 ** 31 - 1)
  const handlers = signals.map((signal) => [signal, () => onSignal(signal)] as const)
  const exitProcess = (code: number): never => {
    clearInterval(keepAlive)
    if (guard !== undefined) clearTimeout(guard)
    for (const [signal, handler] of handlers) process.removeListener(signal, handler)
    return process.exit(code)
  }

  const armGuard = () => {
    if (guard !== undefined) return
    const timeout = hosts.reduce<Duration.Duration | undefined>(
      (max, host) => (max === undefined ? host.options.shutdownTimeout : Duration.max(max, host.options.shutdownTimeout)),
      undefined
    ) ?? HostOptions.defaults.shutdownTimeout
    guard = setTimeout(() => {
      logNow(Effect.logError(
        `Shutdown did not finish within ${Duration.format(timeout)} (+${Duration.format(guardMargin)} margin); ` +
          `${stillStopping()}; exiting with code ${ExitCode.ShutdownTimeout}`
      ))
      exitProcess(ExitCode.ShutdownTimeout)
    }, Duration.toMillis(Duration.sum(timeout, guardMargin)))
    // The guard bounds the stop; it must never be what keeps the process alive.
    guard.unref()
  }

  const observer: HostObserver = {
    onHost: (handle) => {
      hosts.push(handle)
      // Called synchronously by the host's fiber, after it installed its logger.
      hostLoggers ??= Option.getOrUndefined(
        Option.map(Fiber.getCurrentFiber(), (fiber) => fiber.getFiberRef(FiberRef.currentLoggers))
      )
      StatusMessages.install(handle, options.suppressStatusMessages)
      // Any stop (signal, stopApplication, a failed background service) is bounded.
      Effect.runSync(handle.lifetime.onStopping(Effect.sync(armGuard)))
    },
    onOutcome: (error) => {
      if (error !== undefined) observed.push(error)
    }
  }

  const warnings = options.suppressProcessWarnings === true
    ? Effect.void
    : Effect.forEach(processWarnings(process), (warning) => Effect.logWarning(warning), { discard: true }).pipe(
      Effect.annotateLogs("category", category)
    )

  const fiber = Effect.runFork(
    warnings.pipe(
      Effect.zipRight(effect),
      Effect.locally(currentObserver, Option.some(observer)),
      withLogger
    )
  )

  function onSignal(signal: Signal) {
    if (firstSignal === undefined) {
      firstSignal = signal
      armGuard()
      logNow(Effect.logDebug(`Received ${signal}; stopping (send it again to exit at once)`))
      fiber.unsafeInterruptAsFork(fiber.id())
      return
    }
    const code = ExitCode.signalBase + os.constants.signals[signal]
    logNow(Effect.logError(`Received ${signal} while stopping; ${stillStopping()}; exiting now with code ${code}`))
    exitProcess(code)
  }
  for (const [signal, handler] of handlers) process.on(signal, handler)

  fiber.addObserver((exit) => {
    const { code, reports } = settle(exit, observed)
    if (options.disableErrorReporting !== true) {
      for (const report of reports) {
        logNow(report.cause === undefined ? Effect.logError(report.message) : Effect.logError(report.message, report.cause))
      }
    }
    exitProcess(code)
  })
}
