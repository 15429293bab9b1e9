/**
 * The host: builds the hosted services in registration order, runs their lifecycle and stops
 * them within the shutdown budget. `make` is the host as a `Layer`; `launch` runs it until a stop
 * is requested, the fiber is interrupted (Ctrl+C under a runner) or a background service fails.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import type * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { ApplicationLifetime } from "./ApplicationLifetime.js"
import { ConfigurationError } from "./ConfigurationError.js"
import type * as HostConfiguration from "./HostConfiguration.js"
import * as HostEnvironment from "./HostEnvironment.js"
import type { HostError } from "./HostError.js"
import type * as HostOptions from "./HostOptions.js"
import * as HostSetup from "./internal/config/hostSetup.js"
import * as Engine from "./internal/engine.js"
import { currentHostContext } from "./internal/hostContext.js"
import { currentObserver } from "./internal/observer.js"

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
 * What `make`/`launch` accept: one hosted-service layer or a list, in registration order.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = AnyLayer | ReadonlyArray<AnyLayer>
type Member<S extends Services> = S extends ReadonlyArray<AnyLayer> ? S[number] : S

/**
 * These distribute over the members: `Layer.Layer.Success` (and friends) of a union of layers
 * with different requirements is `never`, which dropped outputs from a mixed list, and of an
 * empty list is `unknown`, which made an empty host require `unknown`.
 *
 * @internal
 */
type SuccessOf<L> = L extends Layer.Layer<infer A, infer _E, infer _R> ? A : never
/** @internal */
type ErrorOf<L> = L extends Layer.Layer<infer _A, infer E, infer _R> ? E : never
/** @internal */
type ContextOf<L> = L extends Layer.Layer<infer _A, infer _E, infer R> ? R : never

/** @internal */
type Out<S extends Services> = Provided | SuccessOf<Member<S>>
/** @internal */
type Err<S extends Services> = ErrorOf<Member<S>> | HostError | ConfigurationError
/**
 * What the program must provide: the members' requirements, less what the host provides and
 * what the members themselves provide (each member sees the outputs of the ones before it).
 *
 * @internal
 */
type In<S extends Services> = Exclude<ContextOf<Member<S>>, Provided | SuccessOf<Member<S>>>

const toArray = (services: Services): ReadonlyArray<Layer.Layer<never, unknown, unknown>> =>
  (Array.isArray(services) ? services : [services]) as ReadonlyArray<Layer.Layer<never, unknown, unknown>>

/**
 * Builds and starts a host in the current scope; closing the scope stops it.
 *
 * @internal
 */
const build = <S extends Services>(services: S, options: Options = {}) =>
  Effect.gen(function*() {
    // Installs the configuration and the logger for the rest of the scope; invalid host
    // configuration is reported below, together with the services' configuration errors.
    const setup = yield* HostSetup.prepare(options)
    const resolved = setup.options
    const environment = setup.environment
    const observer = Option.getOrUndefined(yield* FiberRef.get(currentObserver))
    const engine = yield* Engine.make({
      options: resolved,
      onEvent: observer?.onEvent ?? (() => {}),
      onOutcome: observer?.onOutcome ?? (() => {})
    })
    observer?.onHost?.({ ...engine.handle, environment })

    const provided = Context.make(ApplicationLifetime, engine.lifetime).pipe(
      Context.add(HostEnvironment.HostEnvironment, environment)
    )
    // One memo map per host: a layer listed twice, or shared by two services, is built once.
    const memoMap = yield* Layer.makeMemoMap
    const scope = yield* Effect.scope
    let context: Context.Context<never> = provided as Context.Context<never>
    const configErrors: Array<ConfigurationError> = setup.error === undefined ? [] : [setup.error]
    for (const service of toArray(services)) {
      // Each member sees what the host provides and what the members before it provide.
      const exit = yield* Layer.buildWithMemoMap(service, memoMap, scope).pipe(
        Effect.provide(context),
        Effect.locally(currentHostContext, Option.some(engine.hostContext)),
        Effect.exit
      )
      if (Exit.isSuccess(exit)) {
        context = Context.merge(context, exit.value)
        continue
      }
      // Invalid configuration: keep building the other services so that every invalid key is
      // reported at once, still before any service starts. Anything else fails at once.
      const onlyFailures = !Cause.isDie(exit.cause) && !Cause.isInterrupted(exit.cause)
      const configError = yield* HostSetup.asConfigurationError(onlyFailures ? [...Cause.failures(exit.cause)] : [])
      if (Option.isNone(configError)) return yield* Effect.failCause(exit.cause)
      configErrors.push(configError.value)
    }
    if (configErrors.length > 0) return yield* Effect.fail(ConfigurationError.merge(configErrors))
    // Added after the services were built, so the stop runs before their layers are released.
    yield* Effect.addFinalizer(() => engine.stop)
    yield* Effect.forkScoped(Effect.zipRight(engine.stopRequested, engine.stop))
    yield* engine.start
    return { engine, context: context as Context.Context<Out<S>> }
  }).pipe(
    Effect.annotateLogs({ host: "effect-host" })
  ) as Effect.Effect<
    { readonly engine: Engine.Engine; readonly context: Context.Context<Out<S>> },
    Err<S>,
    In<S> | Scope.Scope
  >

/**
 * The host as a `Layer`: acquiring it builds and starts every hosted service, releasing it stops
 * them. It provides `ApplicationLifetime`, `HostEnvironment` and whatever the services provide.
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
export const make = <const S extends Services>(services: S, options?: Options): Layer.Layer<Out<S>, Err<S>, In<S>> =>
  Layer.scopedContext(Effect.map(build(services, options), ({ context }) => context))

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
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const Worker = HostedService.make("Worker", { start: Effect.log("up"), stop: Effect.log("down") })
 *
 * Host.launch([Worker]).pipe(NodeRuntime.runMain)
 * ```
 */
export const launch = <const S extends Services>(services: S, options?: Options): Effect.Effect<void, Err<S>, In<S>> =>
  Effect.scoped(Effect.gen(function*() {
    const { engine } = yield* build(services, options)
    // A runner that observes the host (NodeHost.runMain, TestHost) learns its outcome from the
    // observer. Any other runner only sees "interrupted" after its Ctrl+C, and plain
    // NodeRuntime.runMain would exit 0 although the stop failed or hit its deadline: re-raise
    // the HostError as a defect, so such a runner logs it and exits non-zero.
    if (Option.isNone(yield* FiberRef.get(currentObserver))) {
      yield* Effect.addFinalizer((exit) =>
        Exit.isInterrupted(exit) ? Effect.orDie(Effect.zipRight(engine.stop, engine.result)) : Effect.void
      )
    }
    return yield* engine.result
  }))
