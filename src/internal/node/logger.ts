/**
 * The runner's console logger: Effect's pretty logger, with warnings and errors on stderr so
 * that a supervisor (systemd, Docker, Kubernetes) and a test can tell them apart from status
 * output. It replaces `Logger.defaultLogger` only, exactly as `@effect/platform`'s runner
 * replaces it with its pretty logger, so loggers a program adds itself stay untouched.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as HostLogger from "../config/logger.js"
import { neverThrows } from "../safeLogger.js"

const toStdout = Logger.prettyLogger()
const toStderr = Logger.prettyLogger({ stderr: true })

/**
 * Info and below on stdout, Warning and above on stderr. A stand-in for the default logger: a
 * host replaces it with its configured logger (JSON in production) like the default one.
 */
export const consoleLogger: Logger.Logger<unknown, void> = HostLogger.standIn(neverThrows(Logger.make((options) =>
  LogLevel.greaterThanEqual(options.logLevel, LogLevel.Warning) ? toStderr.log(options) : toStdout.log(options)
)))

const swapDefault = (replacement: Logger.Logger<unknown, void>) => (loggers: HashSet.HashSet<Logger.Logger<unknown, unknown>>) =>
  HashSet.has(loggers, Logger.defaultLogger)
    ? loggers.pipe(HashSet.remove(Logger.defaultLogger), HashSet.add(replacement))
    : loggers

/**
 * Runs `effect` with the runner's console logger (or `replacement`, a stand-in built on it: the
 * journal's priorities) in place of the default logger.
 */
export const withConsoleLogger = (replacement: Logger.Logger<unknown, void> = consoleLogger) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locallyWith(effect, FiberRef.currentLoggers, swapDefault(replacement))
