/**
 * The host's error classes and the lifecycle phases. Defined here because the engine raises
 * them; `HostError.ts` re-exports them with their documentation.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type { Phase, ServiceFailure, StopReport } from "../HostError.js"
import { prettyCause } from "./writable.js"

export const startPhases: ReadonlyArray<Phase> = ["starting", "start", "started"]
export const stopPhases: ReadonlyArray<Phase> = ["stopping", "stop", "stopped"]

export const serviceFailure = (service: string, phase: ServiceFailure["phase"], cause: Cause.Cause<unknown>): ServiceFailure => ({
  service,
  phase,
  cause
})

export const emptyStopReport: StopReport = { failures: [], deadline: undefined }

const describeFailures = (failures: ReadonlyArray<ServiceFailure>): string =>
  failures.map((f) => `${f.service} (${f.phase}): ${prettyCause(f.cause, { renderErrorCause: true })}`).join("\n")

const names = (failures: ReadonlyArray<ServiceFailure>): string => failures.map((f) => `${f.service} (${f.phase})`).join(", ")

const describeDeadline = (timeout: Duration.Duration, stuck: ReadonlyArray<string>, skipped: ReadonlyArray<string>) =>
  `deadline of ${Duration.format(timeout)} reached; still running: ${stuck.length > 0 ? stuck.join(", ") : "none"}` +
  // `skipped` also names services that stopped but missed their `stopped` hook: "not run", not "never reached".
  (skipped.length > 0 ? `; stop hooks not run: ${skipped.join(", ")}` : "")

const describeStop = (stop: StopReport): string =>
  [
    stop.failures.length > 0 ? `stop failures:\n${describeFailures(stop.failures)}` : "",
    stop.deadline ? `shutdown ${describeDeadline(stop.deadline.timeout, stop.deadline.stuck, stop.deadline.skipped)}` : ""
  ].filter((s) => s.length > 0).join("\n")

const withStop = (head: string, stop: StopReport, during: string) => {
  const tail = describeStop(stop)
  return tail.length > 0 ? `${head}\n${during}, ${tail}` : head
}

export class HostStartError extends Data.TaggedError("HostStartError")<{
  readonly failures: ReadonlyArray<ServiceFailure>
  readonly rollback: StopReport
}> {
  override get message() {
    return withStop(
      `${this.failures.length} hosted service(s) failed to start: ${names(this.failures)}\n${describeFailures(this.failures)}`,
      this.rollback,
      "while rolling back"
    )
  }
}

export class StartupTimeoutError extends Data.TaggedError("StartupTimeoutError")<{
  readonly timeout: Duration.Duration
  readonly pending: ReadonlyArray<string>
  readonly rollback: StopReport
}> {
  override get message() {
    return withStop(
      `startup did not finish within ${Duration.format(this.timeout)}; still starting: ${this.pending.join(", ") || "none"}`,
      this.rollback,
      "while rolling back"
    )
  }
}

export class BackgroundServiceError extends Data.TaggedError("BackgroundServiceError")<{
  readonly service: string
  readonly cause: Cause.Cause<unknown>
  readonly stop: StopReport
}> {
  override get message() {
    return withStop(
      `background service ${this.service} failed: ${prettyCause(this.cause, { renderErrorCause: true })}`,
      this.stop,
      "while stopping"
    )
  }
}

export class HostStopError extends Data.TaggedError("HostStopError")<{
  readonly failures: ReadonlyArray<ServiceFailure>
}> {
  override get message() {
    return `${this.failures.length} hook(s) failed while stopping: ${names(this.failures)}\n${describeFailures(this.failures)}`
  }
}

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
 * A hook that did not end within the finalization grace after the host interrupted it (it
 * ignores interruption). The host abandoned it and went on; the hook's fiber may still be
 * running.
 */
export class HookAbandonedError extends Data.TaggedError("HookAbandonedError")<{
  readonly service: string
  readonly phase: Phase | "callback"
  readonly grace: Duration.Duration
}> {
  override get message() {
    return `${this.service} ignored interruption in ${this.phase}: still running ${Duration.format(this.grace)} ` +
      "after the host interrupted it, so the host abandoned it"
  }
}

type AnyHostError = HostStartError | StartupTimeoutError | BackgroundServiceError | HostStopError | ShutdownTimeoutError

const hostErrorTags = new Set<string>([
  "HostStartError",
  "StartupTimeoutError",
  "BackgroundServiceError",
  "HostStopError",
  "ShutdownTimeoutError"
])

export const isHostError = (u: unknown): u is AnyHostError =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && hostErrorTags.has(u._tag)

const stopOf = (error: AnyHostError): StopReport => {
  switch (error._tag) {
    case "ShutdownTimeoutError":
      return { failures: error.failures, deadline: { timeout: error.timeout, stuck: error.stuck, skipped: error.skipped } }
    case "HostStopError":
      return { failures: error.failures, deadline: undefined }
    case "BackgroundServiceError":
      return error.stop
    case "HostStartError":
    case "StartupTimeoutError":
      return error.rollback
  }
}

export const hitShutdownDeadline = (error: AnyHostError): boolean => stopOf(error).deadline !== undefined

/** Every failure an error carries, in the order they happened: the cause of the stop first. */
export const failures = (error: AnyHostError): ReadonlyArray<ServiceFailure> => {
  const stop = stopOf(error).failures
  switch (error._tag) {
    case "HostStartError":
      return [...error.failures, ...stop]
    case "BackgroundServiceError":
      return [serviceFailure(error.service, "execute", error.cause), ...stop]
    case "StartupTimeoutError":
    case "HostStopError":
    case "ShutdownTimeoutError":
      return stop
  }
}
