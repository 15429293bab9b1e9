/**
 * The one way a hosted service comes into being: a scoped layer that registers its hooks with
 * the host building it, or, built outside any host, runs them itself through a one-service engine.
 * `HostedService.make`/`scoped` layers also carry their definition, so a host that lists one
 * registers it without building the layer (`directRegistration`).
 *
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
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
  /** Its bounded work for a stop cut short by the deadline (see `ServiceDefinition.cutOff`). */
  readonly cutOff?: Effect.Effect<void> | undefined
}

export const register = <E, R>(
  name: string,
  makeHooks: (host: HostContext) => Effect.Effect<Hooks | Registration, E, R>,
  key?: object
): Layer.Layer<never, E, Exclude<R, Scope.Scope>> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const host = yield* FiberRef.get(currentHostContext)
    if (Option.isSome(host)) {
      host.value.register(definition(name, yield* makeHooks(host.value), key))
      return
    }
    // Standalone: the layer's acquire is the start, its release the stop. The hooks' Scope is
    // released after the stop, as a host's is: a scope of its own, closed after `engine.stop`
    // (the layer's finalizers run last-added first).
    const hooksScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const engine = yield* Engine.make(HostOptions.defaults)
    engine.hostContext.register(definition(name, yield* Effect.provideService(makeHooks(engine.hostContext), Scope.Scope, hooksScope), key))
    yield* Effect.addFinalizer(() => engine.stop)
    yield* Effect.orDie(engine.start)
  }))

const isRegistration = (u: Hooks | Registration): u is Registration => "hooks" in u

const definition = (name: string, made: Hooks | Registration, key: object | undefined): ServiceDefinition =>
  isRegistration(made) ? { name, hooks: made.hooks, context: made.context, cutOff: made.cutOff, key } : { name, hooks: made, key }

/**
 * Marks a hosted-service layer that a host may register without building it: its hooks need
 * only the context the layer would be built with. Building a layer (memo map, scope, fiber-refs
 * diff) costs more than the service's whole start and stop; a host lists hundreds of them.
 * Built as a layer (standalone, or inside another layer) it registers the same definition, and
 * a host keeps the first (see `ServiceDefinition.key`).
 */
export const DirectTypeId: unique symbol = Symbol.for("effect-host/HostedService/direct")

interface Direct {
  readonly [DirectTypeId]: (context: Context.Context<never>) => ServiceDefinition
}

const isDirect = (u: unknown): u is Direct => typeof u === "object" && u !== null && DirectTypeId in u

/** How a host registers `layer` without building it, when it is a plain hosted service. */
export const directRegistration = (layer: unknown): ((context: Context.Context<never>) => ServiceDefinition) | undefined =>
  isDirect(layer) ? layer[DirectTypeId] : undefined

/** A hosted-service layer whose registration is `registration(context)` (the layer's context). */
const direct = <R>(name: string, registration: (context: Context.Context<R>) => Registration): Layer.Layer<never, never, Exclude<R, Scope.Scope>> => {
  // The key: one per layer value, shared by both ways of registering it.
  const key = {}
  const layer = register(name, () => Effect.map(Effect.context<R>(), registration), key)
  // The host's context is untyped here; `Host.make`'s types made sure it holds `R`.
  const toDefinition = (context: Context.Context<never>) => definition(name, registration(context as Context.Context<R>), key)
  return Object.create(layer, { [DirectTypeId]: { value: toDefinition } }) as typeof layer
}

const phases = ["starting", "start", "started", "stopping", "stop", "stopped"] as const

/** The hooks as a user writes them: any result, any error, requirements `R`. */
export type UserHooks<R> = { readonly [P in (typeof phases)[number]]?: Effect.Effect<unknown, unknown, R> | undefined }

/** `HostedService.make`: each hook gets what the service's layer was built with. */
export const make = <R>(name: string, hooks: UserHooks<R>): Layer.Layer<never, never, Exclude<R, Scope.Scope>> => {
  const registered: { -readonly [P in keyof Hooks]: Hooks[P] } = {}
  for (const phase of phases) {
    const hook = hooks[phase]
    // The engine provides the context to each hook (see ServiceDefinition) and ignores results.
    if (hook !== undefined) registered[phase] = hook as Effect.Effect<unknown, unknown>
  }
  return direct(name, (context: Context.Context<R>): Registration => ({ hooks: registered, context }))
}

/** `HostedService.scoped`: `effect` runs at start in a scope of its own, closed at stop. */
export const scoped = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): Layer.Layer<never, never, Exclude<R, Scope.Scope>> =>
  direct(name, (context: Context.Context<Exclude<R, Scope.Scope>>): Registration => {
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
    return { hooks: { start, stop } }
  })
