/**
 * Helpers shared by the background-work services (BackgroundService, ScheduledService,
 * BackgroundTaskQueue): fiber sets whose work the host must never wait for beyond its grace,
 * bounded waits in real time, and runs with a fresh layer.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import type * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { awaitWithin } from "../grace.js"
import { finalizationGrace } from "../hostContext.js"

/**
 * How long an interrupted stop hook (at the shutdown deadline) or a layer finalizer (for a stop
 * that was never reached) waits for the work it interrupted to end: scheduled runs releasing
 * their `perRun` layers, `execute` its scope. It stays inside the engine's `finalizationGrace`
 * (0.5 s), with room for the engine's own steps.
 */
export const releaseGrace: Duration.Duration = Duration.times(finalizationGrace, 0.8)

/**
 * The queue splits the grace in two: the interrupted tasks get `taskGrace` to end (and release
 * their `perTask` layers), then `onUnprocessed` gets {@link reportGrace}.
 */
export const taskGrace: Duration.Duration = Duration.times(finalizationGrace, 0.4)

/** How long the queue's `onUnprocessed` may run once the deadline has passed (see {@link taskGrace}). */
export const reportGrace: Duration.Duration = Duration.times(finalizationGrace, 0.4)

export { awaitWithin }

/**
 * Interrupts `fibers` without waiting for each in turn, then waits at most `limit` (real time)
 * for all of them to end; true when they all did.
 */
export const interruptAllWithin = (
  fibers: Iterable<Fiber.Fiber<unknown, unknown>>,
  limit: Duration.Duration
): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const all = [...fibers]
    if (all.length === 0) return Effect.succeed(true)
    return Effect.zipRight(
      Effect.forEach(all, (fiber) => Fiber.interruptFork(fiber), { discard: true }),
      awaitWithin(Fiber.awaitAll(all), limit)
    )
  })

/**
 * A `FiberSet` for work a hosted service forks from its `start` hook. The service's `stop` hook
 * is what normally ends that work (awaiting it within the shutdown budget), and its cut-off what
 * waits for it, bounded, when the deadline cut the stop short (or it never ran). When the layer is
 * released the set's fibers are interrupted and not awaited: the waiting was the cut-off's, done
 * once, and the host must complete rather than wait again for a fiber that ignores interruption.
 */
export const detachedFiberSet = <A = unknown, E = unknown>(): Effect.Effect<FiberSet.FiberSet<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const set = yield* Scope.extend(FiberSet.make<A, E>(), scope)
    yield* Effect.addFinalizer(() => Effect.asVoid(Effect.forkDaemon(Scope.close(scope, Exit.void))))
    return set
  })

/**
 * Runs `effect` with `layer` built fresh for this one run, in a scope of its own: whatever the
 * layer (or the effect, through `Scope`) acquires is released when the run ends, whether it
 * succeeded, failed or was interrupted. This is the `IServiceScopeFactory` pattern without the
 * forgotten `Dispose`.
 */
export const withFreshLayer = <A, E, R, ROut, E2, RIn>(
  effect: Effect.Effect<A, E, R>,
  layer: Layer.Layer<ROut, E2, RIn> | undefined
): Effect.Effect<A, E | E2, Exclude<Exclude<R, Scope.Scope>, ROut> | RIn> => {
  const scoped = Effect.scoped(effect)
  // Without a layer, `R` has nothing left to exclude; the cast only restates that.
  return (layer === undefined ? scoped : Effect.provide(scoped, layer)) as Effect.Effect<
    A,
    E | E2,
    Exclude<Exclude<R, Scope.Scope>, ROut> | RIn
  >
}
