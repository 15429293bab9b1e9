/**
 * Bounded waits for work that may ignore interruption: the engine's finalization grace, and the
 * shares of it that hosted services take for their own releases and reports.
 *
 * Waits are measured in real time, even under `TestClock`: like the runner's wall-clock guard,
 * they bound how long the host waits for code that may ignore interruption, and a test that moved
 * the clock to the deadline must not hang on a wait nobody advances.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

const liveClock = Clock.make()

/**
 * A zero deadline is timed by the live clock, also under `TestClock`: there a zero sleep ends at
 * once, before the scheduler's next turn, so a hook that yields once (a `BackgroundService`'s
 * start does) would be cut under test and not in production. The live clock's zero waits for a
 * timer, so work that does not wait for anything finishes first under either clock.
 */
export const zeroOnLiveClock = <A, E, R>(timeout: Duration.Duration, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Duration.isZero(timeout) ? Effect.withClock(effect, liveClock) : effect

/**
 * Waits until `wait` completes or `limit` (real time) has passed; true when it completed. Safe in
 * an uninterruptible region (the engine's stop, an `onInterrupt` handler, a finalizer): it waits on
 * a `Deferred` that either racer completes, and never has to wait for a fiber to be interrupted.
 */
export const awaitWithin = (wait: Effect.Effect<unknown>, limit: Duration.Duration): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const settled = yield* Deferred.make<boolean>()
    const waiter = yield* Effect.forkDaemon(Effect.interruptible(wait).pipe(Effect.zipRight(Deferred.succeed(settled, true))))
    const timer = yield* Effect.forkDaemon(
      Effect.interruptible(Effect.withClock(Effect.sleep(limit), liveClock)).pipe(Effect.zipRight(Deferred.succeed(settled, false)))
    )
    const ended = yield* Deferred.await(settled)
    yield* Fiber.interruptFork(waiter)
    yield* Fiber.interruptFork(timer)
    return ended
  })

/**
 * `effect` run at most once: the first call runs it, later calls (concurrent ones too) wait for
 * that run to end. A cut-off (see `ServiceDefinition.cutOff`) is called by the stop hook's
 * `onInterrupt`, by the engine at the deadline and by the layer's finalizer: its bounded waits
 * are then taken once, not three times over.
 */
export const once = (effect: Effect.Effect<void>): Effect.Effect<Effect.Effect<void>> => Effect.cached(effect)
