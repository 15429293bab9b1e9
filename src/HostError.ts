/**
 * The typed errors a host can finish with. Every error names the services involved, the lifecycle
 * phase and the full `Cause`, so nothing is swallowed and a log line is enough to find the culprit.
 * `failures(error)` flattens any of them into one list.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as internal from "./internal/hostError.js"

/**
 * A lifecycle phase of a hosted service, in the order the host runs them.
 *
 * @since 0.1.0
 * @category models
 */
export type Phase = "starting" | "start" | "started" | "stopping" | "stop" | "stopped"

/**
 * One hook (or lifetime callback, or background service's `execute`) of one service that failed.
 * Lifetime callbacks are named by who registered them (`HttpHost`, or
 * `ApplicationLifetime.onStarted` for a program's own callback) and carry the event's phase.
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
 * What went wrong while stopping: hook failures and, when the shutdown budget ran out, which
 * services were still in a stop hook (`stuck`) and which never got to theirs (`skipped`).
 *
 * @since 0.1.0
 * @category models
 */
export interface StopReport {
  readonly failures: ReadonlyArray<ServiceFailure>
  readonly deadline: {
    readonly timeout: Duration.Duration
    readonly stuck: ReadonlyArray<string>
    readonly skipped: ReadonlyArray<string>
  } | undefined
}

/**
 * One or more services failed to start. Every service whose start had completed was stopped
 * again (the rollback); what went wrong during that rollback is in `rollback`.
 *
 * @since 0.1.0
 * @category errors
 */
export const HostStartError: typeof internal.HostStartError = internal.HostStartError

/**
 * @since 0.1.0
 * @category errors
 */
export type HostStartError = internal.HostStartError

/**
 * The start phases did not finish within `startupTimeout`; pending starts were interrupted and
 * what had started was rolled back.
 *
 * @since 0.1.0
 * @category errors
 */
export const StartupTimeoutError: typeof internal.StartupTimeoutError = internal.StartupTimeoutError

/**
 * @since 0.1.0
 * @category errors
 */
export type StartupTimeoutError = internal.StartupTimeoutError

/**
 * A background service failed while the host was running, and
 * `backgroundServiceExceptionBehavior` is `"StopHost"`.
 *
 * @since 0.1.0
 * @category errors
 */
export const BackgroundServiceError: typeof internal.BackgroundServiceError = internal.BackgroundServiceError

/**
 * @since 0.1.0
 * @category errors
 */
export type BackgroundServiceError = internal.BackgroundServiceError

/**
 * One or more hooks failed while stopping (a stop hook, an `onStopping`/`onStopped` callback, a
 * background service's `execute` that failed during the stop, or a start hook that ignored the
 * interruption of a stop during start and was abandoned). Every service still got every stop
 * phase.
 *
 * @since 0.1.0
 * @category errors
 */
export const HostStopError: typeof internal.HostStopError = internal.HostStopError

/**
 * @since 0.1.0
 * @category errors
 */
export type HostStopError = internal.HostStopError

/**
 * The stop did not finish within `shutdownTimeout`. The remaining stop work was interrupted and
 * the host completed anyway; `stuck` names the services that were still in a stop hook, `skipped`
 * those that missed a stop hook they have (their `stop`, or only their `stopped`) because the
 * deadline came first. A hook that ran and failed is in `failures`, not in `skipped`.
 *
 * @since 0.1.0
 * @category errors
 */
export const ShutdownTimeoutError: typeof internal.ShutdownTimeoutError = internal.ShutdownTimeoutError

/**
 * @since 0.1.0
 * @category errors
 */
export type ShutdownTimeoutError = internal.ShutdownTimeoutError

/**
 * The cause of a hook that the host interrupted and that did not end within the finalization
 * grace (it ignores interruption): the host abandoned it and went on.
 *
 * @since 0.1.0
 * @category errors
 */
export const HookAbandonedError: typeof internal.HookAbandonedError = internal.HookAbandonedError

/**
 * @since 0.1.0
 * @category errors
 */
export type HookAbandonedError = internal.HookAbandonedError

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

/**
 * @since 0.1.0
 * @category guards
 */
export const isHostError: (u: unknown) => u is HostError = internal.isHostError

/**
 * Whether the shutdown budget ran out, in this error or in the rollback it carries.
 *
 * @since 0.1.0
 * @category guards
 */
export const hitShutdownDeadline: (error: HostError) => boolean = internal.hitShutdownDeadline

/**
 * Every failure an error carries, whatever its shape, in the order they happened: what caused the
 * stop (failed starts, the failed background service) first, then what failed while stopping or
 * rolling back.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { Host, HostError } from "effect-host"
 * import { Effect } from "effect"
 *
 * const program = Host.launch([]).pipe(
 *   Effect.tapError((error) =>
 *     HostError.isHostError(error)
 *       ? Effect.forEach(HostError.failures(error), (f) => Effect.log(`${f.service} failed in ${f.phase}`))
 *       : Effect.void
 *   )
 * )
 * ```
 */
export const failures: (error: HostError) => ReadonlyArray<ServiceFailure> = internal.failures
