/**
 * The host: builds the hosted services in registration order, runs their lifecycle and stops
 * them within the shutdown budget. `make` is the host as a `Layer`; `launch` runs it until a stop
 * is requested, the fiber is interrupted (Ctrl+C under a runner) or a background service fails.
 *
 * The list is read in order, by the types too: a service's requirements are met only by the
 * services listed before it or by the caller. `Host.launch([Worker, CacheLive])` where `Worker`
 * needs `Cache` does not compile; `Host.launch([CacheLive, Worker])` does.
 *
 * @since 0.1.0
 */
import type * as ConfigError from "effect/ConfigError"
import type * as ConfigProvider from "effect/ConfigProvider"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Logger from "effect/Logger"
import type { ApplicationLifetime } from "./ApplicationLifetime.js"
import type { ConfigurationError } from "./ConfigurationError.js"
import type * as HostConfiguration from "./HostConfiguration.js"
import type * as HostEnvironment from "./HostEnvironment.js"
import type { HostError } from "./HostError.js"
import type * as HostOptions from "./HostOptions.js"
import * as internal from "./internal/host.js"

/**
 * Host options: `HostOptions` plus the environment values fixed in code, the configuration and
 * the logger.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends HostOptions.HostOptions {
  readonly environment?: HostEnvironment.Settings | undefined
  /**
   * Where configuration comes from. Default: the layered configuration (`HostConfiguration`:
   * code < appsettings.json < appsettings.{Environment}.json < env < command line), unless the
   * program already installed a `ConfigProvider` of its own, which is then used as is.
   * `HostConfiguration.Options` build the layered configuration with those options; a
   * `ConfigProvider` is used as is; `false` leaves the current provider alone.
   */
  readonly configuration?: HostConfiguration.Options | ConfigProvider.ConfigProvider | false | undefined
  /**
   * The logger for everything the host runs. Default (`true`): `HostLogger` configured from the
   * `Logging` section, in place of Effect's default logger (a logger the program installed in its
   * place is kept). A `Logger` replaces the default logger; `false` leaves logging alone.
   */
  readonly logger?: boolean | Logger.Logger<unknown, unknown> | undefined
}

/**
 * What the host provides to its services (and, as a layer, to the rest of the program).
 *
 * @since 0.1.0
 * @category models
 */
export type Provided = ApplicationLifetime | HostEnvironment.HostEnvironment

/**
 * Any layer, seen only through its type id. A constraint spelled `Layer<never, unknown, unknown>`
 * (or `Layer.Layer.Any`) is also a contextual type: a generic call written inline in the list,
 * `Host.launch([make("A", ...)])`, would take its requirements from it and become `unknown` (or
 * `any`), swallowing the program's requirements. The type id alone gives nothing to infer from.
 */
type AnyLayer = { readonly [Layer.LayerTypeId]: unknown }

/**
 * What `make`/`launch` accept: one hosted-service layer or a list, in registration order. Write
 * the list inline or `as const`, so that its order is part of its type: for a plain array (whose
 * order the compiler does not know) no member counts as provided to another, and the members of
 * a spread (`[CacheLive, ...workers]`) get only what is listed before it.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = AnyLayer | ReadonlyArray<AnyLayer>

// These distribute over unions: `Layer.Layer.Success` (and friends) of a union of layers with
// different requirements is `never`, and of an empty list `unknown`.
type SuccessOf<L> = L extends Layer.Layer<infer A, infer _E, infer _R> ? A : never
type ErrorOf<L> = L extends Layer.Layer<infer _A, infer E, infer _R> ? E : never
type ContextOf<L> = L extends Layer.Layer<infer _A, infer _E, infer R> ? R : never

type Members<S extends Services> = S extends ReadonlyArray<AnyLayer> ? S[number] : S

/**
 * The requirements left for the caller, read in order: each member's, less what the host
 * provides and what the members before it provide. For a plain array only the host's outputs
 * count (the order is unknown).
 *
 * @since 0.1.0
 * @category type-level
 */
export type Requirements<S extends Services, Available = Provided> = S extends ReadonlyArray<AnyLayer>
  ? S extends readonly [] | readonly [AnyLayer, ...ReadonlyArray<AnyLayer>] ? RequirementsInOrder<S, Available, never>
  : Exclude<ContextOf<S[number]>, Available>
  : Exclude<ContextOf<S>, Available>

// Tail-recursive (an accumulator, the recursive call alone in its branch), so the compiler
// checks lists of hundreds of services without "excessively deep" errors.
// The rest of a list with a spread in it (`[CacheLive, ...workers]`) is an array of unknown order:
// its members need what is available before it, as in a plain array.
type RequirementsInOrder<S, Available, Needed> = S extends readonly [infer Head, ...infer Tail]
  ? RequirementsInOrder<Tail, Available | SuccessOf<Head>, Needed | Exclude<ContextOf<Head>, Available>>
  : S extends readonly [] ? Needed
  : Needed | Exclude<ContextOf<S extends ReadonlyArray<infer Member> ? Member : never>, Available>

/**
 * What a member needs that only a member listed after it provides: a wrong order.
 *
 * @since 0.1.0
 * @category type-level
 */
