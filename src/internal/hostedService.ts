/**
 * The one way a hosted service comes into being: a scoped layer that registers its hooks with
 * the host building it, or, built outside any host, runs them itself through a one-service engine.
 *
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as HostOptions from "./config/hostOptions.js"
import * as Engine from "./engine.js"
import { currentHostContext, type HostContext, type Hooks, type ServiceDefinition } from "./hostContext.js"

/** What a hosted-service layer registers: its hooks, and the context they run with (if any). */
export interface Registration {
  readonly hooks: Hooks
  readonly context?: Context.Context<never> | undefined
}

export const register = <E, R>(
  name: string,
  makeHooks: (host: HostContext) => Effect.Effect<Hooks | Registration, E, R>
): Layer.Layer<never, E, Exclude<R, Scope.Scope>> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const host = yield* FiberRef.get(currentHostContext)
    if (Option.isSome(host)) {
      host.value.register(definition(name, yield* makeHooks(host.value)))
      return
    }
    // Standalone: the layer's acquire is the start, its release the stop.
    const engine = yield* Engine.make(HostOptions.defaults)
    engine.hostContext.register(definition(name, yield* makeHooks(engine.hostContext)))
    yield* Effect.addFinalizer(() => engine.stop)
    yield* Effect.orDie(engine.start)
  }))

const isRegistration = (u: Hooks | Registration): u is Registration => "hooks" in u

const definition = (name: string, made: Hooks | Registration): ServiceDefinition =>
  isRegistration(made) ? { name, hooks: made.hooks, context: made.context } : { name, hooks: made }

const phases = ["starting", "start", "started", "stopping", "stop", "stopped"] as const

/** The hooks as a user writes them: any result, any error, requirements `R`. */
export type UserHooks<R> = { readonly [P in (typeof phases)[number]]?: Effect.Effect<unknown, unknown, R> | undefined }

/** `HostedService.make`: each hook gets what the service's layer was built with. */
export const make = <R>(name: string, hooks: UserHooks<R>): Layer.Layer<never, never, R> =>
  register(name, () =>
    Effect.map(Effect.context<R>(), (context): Registration => {
      const registered: { -readonly [P in keyof Hooks]: Hooks[P] } = {}
      for (const phase of phases) {
        const hook = hooks[phase]
        // The engine provides `context` to each hook (see ServiceDefinition) and ignores results.
        if (hook !== undefined) registered[phase] = hook as Effect.Effect<unknown, unknown>
      }
      return { hooks: registered, context }
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
