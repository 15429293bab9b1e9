/**
 * The one way a hosted service comes into being: a scoped layer that registers its hooks with
 * the host building it, or, built outside any host, runs them itself through a one-service engine.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as HostOptions from "./config/hostOptions.js"
import * as Engine from "./engine.js"
import { currentHostContext, type HostContext, type Hooks } from "./hostContext.js"

export const register = <E, R>(
  name: string,
  makeHooks: (host: HostContext) => Effect.Effect<Hooks, E, R>
): Layer.Layer<never, E, Exclude<R, Scope.Scope>> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const host = yield* FiberRef.get(currentHostContext)
    if (Option.isSome(host)) {
      const hooks = yield* makeHooks(host.value)
      host.value.register({ name, hooks })
      return
    }
    // Standalone: the layer's acquire is the start, its release the stop.
    const engine = yield* Engine.make(HostOptions.defaults)
    const hooks = yield* makeHooks(engine.hostContext)
    engine.hostContext.register({ name, hooks })
    yield* Effect.addFinalizer(() => engine.stop)
    yield* Effect.orDie(engine.start)
  }))
