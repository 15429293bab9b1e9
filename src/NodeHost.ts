/**
 * Runs an Effect program — typically `Host.launch(...)` — as a Node.js process that behaves well
 * under Kubernetes, systemd and Docker: signals start a graceful stop, the stop is always bounded,
 * and the exit code says what happened.
 *
 * - SIGINT, SIGTERM and SIGQUIT interrupt the program, so the host stops its services within
 *   `shutdownTimeout`. A second signal exits at once with 128 + the signal's number, after one
 *   log line naming the services still stopping.
 * - A wall-clock guard, armed at the first signal or when a host begins stopping, exits with
 *   `ExitCode.ShutdownTimeout` (124) at `shutdownTimeout` + 1 s even if a finalizer never yields
 *   (a synchronous busy loop blocks the event loop and therefore the guard too).
 * - Exit codes: see {@link ExitCode}.
 * - Status messages as .NET's ConsoleLifetime prints them; warnings for PID 1 without an init and
 *   for `npm start`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as internal from "./internal/node/runMain.js"
import * as StatusMessages from "./internal/node/statusMessages.js"

/**
 * The process exit codes `runMain` uses.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | graceful stop (first signal, `stopApplication`, or the program ended) |
 * | 1 | a service failed: start, background service, stop hook; or any other failure |
 * | 78 | invalid configuration (a `ConfigError`), nothing was started |
 * | 124 | the stop hit `shutdownTimeout` |
 * | 128 + n | forced by a second signal: 130 SIGINT, 131 SIGQUIT, 143 SIGTERM |
 *
 * @since 0.1.0
 * @category constants
 */
export { ExitCode } from "./ExitCode.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RunMainOptions {
  /**
   * Do not print the status messages ("Application started. Press Ctrl+C to shut down.", ...).
   * Without it, the configuration key `suppressStatusMessages` decides (default false).
   */
  readonly suppressStatusMessages?: boolean | undefined
  /** Do not warn about running as PID 1 without an init or under `npm start`. */
  readonly suppressProcessWarnings?: boolean | undefined
  /**
   * Keep the default logger. By default it is replaced, as `NodeRuntime.runMain` does, by Effect's
   * pretty logger, here with warnings and errors written to stderr.
   */
  readonly disablePrettyLogger?: boolean | undefined
  /** Do not log the failure the process exits with (the exit code is still set). */
  readonly disableErrorReporting?: boolean | undefined
  /**
   * How long after `shutdownTimeout` the wall-clock guard exits with `ExitCode.ShutdownTimeout`
   * (124) when the stop has not finished (a finalizer outside the host that never returns).
   * Default 1 second. The host itself completes by `shutdownTimeout` plus its 0.5 s finalization
   * grace, so keep it above that.
   */
  readonly guardMargin?: Duration.DurationInput | undefined
  /**
   * Do not start the shutdown watchdog thread when a stop begins. Without it, a stop that blocks
   * the event loop (`while (true) {}` in a stop hook or a finalizer) is bounded only by the
   * supervisor (systemd's `TimeoutStopSec=`, Kubernetes' `terminationGracePeriodSeconds`).
   */
  readonly disableWatchdogThread?: boolean | undefined
  /**
   * Ignore systemd: no sd_notify messages when `NOTIFY_SOCKET` is set (and the variables stay in
   * the environment), no syslog priority prefixes when `JOURNAL_STREAM` is set.
   */
  readonly disableSystemd?: boolean | undefined
}

/**
 * Configuration keys read by `runMain` (through Effect's `Config`, from the program's provider).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys: { readonly suppressStatusMessages: "suppressStatusMessages" } = {
  suppressStatusMessages: StatusMessages.configKey
}

/**
 * The signals that start a graceful stop; a second one forces the exit.
 *
 * @since 0.1.0
 * @category constants
 */
export const signals: ReadonlyArray<"SIGINT" | "SIGTERM" | "SIGQUIT"> = internal.signals

/**
 * Runs `effect` as the process's main program and exits with the code for its outcome.
 *
 * @since 0.1.0
 * @category running
 * @example
 * ```ts
 * import { Host, HostedService } from "effect-host"
 * import { NodeHost } from "effect-host/node"
 * import { Effect } from "effect"
 *
 * const Worker = HostedService.make("Worker", {
 *   start: Effect.log("worker up"),
 *   stop: Effect.log("worker down")
 * })
 *
 * Host.launch([Worker], { shutdownTimeout: "10 seconds" }).pipe(NodeHost.runMain)
 * // or: NodeHost.runMain(Host.launch([Worker]), { suppressStatusMessages: true })
 * ```
 */
export const runMain: {
  (options?: RunMainOptions): <A, E>(effect: Effect.Effect<A, E>) => void
  <A, E>(effect: Effect.Effect<A, E>, options?: RunMainOptions): void
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E>(effect: Effect.Effect<A, E>, options?: RunMainOptions): void => internal.run(effect, options)
)
