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
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
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

const phases = ["starting", "start", "started", "stopping", "stop", "stopped"] as const

/** The hooks as a user writes them: any result, any error, requirements `R`. */
export type UserHooks<R> = { readonly [P in (typeof phases)[number]]?: Effect.Effect<unknown, unknown, R> | undefined }

/** `HostedService.make`: each hook gets what the service's layer was built with. */
export const make = <R>(name: string, hooks: UserHooks<R>): Layer.Layer<never, never, R> =>
  register(name, () =>
    Effect.map(Effect.context<R>(), (context) => {
      const provided: { -readonly [P in keyof Hooks]: Hooks[P] } = {}
      for (const phase of phases) {
        const hook = hooks[phase]
        if (hook !== undefined) provided[phase] = Effect.asVoid(Effect.provide(hook, context))
      }
      return provided
    }))

/** `HostedService.scoped`: `effect` runs at start in a scope of its own, closed at stop. */
export const scoped = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): Layer.Layer<never, never, Exclude<R, Scope.Scope>> =>
  register(name, () =>
    Effect.map(Effect.context<Exclude<R, Scope.Scope>>(), (context) => {
      let scope: Scope.CloseableScope | undefined
      const start = Effect.gen(function*() {
        const own = yield* Scope.make()
        scope = own
        yield* Scope.extend(effect, own).pipe(
          Effect.provide(context),
          Effect.onError((cause) => {
            scope = undefined
            return Scope.close(own, Exit.failCause(cause))
          })
        )
      })
      const stop = Effect.suspend(() => {
        const own = scope
        scope = undefined
        return own === undefined ? Effect.void : Scope.close(own, Exit.void)
      })
      return { start, stop }
    }))
