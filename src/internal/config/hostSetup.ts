/**
 * What the host does with configuration before it builds a single service:
 *
 *   1. choose the `ConfigProvider` (the layered one by default) and install it for the scope;
 *   2. read `HostOptions`, `HostEnvironment`, the `Logging` section and `suppressStatusMessages`
 *      together, so every invalid key (and every invalid option given in code) is known at once
 *      (a failure falls back to defaults and is reported after the services' layers were built,
 *      together with their own configuration errors, before any service starts);
 *   3. install the host's logger;
 *   4. over a configuration that reloads: keep the host's keys valid across reloads (a reload in
 *      which they are invalid is rejected), let the host logger follow the `Logging` section, and
 *      watch the files for the host's scope (`watcher.ts`).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as HostConfiguration from "../../HostConfiguration.js"
import type * as HostEnvironment from "../../HostEnvironment.js"
import type * as HostLoggerModule from "../../HostLogger.js"
import type * as HostOptions from "../../HostOptions.js"
import * as Configuration from "./configuration.js"
import * as Environment from "./environment.js"
import { ConfigurationError } from "./error.js"
import * as Options from "./hostOptions.js"
import * as HostKeys from "./hostKeys.js"
import * as HostLogger from "./logger.js"
import { configurationOf } from "./provider.js"
import * as Live from "./live.js"
import * as Read from "./read.js"
import * as Watcher from "./watcher.js"
import * as ScopedRefs from "../scopedRefs.js"
import { withSpanWhenTracing } from "../tracing.js"

/** The configuration-related host options (see `Host.Options`). */
export interface SetupOptions extends HostOptions.HostOptions {
  readonly environment?: HostEnvironment.HostEnvironment.Settings | undefined
  readonly configuration?: HostConfiguration.Options | ConfigProvider.ConfigProvider | false | undefined
  readonly logger?: boolean | Logger.Logger<unknown, unknown> | undefined
}

/**
 * The host key the runner applies: `suppressStatusMessages=true` hides .NET's status lines
 * ("Application started. Press Ctrl+C to shut down." and the others).
 */
export const suppressStatusMessagesKey: string = HostKeys.suppressStatusMessages

export interface Setup {
  readonly options: HostOptions.Resolved
  readonly environment: HostEnvironment.Environment
  /**
   * `suppressStatusMessages` from configuration, validated with the other host keys (`None`:
   * not set, or invalid, in which case `error` says so). The runner applies it: an option given
   * to the runner in code wins, else this, else `false`.
   */
  readonly suppressStatusMessages: Option.Option<boolean>
  /** Invalid host configuration, to be reported with the services' configuration errors. */
  readonly error: ConfigurationError | undefined
  /**
   * The format and output of the host's own logger now (they follow reloads), for a line a
   * runner must write without it (the watchdog thread's); `undefined`: the program logs with a
   * logger of its own.
   */
  readonly loggerOutput: () => LoggerOutput | undefined
}

export interface LoggerOutput {
  readonly format: HostLoggerModule.Format
  readonly output: HostLoggerModule.Output
}

const isProvider = (u: unknown): u is ConfigProvider.ConfigProvider =>
  typeof u === "object" && u !== null && ConfigProvider.ConfigProviderTypeId in u

/**
 * The provider the host uses: an explicit one; `false`: whatever is current; options: a layered
 * provider built from them; nothing: the current provider when the program installed one (ours
 * via `HostConfiguration.layer`, or its own), else a layered provider with the defaults.
 */
const chooseProvider = (options: SetupOptions): Effect.Effect<ConfigProvider.ConfigProvider | undefined, ConfigurationError> => {
  const configuration = options.configuration
  if (configuration === false) return Effect.succeed(undefined)
  if (isProvider(configuration)) return Effect.succeed(configuration)
  // `environment` fixed in code is what HostEnvironment reports, so it also selects the files.
  // (A blank one is reported by the environment's resolution, under its own option name.)
  const given = (value: string | undefined) => (typeof value === "string" && value.trim() !== "" ? value : undefined)
  const fromCode = {
    environmentName: given(options.environment?.environmentName) ?? configuration?.environmentName,
    contentRoot: given(options.environment?.contentRootPath) ?? configuration?.contentRoot
  }
  if (configuration !== undefined) return Configuration.make({ ...configuration, ...fromCode })
  return Effect.configProviderWith((current) =>
    Configuration.isEffectDefault(current) ? Configuration.make(fromCode) : Effect.succeed(undefined)
  )
}

/** The host's keys, read together: every invalid one is known at once. */
const readHostKeys = (options: SetupOptions) =>
  Effect.all([
    Effect.either(Options.resolve(options)),
    Effect.either(Environment.resolve(options.environment)),
    Effect.either(HostLogger.settings),
    Effect.either(Read.unlessUnset([[suppressStatusMessagesKey]], Config.option(Config.boolean(suppressStatusMessagesKey)), Option.none())),
    Read.sectionsForValues(HostKeys.valueKeys.map((key) => [key]))
  ]).pipe(Effect.map(([hostOptions, environment, logging, suppress, sections]) => {
    const results = [hostOptions, environment, logging, suppress] as const
    const all: ReadonlyArray<Either.Either<unknown, ConfigurationError>> = results
    const errors = all.flatMap((result) => Option.toArray(Either.getLeft(result)))
    return { results, errors: sections.length > 0 ? [...errors, new ConfigurationError({ issues: sections })] : errors }
  }))

