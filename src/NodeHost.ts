/**
 * Runs an Effect program — typically `Host.launch(...)` — as a Node.js process that behaves well
 * under Kubernetes, systemd and Docker: signals start a graceful stop, the stop is always bounded,
 * and the exit code says what happened.
 *
 * - SIGINT, SIGTERM and SIGQUIT interrupt the program, so the host stops its services within
 *   `shutdownTimeout`. A second signal exits at once with 128 + the signal's number, after one
 *   log line naming the services still stopping.
 * - A wall-clock guard, armed at the first signal or when a host begins stopping, exits with
 *   `ExitCode.ShutdownTimeout` (124) at `shutdownTimeout` + `guardMargin` (1 s) when a finalizer
 *   never returns, logging what is still stopping.
 * - A watchdog thread, idle from just after the start (so that arming it costs a stop nothing)
 *   and armed with the guard, ends the process at the same deadline (+0.1 s) when the stop blocks
 *   the event loop and with it the guard's timer (`while (true) {}` in a stop hook or a
 *   finalizer): exit 124, and a last line on stderr naming the services still in a hook, written
 *   directly (`<time> ERROR [effect-host.NodeHost] Shutdown did not finish within …; still
 *   stopping: Db (stop); the event loop is blocked: …`), not through the host's logger, which
 *   runs on the blocked loop. It never keeps the process alive and does not change a normal exit.
 * - Under systemd (see `examples/systemd/`): with `NOTIFY_SOCKET` set, sd_notify messages through
 *   the `systemd-notify` command: `READY=1` once `ApplicationLifetime.started` fired, `STOPPING=1`
 *   when the stop begins, `STATUS=` for the phases ("Starting", "Running", "Stopping: Db (stop)",
 *   "Stopped") and, with `WatchdogSec=`, `WATCHDOG=1` every `WATCHDOG_USEC / 2` from the event
 *   loop while the host runs (honouring `WATCHDOG_PID`). A service not running as root needs
 *   `NotifyAccess=all` (systemd sees the command's PID); without the command a warning is logged
 *   once. The three variables are removed from `process.env` once read. With `JOURNAL_STREAM`
 *   naming stdout or stderr, the lines of the runner's console logger (code outside a host, a
 *   host launched with `logger: false`) and of its fallback logger start with their syslog
 *   priority there (`<3>` error, `<4>` warning, `<6>` information, `<7>` debug); a host's own
 *   configured logger is not decorated yet. With neither variable set, none of this costs
 *   anything (the modules are not even loaded).
 * - Exit codes: see {@link ExitCode}.
 * - Status messages as .NET's ConsoleLifetime prints them; warnings for PID 1 without an init and
 *   for `npm start`.
 *
 * Limits of the bound when the event loop is blocked:
 * - The watchdog thread interrupts the main thread through the inspector (`node:inspector`), which
 *   runs JavaScript even inside a busy loop or `Atomics.wait`, and works under `--inspect` too. A
 *   main thread blocked in native code (a synchronous child process, a blocking read) takes no
 *   interrupt: 0.25 s later the thread exits the process from its own thread (WASI `proc_exit`,
 *   still 124), and its line names what the runner last saw in flight, which may miss a hook that
 *   blocked as soon as it began.
 * - Node built without the inspector: SIGKILL instead (the supervisor sees 137). `--jitless` has
 *   no WebAssembly, so a main thread blocked in native code gets SIGKILL too.
 * - Under the permission model (`--experimental-permission`) without `--allow-worker` no thread can
 *   start (a warning is logged when the stop begins); with it, the inspector and WASI are denied
 *   and the thread sends SIGKILL. Then, and with `disableWatchdogThread`, only the supervisor's
 *   stop timeout (`TimeoutStopSec=`, `terminationGracePeriodSeconds`) ends a blocked stop.
 * - The exit skips `process.on("exit")` listeners and closes stderr after the last line (so that
 *   Node's "Waiting for the debugger to disconnect..." cannot follow it).
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
   * Do not start the shutdown watchdog thread (idle after the start, armed when a stop begins). Without it, a stop that blocks
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
