/**
 * Background services (.NET's `BackgroundService.ExecuteAsync`): one long-running effect, forked
 * when the host starts and interrupted when it stops. A failure is never silent: it is logged
 * with its cause, optionally retried on a `restart` schedule, and then handed to the host's
 * `backgroundServiceExceptionBehavior` (`"StopHost"` by default, or `"Ignore"`).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import type { HostedService } from "./HostedService.js"
import type { HostContext } from "./internal/hostContext.js"
import { register } from "./internal/hostedService.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<E = unknown> {
  /**
   * Restarts `execute` after a failure, as long as the schedule continues (its input is the
   * failure's `Cause`). Each restart is logged with its attempt number and delay. When the
   * schedule is done, the failure goes to the host's `backgroundServiceExceptionBehavior`.
   * Without it, the first failure does.
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
 *   interruption is the host's own doing and is never reported as a failure.
 * - Returning normally ends the service quietly (logged at info); it is not a failure.
 * - A failure (including a defect, or an interruption that did not come from the host) is retried
 *   per `options.restart`, then reported to the host, which logs it with its cause and stops
 *   (`"StopHost"`, the host then fails with `BackgroundServiceError`) or carries on (`"Ignore"`).
 * - `execute` may use `Scope`: every attempt has its own scope, closed when the attempt ends.
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
export const make = <A, E, R>(
  name: string,
  execute: Effect.Effect<A, E, R>,
  options: Options<NoInfer<E>> = {}
): HostedService<never, Exclude<R, Scope.Scope>> =>
  register(name, (host) =>
    Effect.gen(function*() {
      const context = yield* Effect.context<Exclude<R, Scope.Scope>>()
      let fiber: Fiber.RuntimeFiber<void> | undefined
      // Set before we interrupt the fiber: an interruption seen after this is ours.
      let stopping = false

      const attempt = (n: number) =>
        Effect.scoped(execute).pipe(
          Effect.provide(context),
          Effect.withSpan("BackgroundService.execute", { attributes: { "hosted_service.name": name, attempt: n } })
        )

      const supervise = supervisor(name, attempt, options.restart, host, () => stopping).pipe(
        Effect.annotateLogs({ service: name, phase: "execute" })
      )

      // Last resort, when the stop was cut off by the shutdown deadline: interrupt without
      // waiting, so the host can still complete.
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          stopping = true
          return fiber === undefined ? Effect.void : Fiber.interruptFork(fiber)
        })
      )

      const start = Effect.suspend(() => {
        stopping = false
        // Explicitly interruptible: a fork inherits the caller's interruptibility, and the stop
        // must be able to interrupt this fiber whatever region `start` was called from.
        return Effect.forkDaemon(Effect.interruptible(supervise))
      }).pipe(Effect.map((forked) => void (fiber = forked)))

      const stop = Effect.suspend(() => {
        stopping = true
        const running = fiber
        if (running === undefined) return Effect.void
        return Effect.flatMap(Fiber.interrupt(running), (exit) =>
          // The interruption is expected; anything else (a finalizer of `execute` that failed
          // while being interrupted) is a stop failure the host must hear about.
          Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)
            ? Effect.failCause(exit.cause)
            : Effect.void)
      })

      return { start, stop }
    }))

/** Runs attempts until one ends normally, the restart schedule gives up, or the host stops us. */
const supervisor = <E>(
  name: string,
  attempt: (n: number) => Effect.Effect<unknown, E>,
  restart: Schedule.Schedule<unknown, Cause.Cause<E>> | undefined,
  host: HostContext,
  stopping: () => boolean
): Effect.Effect<void> =>
  Effect.gen(function*() {
    let state: unknown = restart?.initial
    for (let n = 1;; n++) {
      const exit = yield* Effect.exit(attempt(n))
      if (Exit.isSuccess(exit)) {
        yield* Effect.logInfo(`Background service ${name} completed`)
        return
      }
      // Our own stop interrupted it: nothing to report (we normally never get here, as the
      // interruption also ends this fiber).
      if (stopping() && Cause.isInterruptedOnly(exit.cause)) return
      if (restart !== undefined && !stopping()) {
        const now = yield* Clock.currentTimeMillis
        const [next, , decision] = yield* restart.step(now, exit.cause, state)
        state = next
        if (ScheduleDecision.isContinue(decision)) {
          const delay = Duration.millis(Math.max(0, Intervals.start(decision.intervals) - now))
          yield* Effect.logWarning(
            `Background service ${name} failed (attempt ${n}); restarting in ${Duration.format(delay)} (attempt ${n + 1})`,
            exit.cause
          )
          yield* Effect.sleep(delay)
          continue
        }
        yield* Effect.logError(`Background service ${name} failed (attempt ${n}); its restart schedule is exhausted`)
      }
      // The host logs the failure with its cause and applies backgroundServiceExceptionBehavior.
      yield* host.reportBackgroundFailure(name, exit.cause)
      return
    }
  })