/**
 * What a reload must pass for the host: its keys still validate (they apply at start only, but an
 * invalid one would fail the next start); a following host logger takes the new `Logging` section.
 */
const hostKeysCheck = (options: SetupOptions, logger: HostLogger.Current | undefined): Live.Check => ({
  run: (candidate) =>
    Effect.flatMap(Effect.withConfigProvider(readHostKeys(options), candidate.provider), ({ errors, results }) => {
      if (errors.length > 0) return Effect.fail(ConfigurationError.merge(errors))
      const logging = results[2]
      return Effect.succeed(logger === undefined || Either.isLeft(logging) ? undefined : () => logger.set(logging.right))
    })
})

export const prepare = (options: SetupOptions): Effect.Effect<Setup, ConfigurationError, Scope.Scope> =>
  Effect.gen(function*() {
    const provider = yield* chooseProvider(options)
    if (provider !== undefined) {
      yield* ScopedRefs.setScoped([ScopedRefs.setting(DefaultServices.currentServices, (services) => Context.add(services, ConfigProvider.ConfigProvider, provider))])
    }
    const configuration = yield* Effect.configProviderWith((current) => Effect.succeed(configurationOf(current)))
    const live = configuration?.live

    const { errors, results: [hostOptions, environment, logging, suppress] } = yield* readHostKeys(options)
    const env = Either.getOrElse(environment, () => Environment.make({
      applicationName: options.environment?.applicationName ?? "app",
      environmentName: options.environment?.environmentName ?? Environment.Environments.Production,
      contentRootPath: options.environment?.contentRootPath ?? process.cwd()
    }))

    let following: HostLogger.Current | undefined
    let loggerOutput: () => LoggerOutput | undefined = () => undefined
    if (options.logger !== false) {
      const settings = Either.getOrElse(logging, () => HostLogger.defaults)
      const custom = options.logger === undefined || options.logger === true ? undefined : options.logger
      const formatOf = (now: HostLoggerModule.Settings): LoggerOutput => ({ format: HostLogger.formatFor(now, env), output: now.output })
      // With the default, a logger the program installed in place of Effect's is respected.
      if (custom === undefined && live !== undefined && Live.reloadsOnChange(live)) {
        const current = new HostLogger.Current(settings, env)
        if (yield* HostLogger.installFollowing(current, { replaceDefaultOnly: true })) {
          following = current
          loggerOutput = () => formatOf(current.settings)
        }
      } else {
        const installed = yield* HostLogger.install(custom ?? HostLogger.make(settings, env), settings, { replaceDefaultOnly: custom === undefined })
        if (installed && custom === undefined) loggerOutput = () => formatOf(settings)
      }
    }

    if (configuration !== undefined && live !== undefined) {
      yield* Live.registerScoped(live, hostKeysCheck(options, following))
      // Started after the logger is installed: the watcher logs through it.
      yield* Watcher.watch(configuration)
    }

    return {
      options: Either.getOrElse(hostOptions, () => Options.defaults),
      environment: env,
      suppressStatusMessages: Either.getOrElse(suppress, () => Option.none()),
      error: errors.length > 0 ? ConfigurationError.merge(errors) : undefined,
      loggerOutput
    }
  }).pipe(withSpanWhenTracing("Host.configure", { captureStackTrace: false }))

/**
 * The failures of a service layer that did not build, as one `ConfigurationError`, when they are
 * all configuration errors (the host then keeps building the other services to report every
 * invalid key at once); `None` when anything else went wrong.
 */
export const asConfigurationError = (failures: ReadonlyArray<unknown>): Effect.Effect<Option.Option<ConfigurationError>> =>
  Effect.configProviderWith((provider) => {
    if (failures.length === 0) return Effect.succeed(Option.none())
    const errors: Array<ConfigurationError> = []
    for (const failure of failures) {
      if (failure instanceof ConfigurationError) errors.push(failure)
      else if (ConfigError.isConfigError(failure)) errors.push(Read.fromConfigError(failure, configurationOf(provider)))
      else return Effect.succeed(Option.none())
    }
    return Effect.succeed(Option.some(ConfigurationError.merge(errors)))
  })

/**
 * A service layer's failure as the host reports it: every `ConfigError` in it (next to other
 * failures, which `asConfigurationError` does not merge) becomes a `ConfigurationError`, so the
 * host never fails with a bare `ConfigError` (`Host.Error` leaves it out).
 */
export const withConfigurationErrors = <E>(cause: Cause.Cause<E>): Effect.Effect<Cause.Cause<unknown>> =>
  Effect.configProviderWith((provider) =>
    Effect.succeed(Cause.map(cause, (failure): unknown =>
      ConfigError.isConfigError(failure) ? Read.fromConfigError(failure, configurationOf(provider)) : failure
    ))
  )
