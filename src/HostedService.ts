/**
 * Hosted services (.NET's `IHostedService` and `IHostedLifecycleService`). A hosted service is a
 * `Layer`: it composes with any other layer and may require services that other layers provide.
 * Given to `Host.make`/`Host.launch`, its hooks run in the host's phases; built anywhere else
 * (for example by `Layer.launch`), it starts at acquire and stops at release.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/hostedService.js"

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
 * Rejects properties of `H` that are not hooks (`never` each), when `H`'s keys are known: a hooks
 * object built at run time (`Record<string, Effect>`) is not checked.
 *
 * @since 0.1.0
 * @category models
 */
export type OnlyHooks<H> = string extends keyof H ? unknown : { readonly [K in Exclude<keyof H, keyof Hooks>]: never }

/**
 * A hosted service from lifecycle hooks.
 *
 * A hook may use a `Scope` (`Effect.addFinalizer`, `acquireRelease`, `forkScoped`): the host
 * gives it one, and what a hook adds to it is released after the service's stop phases (when
 * the host's scope closes; standalone, when the layer's does). A resource the service holds from
 * its start to its stop is clearer as `HostedService.scoped`.
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
export const make = <const H extends Hooks<unknown, unknown>>(
  name: string,
  // `H` is inferred, so TypeScript would not check the literal for unknown properties: a
  // misspelt hook next to a real one (`{ start, stpo }`) would compile and never run.
  hooks: H & OnlyHooks<H>
): HostedService<never, Exclude<HooksContext<H>, Scope.Scope>> =>
  // The constraint widens each hook's requirements to `unknown`; together they are `HooksContext<H>`.
  internal.make(name, hooks as internal.UserHooks<HooksContext<H>>)

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
  internal.scoped(name, effect)
