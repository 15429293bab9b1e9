/**
 * Building and running a host: configuration first, then the services' layers in registration
 * order (each sees the outputs of the ones before it), then the engine's start; closing the
 * scope stops it. `Host.make` and `Host.launch` are thin types over these.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import type { ConfigurationError } from "../ConfigurationError.js"
import type { HostError } from "../HostError.js"
import type { Options } from "../Host.js"
import * as HostSetup from "./config/hostSetup.js"
import * as Engine from "./engine.js"
import { currentHostContext, type HostContext } from "./hostContext.js"
import * as HostedService from "./hostedService.js"
import { belowFloor } from "./logFloor.js"
import { ApplicationLifetimeTag, HostEnvironmentTag } from "./tags.js"
import { currentOptionsWatch, currentWatch, type WatchedHost } from "./watch.js"

/** Any layer, as the implementation sees the list (the public types check it). */
type AnyService = Layer.Layer<never, unknown, unknown>

export interface Built {
  readonly engine: Engine.Engine
  readonly context: Context.Context<never>
}

/** Offers the host to the watcher around the program (a runner, `TestHost`), if there is one. */
const publish = (engine: Engine.Engine, setup: HostSetup.Setup) =>
  Effect.gen(function*() {
    const watch = yield* FiberRef.get(currentWatch)
    if (Option.isNone(watch)) return false
    const loggers = yield* FiberRef.get(FiberRef.currentLoggers)
    const level = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const provider = yield* Effect.configProviderWith(Effect.succeed)
    const host: WatchedHost = {
      ...engine.handle,
      environment: setup.environment,
      suppressStatusMessages: setup.suppressStatusMessages,
      withHost: (effect) =>
        effect.pipe(
          Effect.withConfigProvider(provider),
          Effect.locally(FiberRef.currentMinimumLogLevel, level),
          Effect.locally(FiberRef.currentLoggers, loggers)
        ),
      logs: (at) => LogLevel.greaterThanEqual(at, level) && !belowFloor(loggers, at),
      loggerOutput: setup.loggerOutput
    }
    yield* Queue.offer(watch.value, host)
    return true
  })

/** Sets the fiber's context and the host a hosted-service layer registers with, in one update. */
const setRefs = (context: Context.Context<never>, host: Option.Option<HostContext>) =>
  Effect.updateFiberRefs((fiberId, refs) =>
    FiberRefs.updateManyAs(refs, {
      entries: [[FiberRef.currentContext, [[fiberId, context]]], [currentHostContext, [[fiberId, host]]]]
    })
  )

/**
 * Builds and starts a host in the current scope; closing the scope stops it. Yields the engine,
 * the context the services provide, whether a watcher observes the host, and how the start
 * ended (`StoppedDuringStart`: a stop request came first, and the start was rolled back).
 */
