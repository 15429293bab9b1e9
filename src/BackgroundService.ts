/**
 * Background services (.NET's `BackgroundService.ExecuteAsync`): one long-running effect, forked
 * when the host starts and interrupted when it stops. A failure is never silent: it is logged
 * with its cause, optionally retried on a `restart` schedule, and then handed to the host's
 * `backgroundServiceExceptionBehavior` (`"StopHost"` by default, or `"Ignore"`). An `execute`
 * that fails at once (before it waits for anything) is reported during its `start`, so under
 * `"StopHost"` the start is cut and rolled back and `started` never fires (.NET fails the start
 * of a service whose `ExecuteAsync` threw synchronously). A failure
 * while the host is already stopping (also one that comes while the stop's interruption waits
 * for an uninterruptible region) is logged and, under `"StopHost"`, is one of the stop's
 * failures (phase `"execute"`): in the `BackgroundServiceError`'s `stop` report, or a
 * `HostStopError` after a requested stop.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { HostedService } from "./HostedService.js"
import * as internal from "./internal/background/backgroundService.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<E = unknown> {
  /**
   * Restarts `execute` after a failure, as long as the schedule continues (its input is the
   * failure's `Cause`). Each restart is logged with its attempt number and delay. When the
   * schedule is done, the failure goes to the host's `backgroundServiceExceptionBehavior`.
   * Without it, the first failure does. Once the host is stopping there is no restart: a failure
   * then is reported at once, as one of the stop's failures.
   *
   * @example
   * ```ts
   * import { Schedule } from "effect"
   *
   * // up to 5 restarts, 1s, 2s, 4s ... with jitter
   * const restart = Schedule.exponential("1 second").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(5)))
   * ```
   */
  readonly restart?: Schedule.Schedule<unknown, Cause.Cause<E>> | undefined
}

/**
 * A hosted service that runs `execute` in the background for the life of the host.
 *
 * - `execute` is forked by the `start` hook; the host does not wait for it to finish starting.
 * - At `stop` it is interrupted and awaited (bounded by the host's `shutdownTimeout`). That
 *   interruption is the host's own doing and is never reported as a failure. At the deadline, or
 *   when the host never reached this service's stop, it gets 0.4 s (real time) to end, so its
 *   scope is closed before `Host.launch` returns; beyond that it is abandoned with a warning.
 * - Returning normally ends the service quietly (logged at info); it is not a failure.
 * - A failure (including a defect, or an interruption that did not come from the host) is retried
 *   per `options.restart`, then reported to the host, which logs it with its cause and stops
 *   (`"StopHost"`, the host then fails with `BackgroundServiceError`) or carries on (`"Ignore"`).
 * - `execute` may use `Scope`: every attempt has its own scope, closed when the attempt ends.
 * - Observability: `HostMetrics.backgroundFailures` and `HostMetrics.backgroundRestarts`, tagged
 *   with the service name; when a tracer is installed, a `BackgroundService.execute` span per
 *   attempt (attributes `effect_host.service`, `effect_host.attempt`, `effect_host.outcome`): a
 *   trace of its own, since it runs for the life of the host, linked to the service's start span.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { BackgroundService, Host } from "effect-host"
 * import { Effect, Schedule } from "effect"
 *
 * const Poller = BackgroundService.make(
 *   "Poller",
 *   Effect.log("polling").pipe(Effect.repeat(Schedule.spaced("10 seconds"))),
 *   { restart: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3))) }
 * )
 *
 * Host.launch([Poller])
 * ```
 */
export const make: <A, E, R>(
  name: string,
  execute: Effect.Effect<A, E, R>,
  options?: Options<NoInfer<E>>
) => HostedService<never, Exclude<R, Scope.Scope>> = internal.make
