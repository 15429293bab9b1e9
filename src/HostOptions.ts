/**
 * Options of a host: the names, defaults and configuration keys of .NET's `HostOptions`.
 * Options given in code win over configuration.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { seconds } from "./internal/config/seconds.js"

/**
 * What the host does when a `BackgroundService` fails.
 *
 * @since 0.1.0
 * @category models
 */
export type BackgroundServiceExceptionBehavior = "StopHost" | "Ignore"

/**
 * Options as a user writes them. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostOptions {
  /** One budget for the whole stop (all phases, all services). Default 30 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Budget for the start phases. Default: none (infinite). */
  readonly startupTimeout?: Duration.DurationInput | undefined
  /** Run each start phase's members concurrently (phases stay barriers). Default false. */
  readonly servicesStartConcurrently?: boolean | undefined
  /** Run each stop phase's members concurrently (phases stay barriers). Default false. */
  readonly servicesStopConcurrently?: boolean | undefined
  /** Default `"StopHost"`. */
  readonly backgroundServiceExceptionBehavior?: BackgroundServiceExceptionBehavior | undefined
}

/**
 * Options after defaults and configuration were applied.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly shutdownTimeout: Duration.Duration
  readonly startupTimeout: Option.Option<Duration.Duration>
  readonly servicesStartConcurrently: boolean
  readonly servicesStopConcurrently: boolean
  readonly backgroundServiceExceptionBehavior: BackgroundServiceExceptionBehavior
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaults: Resolved = {
  shutdownTimeout: Duration.seconds(30),
  startupTimeout: Option.none(),
  servicesStartConcurrently: false,
  servicesStopConcurrently: false,
  backgroundServiceExceptionBehavior: "StopHost"
}

/**
 * The configuration keys, as in .NET (top level, not under a section).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys = {
  shutdownTimeout: "shutdownTimeoutSeconds",
  startupTimeout: "startupTimeoutSeconds",
  servicesStartConcurrently: "servicesStartConcurrently",
  servicesStopConcurrently: "servicesStopConcurrently",
  backgroundServiceExceptionBehavior: "backgroundServiceExceptionBehavior"
} as const

const behaviors: ReadonlyArray<BackgroundServiceExceptionBehavior> = ["StopHost", "Ignore"]

// Case-insensitive, as .NET binds enums: `stophost` in an environment variable is `StopHost`.
const behavior = (key: string) =>
  Config.mapOrFail(Config.string(key), (text) => {
    const found = behaviors.find((b) => b.toLowerCase() === text.trim().toLowerCase())
    return found !== undefined
      ? Either.right(found)
      : Either.left(ConfigError.InvalidData([], `Expected one of ${behaviors.join(", ")}, actual ${JSON.stringify(text)}`))
  })

/**
 * Reads the options from the current `ConfigProvider`. Missing keys are `None`; present but
 * invalid keys fail with a `ConfigError` naming the key (all of them, together).
 *
 * @since 0.1.0
 * @category config
 */
export const config = Config.all({
  shutdownTimeout: seconds(configKeys.shutdownTimeout),
  startupTimeout: seconds(configKeys.startupTimeout),
  servicesStartConcurrently: Config.option(Config.boolean(configKeys.servicesStartConcurrently)),
  servicesStopConcurrently: Config.option(Config.boolean(configKeys.servicesStopConcurrently)),
  backgroundServiceExceptionBehavior: Config.option(behavior(configKeys.backgroundServiceExceptionBehavior))
})

/**
 * Applies defaults, then configuration, then the options given in code (code wins).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: HostOptions = {}): Effect.Effect<Resolved, ConfigError.ConfigError> =>
  Effect.map(config, (fromConfig) => ({
    shutdownTimeout: options.shutdownTimeout !== undefined
      ? Duration.decode(options.shutdownTimeout)
      : Option.getOrElse(fromConfig.shutdownTimeout, () => defaults.shutdownTimeout),
    startupTimeout: options.startupTimeout !== undefined
      ? Option.some(Duration.decode(options.startupTimeout))
      : fromConfig.startupTimeout,
    servicesStartConcurrently: options.servicesStartConcurrently ??
      Option.getOrElse(fromConfig.servicesStartConcurrently, () => defaults.servicesStartConcurrently),
    servicesStopConcurrently: options.servicesStopConcurrently ??
      Option.getOrElse(fromConfig.servicesStopConcurrently, () => defaults.servicesStopConcurrently),
    backgroundServiceExceptionBehavior: options.backgroundServiceExceptionBehavior ??
      Option.getOrElse(fromConfig.backgroundServiceExceptionBehavior, () => defaults.backgroundServiceExceptionBehavior)
  }))
