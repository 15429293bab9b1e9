/**
 * Helpers shared by the background-work services (BackgroundService, ScheduledService,
 * BackgroundTaskQueue).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import type * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"

/**
 * A `FiberSet` for work a hosted service forks from its `start` hook. The service's `stop` hook
 * is what normally ends that work (awaiting it within the shutdown budget). The set's own scope
 * is only closed when the service's layer is released, and then without waiting: by that time
 * the stop either finished (the set is empty) or was cut off by the shutdown deadline, and the
 * host must complete rather than wait for a fiber that ignores interruption.
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