export const build = (
  services: ReadonlyArray<AnyService>,
  options: Options = {},
  /**
   * For `launch`: when no watcher observes the host, an interruption (Ctrl+C under plain
   * `NodeRuntime.runMain`) that meets a failed or cut stop re-raises the `HostError` as a defect,
   * so that runner exits non-zero. Registered before the start, so an interruption during the
   * start (whose rollback may fail, or abandon a hook) is covered too.
   */
  reraiseOnInterrupt = false
): Effect.Effect<
  Built & { readonly watched: boolean; readonly started: Engine.StartOutcome },
  HostError | ConfigurationError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    // Installs the configuration and the logger for the rest of the scope; invalid host
    // configuration is reported below, together with the services' configuration errors.
    const optionsWatch = yield* FiberRef.get(currentOptionsWatch)
    if (Option.isSome(optionsWatch)) yield* Queue.offer(optionsWatch.value, options)
    const setup = yield* HostSetup.prepare(options)
    const engine = yield* Engine.make(setup.options)
    const watched = yield* publish(engine, setup)

    const provided = Context.make(ApplicationLifetimeTag, engine.lifetime).pipe(
      Context.add(HostEnvironmentTag, setup.environment)
    )
    // One memo map per host: a layer listed twice, or shared by two services, is built once.
    const memoMap = yield* Layer.makeMemoMap
    const scope = yield* Effect.scope
    const configErrors: Array<ConfigurationError> = setup.error === undefined ? [] : [setup.error]
    // Each member is built with what the host provides and what the members before it provide,
    // over the caller's context; the hosted-service layers register with this host meanwhile.
    // The fiber's context is set once per member (one fiber-refs update) instead of an
    // `Effect.provide` per member (an acquire/use/release with two updates), and both refs are
    // put back once, however the build ends.
    const buildServices = Effect.gen(function*() {
      let context: Context.Context<never> = provided as Context.Context<never>
      let visible = Context.merge(yield* Effect.context<never>(), context)
      // A plain hosted service registers without being built (see
      // HostedService.directRegistration). Its hooks' `Scope` is this one, made now, as a
      // member's layer scope would be: what a start hook adds to it is released after the stop.
      const directScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      let visibleToDirect = Context.add(visible, Scope.Scope, directScope)
      for (const service of services) {
        const registration = HostedService.directRegistration(service)
        if (registration !== undefined) {
          engine.hostContext.register(registration(visibleToDirect))
          continue
        }
        yield* setRefs(visible, Option.some(engine.hostContext))
        const exit = yield* Effect.exit(Layer.buildWithMemoMap(service, memoMap, scope))
        if (Exit.isSuccess(exit)) {
          // Most members (hosted services) provide nothing: no copy for them.
          if (exit.value.unsafeMap.size > 0) {
            context = Context.merge(context, exit.value)
            visible = Context.merge(visible, exit.value)
            visibleToDirect = Context.add(visible, Scope.Scope, directScope)
          }
          continue
        }
        // Invalid configuration: keep building the other services so that every invalid key is
        // reported at once, still before any service starts. Anything else fails at once.
        const onlyFailures = !Cause.isDie(exit.cause) && !Cause.isInterrupted(exit.cause)
        const configError = yield* HostSetup.asConfigurationError(onlyFailures ? [...Cause.failures(exit.cause)] : [])
        if (Option.isSome(configError)) {
          configErrors.push(configError.value)
          continue
        }
        if (configErrors.length === 0 || Cause.isInterrupted(exit.cause)) {
          return yield* Effect.failCause((yield* HostSetup.withConfigurationErrors(exit.cause)) as Cause.Cause<never>)
        }
        // After invalid configuration, a member that fails otherwise most likely needs what a
        // member that failed on its configuration would have provided ("Service not found"): the
        // configuration errors are the report (exit 78), and the build stops here. The failure
        // itself is logged, not lost.
        yield* Effect.logWarning("A hosted service could not be built after the invalid configuration reported with it", exit.cause)
        break
      }
      return context
    })
    const context = yield* Effect.flatMap(
      Effect.all([Effect.context<never>(), FiberRef.get(currentHostContext)]),
      ([outerContext, outerHost]) => Effect.ensuring(buildServices, setRefs(outerContext, outerHost))
    )
    if (configErrors.length > 0) {
      // Every one of them is a ConfigurationError, so this merges them into one.
      const merged = yield* HostSetup.asConfigurationError(configErrors)
      if (Option.isSome(merged)) return yield* Effect.fail(merged.value)
    }
    // Added after the services were built, so the stop runs before their layers are released.
    yield* Effect.addFinalizer(() => engine.stop)
    if (reraiseOnInterrupt && !watched) {
      yield* Effect.addFinalizer((exit) =>
        Exit.isInterrupted(exit) ? Effect.orDie(Effect.zipRight(engine.stop, engine.result)) : Effect.void
      )
    }
    const started = yield* engine.start
    return { engine, context, watched, started }
  }).pipe(Effect.annotateLogs({ host: "effect-host" })) as Effect.Effect<
    // The services' requirements are the caller's (`Host.Requirements` types them); here they
    // are `unknown`, as the list is untyped.
    Built & { readonly watched: boolean; readonly started: Engine.StartOutcome },
    HostError | ConfigurationError,
    Scope.Scope
  >

/**
 * The host as a layer: its context is what the host and the services provide. A host stopped
 * during its start (`stopApplication`, rolled back, nothing left running) interrupts the layer's
 * build, as .NET's `StartAsync` is cancelled: the program that needs the host does not run
 * against services that were stopped again (and would wait for a `started` that never comes).
 *
 * What goes wrong after the start (a background service failing under `StopHost`, a failing
 * stop, the shutdown deadline) cannot fail the layer's build any more: releasing the layer dies
 * with the `HostError`, so the program's exit is a failure carrying it (and `NodeHost.runMain`
 * gives its exit code) instead of a success that hid it.
 */
export const make = (services: ReadonlyArray<AnyService>, options?: Options): Layer.Layer<never, HostError | ConfigurationError> =>
  Layer.scopedContext(
    Effect.flatMap(build(services, options), ({ context, engine, started }) =>
      started === "StoppedDuringStart"
        ? Effect.interrupt
        // Runs before the stop `build` registered (finalizers run last-added first), so it
        // stops the host itself, then reads the outcome.
        : Effect.as(Effect.addFinalizer(() => Effect.orDie(Effect.zipRight(engine.stop, engine.result))), context))
  )

/** Runs the host until it is stopped. */
export const launch = (services: ReadonlyArray<AnyService>, options?: Options): Effect.Effect<void, HostError | ConfigurationError> =>
  Effect.scoped(Effect.gen(function*() {
    // A watcher (NodeHost.runMain, TestHost) reads the host's outcome from its handle. Any other
    // runner only sees "interrupted" after its Ctrl+C, and plain NodeRuntime.runMain would exit
    // 0 although the stop failed or hit its deadline: `build` re-raises the HostError as a
    // defect then, so such a runner logs it and exits non-zero.
    const { engine } = yield* build(services, options, true)
    return yield* engine.result
  }))
