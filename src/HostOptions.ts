/**
 * Options of a host: the names, defaults and configuration keys of .NET's `HostOptions`.
 * Options given in code win over configuration.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { ConfigurationError } from "./ConfigurationError.js"
import * as internal from "./internal/config/hostOptions.js"

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
  /**
   * One budget for the whole stop (all phases, all services), an Effect `DurationInput`: a bare
   * number is milliseconds (`"30 seconds"`, `Duration.seconds(30)`; the configuration key
   * `shutdownTimeoutSeconds` counts seconds). Default 30 seconds; finite, >= 0,
   * at most 2^31 - 1 ms (24.8 days, the longest timer Node.js has).
   * Zero (as in .NET) lets hooks that finish without waiting complete and cuts the first one
   * that waits; a deadline reached after the work ended is no deadline. Zero is timed by the
   * live clock, also under `TestClock`, so a test sees what production does.
   */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * Budget for the start phases, >= 0 and at most 24.8 days (zero as for `shutdownTimeout`).
   * Default: none (`Infinity` means none too).
   */
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
export const defaults: Resolved = internal.defaults

/**
 * The configuration keys, as in .NET (top level, not under a section).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys: {
  readonly shutdownTimeout: "shutdownTimeoutSeconds"
  readonly startupTimeout: "startupTimeoutSeconds"
  readonly servicesStartConcurrently: "servicesStartConcurrently"
  readonly servicesStopConcurrently: "servicesStopConcurrently"
  readonly backgroundServiceExceptionBehavior: "backgroundServiceExceptionBehavior"
} = internal.configKeys

/**
 * Reads the options from the current `ConfigProvider`. Missing keys are `None`; present but
 * invalid keys fail with a `ConfigError` naming the key (all of them, together).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<{
  readonly shutdownTimeout: Option.Option<Duration.Duration>
  readonly startupTimeout: Option.Option<Duration.Duration>
  readonly servicesStartConcurrently: Option.Option<boolean>
  readonly servicesStopConcurrently: Option.Option<boolean>
  readonly backgroundServiceExceptionBehavior: Option.Option<BackgroundServiceExceptionBehavior>
}> = internal.config

/**
 * Applies defaults, then configuration, then the options given in code (code wins). The options
 * given in code are validated like configuration values: a negative, `NaN` or unparsable
 * duration, an infinite `shutdownTimeout` (the stop must be bounded; `Infinity` is fine for
 * `startupTimeout` and means none), or a value of the wrong kind fails with a
 * `ConfigurationError` naming the option (source: option given in code), together with every
 * invalid configuration key (named with its source).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve: (options?: HostOptions) => Effect.Effect<Resolved, ConfigurationError> = internal.resolve
