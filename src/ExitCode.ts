/**
 * Process exit codes used by `NodeHost.runMain` (documented in the README).
 *
 * @since 0.1.0
 */
import { exitCodes } from "./internal/exitCode.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const ExitCode: {
  /** The host stopped gracefully (stopApplication, a first signal, or the program ended). */
  readonly Success: 0
  /** A service failed: in a start phase, a background service under StopHost, or a stop hook. */
  readonly ServiceFailure: 1
  /** The configuration was invalid; no hosted service was started (sysexits' EX_CONFIG). */
  readonly InvalidConfiguration: 78
  /** The stop hit `shutdownTimeout`; the remaining stop work was abandoned (as `timeout(1)`). */
  readonly ShutdownTimeout: 124
  /** A second signal forced the exit: 128 + the signal's number (130 SIGINT, 143 SIGTERM, 131 SIGQUIT). */
  readonly signalBase: 128
} = exitCodes

/**
 * A code `NodeHost.runMain` ends the process with of its own: 0, 1, 78, 124, or 128 + the number
 * of SIGINT, SIGQUIT or SIGTERM (`signalBase` itself is not one). A `process.exitCode` the
 * program set is kept on a graceful stop, and may be any number.
 *
 * @since 0.1.0
 * @category models
 */
export type ExitCode =
  | Exclude<(typeof ExitCode)[keyof typeof ExitCode], (typeof ExitCode)["signalBase"]>
  | 130
  | 131
  | 143
