/**
 * The application lifetime (.NET's `IHostApplicationLifetime`): wait for the host's events and
 * request a stop from anywhere.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { ApplicationLifetime } from "effect-host"
 * import { Effect } from "effect"
 *
 * // stop the whole application after the first batch
 * const program = Effect.gen(function*() {
 *   yield* ApplicationLifetime.started
 *   yield* Effect.log("host is up, shutting down")
 *   yield* ApplicationLifetime.stopApplication
 * })
 * ```
 */
export class ApplicationLifetime extends Effect.Tag("effect-host/ApplicationLifetime")<ApplicationLifetime, {
  /**
   * Completes once every service has started (after every `started` hook and `onStarted`
   * callback). Never completes if the start fails, times out, or a stop is requested before it ends.
   */
  readonly started: Effect.Effect<void>
  /** Completes when the stop begins, before any `stopping` hook runs. */
  readonly stopping: Effect.Effect<void>
  /** Completes when the stop has finished (after every `stopped` hook, or at the shutdown deadline). */
  readonly stopped: Effect.Effect<void>
  /** Requests a graceful stop. Idempotent; during start it interrupts the start and rolls back. */
  readonly stopApplication: Effect.Effect<void>
  /**
   * Runs `callback` when the host has started; a failing callback is logged and does not stop the
   * others. The callbacks are the last step of the start: a stop request or `startupTimeout`
   * interrupts one that does not end. A callback that requests the stop itself
   * (`onStarted(stopApplication)`, a run-once program) and returns at once completes the start,
   * and `started` fires before the stop; whatever of the start is still running when the stop's
   * interruption arrives (a few scheduler turns later: the rest of that callback if it goes on,
   * the callbacks after it) is interrupted, and then `started` never fires. Request the stop as the
   * callback's last step.
   *
   * For each of the three: a callback registered after its event's callbacks ran (an
   * `onStarted` after `started`, an `onStopped` after the host stopped) runs at once, with the
   * host's logger, and the registration waits for it, as .NET runs a registration on a token
   * already cancelled.
   */
  readonly onStarted: <A, E>(callback: Effect.Effect<A, E>) => Effect.Effect<void>
  /** Runs `callback` when the stop begins; the stop waits for it (within the shutdown budget). */
  readonly onStopping: <A, E>(callback: Effect.Effect<A, E>) => Effect.Effect<void>
  /**
   * Runs `callback` after every `stopped` hook, still inside the shutdown budget: when the
   * deadline cuts the stop first, the callbacks not yet run are skipped (and the log says so),
   * and one registered later runs at once.
   */
  readonly onStopped: <A, E>(callback: Effect.Effect<A, E>) => Effect.Effect<void>
}>() {}
