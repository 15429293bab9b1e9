/**
 * Hosted services (.NET's `IHostedService` and `IHostedLifecycleService`). A hosted service is a
 * `Layer`: it composes with any other layer and may require services that other layers provide.
 * Given to `Host.make`/`Host.launch`, its hooks run in the host's phases; built anywhere else
 * (for example by `Layer.launch`), it starts at acquire and stops at release.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type { Hooks as InternalHooks } from "./internal/hostContext.js"
import { register } from "./internal/hostedService.js"

/**
 * A hosted service: a layer that provides nothing and registers lifecycle hooks.
 *
 * @since 0.1.0
 * @category models
 */
export type HostedService<E = never, R = never> = Layer.Layer<never, E, R>

/**
 * The lifecycle hooks, all optional. The host runs every `starting`, then every `start`, then
 * every `started` (registration order); at stop every `stopping`, `stop`, `stopped` (reverse).
 *
 * @since 0.1.0
 * @category models
 */
export interface Hooks<E = never, R = never> {
  readonly starting?: Effect.Effect<unknown, E, R> | undefined
  readonly start?: Effect.Effect<unknown, E, R> | undefined
  readonly started?: Effect.Effect<unknown, E, R> | undefined
  readonly stopping?: Effect.Effect<unknown, E, R> | undefined
  readonly stop?: Effect.Effect<unknown, E, R> | undefined
  readonly stopped?: Effect.Effect<unknown, E, R> | undefined
}

const phases = ["starting", "start", "started", "stopping", "stop", "stopped"] as const

/**
 * The union of what the hooks require. Inferred per hook, so a `start` that needs a database and
 * a `stop` that needs `ApplicationLifetime` (or hooks failing with different errors) compile.
 *
 * @since 0.1.0
 * @category models
 */
export type HooksContext<H> = {
  [K in keyof H]-?: NonNullable<H[K]> extends Effect.Effect<infer _A, infer _E, infer R> ? R : never
}[keyof H]

/**
 * A hosted service from lifecycle hooks.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { HostedService } from "effect-host"
 * import { Effect } from "effect"
 *
 * const Announcer = HostedService.make("Announcer", {
 *   start: Effect.log("announcing"),
 *   stop: Effect.log("going quiet")
 * })
 * ```
 */
export const make = <const H extends Hooks<unknown, unknown>>(name: string, hooks: H): HostedService<never, HooksContext<H>> =>
  register(name, () =>
    Effect.map(Effect.context<HooksContext<H>>(), (context) => {
      const provided: { -readonly [P in keyof InternalHooks]: InternalHooks[P] } = {}
      for (const phase of phases) {
        const hook = hooks[phase]
        // The constraint widens each hook's requirements to `unknown`; they are `HooksContext<H>`.
        if (hook !== undefined) {
          provided[phase] = Effect.asVoid(Effect.provide(hook as Effect.Effect<unknown, unknown, HooksContext<H>>, context))
        }
      }
      return provided
    }))

/**
 * A hosted service whose lifetime is the scope of `effect`: the effect runs at `start` (its
 * `acquireRelease`, `forkScoped` ... attach to the service's scope) and the scope is closed at
 * `stop`. If `start` fails or is interrupted, what it had acquired is released at once.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { HostedService } from "effect-host"
 * import { Effect } from "effect"
 *
 * const Pool = HostedService.scoped("Pool", Effect.acquireRelease(
 *   Effect.log("pool open"),
 *   () => Effect.log("pool closed")
 * ))
 * ```
 */
export const scoped = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): HostedService<never, Exclude<R, Scope.Scope>> =>
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
