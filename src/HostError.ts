/**
 * The typed errors a host can finish with. Every error names the services involved, the lifecycle
 * phase and the full `Cause`, so nothing is swallowed and a log line is enough to find the culprit.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"

/**
 * A lifecycle phase of a hosted service, in the order the host runs them.
 *
 * @since 0.1.0
 * @category models
 */
export type Phase = "starting" | "start" | "started" | "stopping" | "stop" | "stopped"

/**
 * The start phases, in order.
 *
 * @since 0.1.0
 * @category constants
 */
export const startPhases: ReadonlyArray<Phase> = ["starting", "start", "started"]

/**
 * The stop phases, in order.
 *
 * @since 0.1.0
 * @category constants
 */
export const stopPhases: ReadonlyArray<Phase> = ["stopping", "stop", "stopped"]

/**
 * One hook of one service that failed.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceFailure {
  readonly service: string
  readonly phase: Phase | "execute"
  readonly cause: Cause.Cause<unknown>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const serviceFailure = (service: string, phase: Phase | "execute", cause: Cause.Cause<unknown>): ServiceFailure => ({
  service,
  phase,
  cause
})

const describeFailures = (failures: ReadonlyArray<ServiceFailure>): string =>
  failures.map((f) => `${f.service} (${f.phase}): ${Cause.pretty(f.cause, { renderErrorCause: true })}`).join("\n")

const describeDeadline = (timeout: Duration.Duration, stuck: ReadonlyArray<string>, skipped: ReadonlyArray<string>) =>
  `deadline of ${Duration.format(timeout)} reached; still running: ${stuck.length > 0 ? stuck.join(", ") : "none"}` +
  (skipped.length > 0 ? `; never reached: ${skipped.join(", ")}` : "")

/**
 * What went wrong while stopping: hook failures and, when the shutdown budget ran out, which
 * services were still in a stop hook (`stuck`) and which never got to theirs (`skipped`).
 *
 * @since 0.1.0
 * @category models
 */
export interface StopReport {
  readonly failures: ReadonlyArray<ServiceFailure>
  readonly deadline: { readonly timeout: Duration.Duration; readonly stuck: ReadonlyArray<string>; readonly skipped: ReadonlyArray<string> } | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const emptyStopReport: StopReport = { failures: [], deadline: undefined }

const describeStop = (stop: StopReport): string =>
  [
    stop.failures.length > 0 ? `stop failures:\n${describeFailures(stop.failures)}` : "",
    stop.deadline ? `shutdown ${describeDeadline(stop.deadline.timeout, stop.deadline.stuck, stop.deadline.skipped)}` : ""
  ].filter((s) => s.length > 0).join("\n")

const withStop = (head: string, stop: StopReport) => {
  const tail = describeStop(stop)
  return tail.length > 0 ? `${head}\nwhile rolling back, ${tail}` : head
}

/**
 * One or more services failed to start. Every service whose start had completed was stopped
 * again (the rollback); what went wrong during that rollback is in `rollback`.
 *
 * @since 0.1.0
 * @category errors
 */
export class HostStartError extends Data.TaggedError("HostStartError")<{
  readonly failures: ReadonlyArray<ServiceFailure>
  readonly rollback: StopReport
}> {
  override get message() {
    return withStop(
      `${this.failures.length} hosted service(s) failed to start: ${this.failures.map((f) => `${f.service} (${f.phase})`).join(", ")}\n${describeFailures(this.failures)}`,
      this.rollback
    )
  }
}

/**
 * The start phases did not finish within `startupTimeout`; pending starts were interrupted and
 * what had started was rolled back.
 *
 * @since 0.1.0
 * @category errors
 */
export class StartupTimeoutError extends Data.TaggedError("StartupTimeoutError")<{
  readonly timeout: Duration.Duration
  readonly pending: ReadonlyArray<string>
  readonly rollback: StopReport
}> {
  override get message() {
    return withStop(
      `startup did not finish within ${Duration.format(this.timeout)}; still starting: ${this.pending.join(", ") || "none"}`,
      this.rollback
    )
  }
}

/**
 * A background service failed while the host was running, and
 * `backgroundServiceExceptionBehavior` is `"StopHost"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BackgroundServiceError extends Data.TaggedError("BackgroundServiceError")<{
  readonly service: string
  readonly cause: Cause.Cause<unknown>
  readonly stop: StopReport
}> {
  override get message() {
    const head = `background service ${this.service} failed: ${Cause.pretty(this.cause, { renderErrorCause: true })}`
    const tail = describeStop(this.stop)
    return tail.length > 0 ? `${head}\nwhile stopping, ${tail}` : head
  }
}

/**
 * One or more stop hooks failed. Every service still got every stop phase.
 *
 * @since 0.1.0
 * @category errors
 */
export class HostStopError extends Data.TaggedError("HostStopError")<{
  readonly failures: ReadonlyArray<ServiceFailure>
}> {
  override get message() {
    return `${this.failures.length} stop hook(s) failed: ${this.failures.map((f) => `${f.service} (${f.phase})`).join(", ")}\n${describeFailures(this.failures)}`
  }
}

/**
 * The stop did not finish within `shutdownTimeout`. The remaining stop work was interrupted and
 * the host completed anyway; `stuck` names the services that were still in a stop hook.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShutdownTimeoutError extends Data.TaggedError("ShutdownTimeoutError")<{
  readonly timeout: Duration.Duration
  readonly stuck: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
  readonly failures: ReadonlyArray<ServiceFailure>
}> {
  override get message() {
    const head = `shutdown ${describeDeadline(this.timeout, this.stuck, this.skipped)}`
    return this.failures.length > 0 ? `${head}\nstop failures:\n${describeFailures(this.failures)}` : head
  }
}

/**
 * Every way a host can finish other than a graceful stop.
 *
 * @since 0.1.0
 * @category errors
 */
export type HostError =
  | HostStartError
  | StartupTimeoutError
  | BackgroundServiceError
  | HostStopError
  | ShutdownTimeoutError

const hostErrorTags = new Set<string>([
  "HostStartError",
  "StartupTimeoutError",
  "BackgroundServiceError",
  "HostStopError",
  "ShutdownTimeoutError"
])

/**
 * @since 0.1.0
 * @category guards
 */
export const isHostError = (u: unknown): u is HostError =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && hostErrorTags.has(u._tag)

/**
 * Whether the shutdown budget ran out, in this error or in the rollback it carries.
 *
 * @since 0.1.0
 * @category guards
 */
export const hitShutdownDeadline = (error: HostError): boolean => {
  switch (error._tag) {
    case "ShutdownTimeoutError":
      return true
    case "HostStopError":
      return false
    case "BackgroundServiceError":
      return error.stop.deadline !== undefined
    case "HostStartError":
    case "StartupTimeoutError":
      return error.rollback.deadline !== undefined
  }
}