export type ProvidedTooLate<S extends Services, Available = Provided> = ProvidedTooLateLoop<S, Available, never>

type ProvidedTooLateLoop<S, Available, Late> = S extends readonly [infer Head, ...infer Tail]
  ? ProvidedTooLateLoop<
    Tail,
    Available | SuccessOf<Head>,
    Late | Extract<Exclude<ContextOf<Head>, Available>, SuccessOf<Tail[number]>>
  >
  : Late

/**
 * What the compiler shows when the list is in the wrong order: the services a member needs from
 * a member listed after it.
 *
 * @since 0.1.0
 * @category type-level
 */
export interface WrongOrder<Missing> {
  readonly "a service needs what a service listed after it provides; list the provider first": Missing
}

/**
 * `unknown` when the order is right, else a `WrongOrder` naming what is provided too late.
 *
 * @since 0.1.0
 * @category type-level
 */
export type CheckOrder<S extends Services> = [ProvidedTooLate<S>] extends [never] ? unknown : WrongOrder<ProvidedTooLate<S>>

/**
 * What the host provides: `ApplicationLifetime`, `HostEnvironment`, and every member's output.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Success<S extends Services> = Provided | SuccessOf<Members<S>>

/**
 * How the host can fail: a member's layer error, a `HostError`, or invalid configuration. A
 * member that fails with Effect's `ConfigError` is reported as a `ConfigurationError` (naming the
 * key and where its value came from), so `ConfigError` is not in this union.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Error<S extends Services> = Exclude<ErrorOf<Members<S>>, ConfigError.ConfigError> | HostError | ConfigurationError

const toArray = (services: Services): ReadonlyArray<Layer.Layer<never, unknown, unknown>> =>
  // The public types check the list; the implementation only needs layers.
  (Array.isArray(services) ? services : [services]) as ReadonlyArray<Layer.Layer<never, unknown, unknown>>

/**
 * The host as a `Layer`: acquiring it builds and starts every hosted service, releasing it stops
 * them. It provides `ApplicationLifetime`, `HostEnvironment` and whatever the services provide.
 * A failed start fails the build with the `HostError`; a stop requested during the start
 * (`stopApplication`) rolls the start back and interrupts the build, so the program that needs
 * the host does not run. A stop requested after the start (`stopApplication`, a background
 * service failing under `"StopHost"`) stops the services at once, while the program goes on
 * until it ends (wait on `ApplicationLifetime.stopping` to end with it; `launch` does that for
 * you). What went wrong after the start (that background failure, a failing stop, the shutdown
 * deadline) is not lost: releasing the layer dies with the `HostError`, so the program's exit is
 * a failure carrying it, and `NodeHost.runMain` exits with its code.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ApplicationLifetime, Host, HostedService } from "effect-host"
 * import { Effect } from "effect"
 *
 * const Worker = HostedService.make("Worker", { start: Effect.log("up"), stop: Effect.log("down") })
 *
 * const program = Effect.gen(function*() {
 *   yield* ApplicationLifetime.started
 * }).pipe(Effect.provide(Host.make([Worker])))
 * ```
 */
export const make = <const S extends Services>(
  services: S & CheckOrder<S>,
  options?: Options
): Layer.Layer<Success<S>, Error<S>, Requirements<S>> =>
  // The types above compute output and requirements; the implementation is untyped over them.
  internal.make(toArray(services), options) as unknown as Layer.Layer<Success<S>, Error<S>, Requirements<S>>

/**
 * Runs the host until it is stopped: by `ApplicationLifetime.stopApplication`, by interruption
 * (a runner's Ctrl+C), or by a failing background service under `"StopHost"`. The stop is bounded
 * by `shutdownTimeout`. Succeeds on a graceful stop, fails with a `HostError` otherwise. When it
 * is interrupted and the stop then fails or hits its deadline, the `HostError` is added to the
 * interruption as a defect, so even a runner that knows nothing of hosts (plain
 * `NodeRuntime.runMain`) reports it and exits non-zero; `NodeHost.runMain` gives exact exit codes.
 *
 * @since 0.1.0
 * @category running
 * @example
 * ```ts
 * import { Host, HostedService } from "effect-host"
 * import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
 * import { Context, Effect, Layer } from "effect"
 *
 * class Cache extends Context.Tag("app/Cache")<Cache, { readonly get: Effect.Effect<string> }>() {}
 * const CacheLive = Layer.succeed(Cache, { get: Effect.succeed("hit") })
 * const Worker = HostedService.make("Worker", { start: Effect.flatMap(Cache, (c) => c.get) })
 *
 * Host.launch([CacheLive, Worker]).pipe(NodeRuntime.runMain)
 * // Host.launch([Worker, CacheLive]) does not compile: Worker needs Cache, listed after it
 * ```
 */
export const launch = <const S extends Services>(
  services: S & CheckOrder<S>,
  options?: Options
): Effect.Effect<void, Error<S>, Requirements<S>> =>
  internal.launch(toArray(services), options) as unknown as Effect.Effect<void, Error<S>, Requirements<S>>
