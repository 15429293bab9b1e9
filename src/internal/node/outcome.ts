/**
 * From the main fiber's exit (and what the hosts reported) to an exit code and the lines to log.
 *
 * Every cause is logged once: the host has already logged each failing hook with its cause, so a
 * `HostError` gets one summary line here; anything else (a failure outside the host, a defect, a
 * finalizer that failed while the program was interrupted) is logged with its full cause.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Equal from "effect/Equal"
import * as ConfigError from "effect/ConfigError"
import * as Exit from "effect/Exit"
import { exitCodes as ExitCode } from "../exitCode.js"
import type { HostError } from "../../HostError.js"
import { hitShutdownDeadline, isHostError } from "../hostError.js"

/** One line for the log, with the cause to render under it when there is one. */
export interface Report {
  readonly message: string
  readonly cause?: Cause.Cause<unknown> | undefined
}

export interface Settlement {
  readonly code: number
  readonly reports: ReadonlyArray<Report>
}

/** Effect's `ConfigError`, or the configuration helper's tagged `ConfigurationError`. */
export const isConfigurationError = (u: unknown): boolean =>
  ConfigError.isConfigError(u) ||
  (typeof u === "object" && u !== null && "_tag" in u && u._tag === "ConfigurationError")

/** A cause made only of configuration errors (a start hook that read an invalid setting). */
const isConfigurationCause = (cause: Cause.Cause<unknown>): boolean => {
  const failures = [...Cause.failures(cause)]
  return failures.length > 0 && failures.every(isConfigurationError) && Cause.defects(cause).length === 0
}

/** The exit code for a host's final error. */
export const hostErrorCode = (error: HostError): number => {
  if (hitShutdownDeadline(error)) return ExitCode.ShutdownTimeout
  if (error._tag === "HostStartError" && error.failures.every((f) => isConfigurationCause(f.cause))) {
    return ExitCode.InvalidConfiguration
  }
  return ExitCode.ServiceFailure
}

// When several codes apply, the one an operator must act on first wins.
const severity: ReadonlyArray<number> = [ExitCode.ShutdownTimeout, ExitCode.InvalidConfiguration, ExitCode.ServiceFailure]
const mostSevere = (codes: ReadonlyArray<number>): number =>
  severity.find((code) => codes.includes(code)) ?? ExitCode.Success

const firstLine = (text: string) => text.split("\n", 1)[0] ?? text

/**
 * One line naming what failed. The rest of the error's message (each failure's cause) was logged
 * by the host when it happened, and the line says so; an error whose message is that one line
 * (a startup deadline with a clean rollback) has nothing more to point at.
 */
export const summary = (error: HostError, code: number): string => {
  const message = error.message
  const head = firstLine(message)
  return `Host finished with ${error._tag}: ${head} (exit code ${code}${head === message ? "" : "; details logged above"})`
}

/**
 * Decides the exit code and what to log. `observed` are the errors the hosts reported through
 * the observer: after a signal the fiber's exit is only "interrupted", and the host's outcome
 * (a stop that hit its deadline or failed) is known only from there.
 */
export const settle = (exit: Exit.Exit<unknown, unknown>, observed: ReadonlyArray<HostError>): Settlement => {
  // The program handled (or ignored) whatever went wrong: its success is the process's success.
  if (Exit.isSuccess(exit)) return { code: ExitCode.Success, reports: [] }
  const cause = exit.cause
  const failures = [...Cause.failures(cause)]
  // A host's error may also arrive as a defect: `Host.make`'s release dies with it, and so does
  // `Host.launch` interrupted under a runner that does not watch hosts.
  const allDefects = [...Cause.defects(cause)]
  const defects = allDefects.filter((defect) => !isHostError(defect))
  // The same error may arrive several ways; errors are data, so they are compared by value.
  const hostErrors: Array<HostError> = []
  for (const error of [...failures.filter(isHostError), ...allDefects.filter(isHostError), ...observed]) {
    if (!hostErrors.some((known) => Equal.equals(known, error))) hostErrors.push(error)
  }
  const others = failures.filter((failure) => !isHostError(failure))

  const otherCodes = others.map((e) => isConfigurationError(e) ? ExitCode.InvalidConfiguration : ExitCode.ServiceFailure)
  const code = mostSevere([
    ...hostErrors.map(hostErrorCode),
    ...otherCodes,
    ...(defects.length > 0 ? [ExitCode.ServiceFailure] : [])
  ])

  const reports: Array<Report> = hostErrors.map((error) => ({ message: summary(error, code) }))
  if (others.length > 0 || defects.length > 0) {
    // Keep the original cause (spans, sequence) unless host errors must be left out of it.
    const rest = failures.some(isHostError) || defects.length < allDefects.length
      ? Cause.parallel(
        others.map((e) => Cause.fail(e)).reduce<Cause.Cause<unknown>>(Cause.parallel, Cause.empty),
        defects.map((d) => Cause.die(d)).reduce<Cause.Cause<unknown>>(Cause.parallel, Cause.empty)
      )
      : cause
    const what = others.length > 0 && others.every(isConfigurationError) && defects.length === 0
      ? "The configuration is invalid"
      : Cause.isInterrupted(cause)
      ? "A finalizer failed while the program was stopping"
      : "The program failed"
    reports.push({ message: `${what} (exit code ${code})`, cause: rest })
  }
  return { code, reports }
}
