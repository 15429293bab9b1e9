/**
 * The host environment (.NET's `IHostEnvironment`): application name, environment name and
 * content root, resolved once when the host is built.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ConfigurationError } from "./ConfigurationError.js"
import * as internal from "./internal/config/environment.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Environment {
  readonly applicationName: string
  readonly environmentName: string
  readonly contentRootPath: string
  readonly isDevelopment: boolean
  readonly isStaging: boolean
  readonly isProduction: boolean
  /** Case-insensitive comparison with the environment name, as in .NET. */
  readonly isEnvironment: (name: string) => boolean
}

/**
 * Well-known environment names.
 *
 * @since 0.1.0
 * @category constants
 */
export const Environments: {
  readonly Development: "Development"
  readonly Staging: "Staging"
  readonly Production: "Production"
} = internal.Environments

/**
 * Configuration keys read by {@link resolve} (as in .NET's host configuration).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys: {
  readonly environment: "environment"
  readonly applicationName: "applicationName"
  readonly contentRoot: "contentRoot"
} = internal.configKeys

/**
 * What the code may fix; anything left out comes from configuration or the defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly applicationName?: string | undefined
  readonly environmentName?: string | undefined
  readonly contentRootPath?: string | undefined
}

/**
 * Builds an environment from explicit values.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (values: {
  readonly applicationName: string
  readonly environmentName: string
  readonly contentRootPath: string
}) => Environment = internal.make

/**
 * The default application name: `name` from `package.json` in the content root, else the entry
 * file's name without extension, else `"app"`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultApplicationName: (contentRootPath: string) => string = internal.defaultApplicationName

/**
 * Resolves the environment, code first, then configuration (`environment`, `applicationName`,
 * `contentRoot`), then `NODE_ENV` for the name, then the defaults (`Production`, the current
 * working directory, the package name). Values given in code must be non-empty strings, and an
 * environment name must be a name, not a path (it selects `appsettings.{Environment}.json`):
 * anything else fails with a `ConfigurationError` naming the option or key and its source, like
 * an unreadable configuration value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve: (settings?: Settings) => Effect.Effect<Environment, ConfigurationError> = internal.resolve

/**
 * A layer with a fixed environment, handy in tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: Settings = {}): Layer.Layer<HostEnvironment, ConfigurationError> =>
  Layer.effect(HostEnvironment, resolve(settings))

/**
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { HostEnvironment } from "effect-host"
 * import { Effect } from "effect"
 *
 * const banner = Effect.gen(function*() {
 *   const env = yield* HostEnvironment
 *   yield* Effect.log(`${env.applicationName} in ${env.environmentName}`)
 * })
 * ```
 */
export class HostEnvironment extends Effect.Tag("effect-host/HostEnvironment")<HostEnvironment, Environment>() {
  /** Builds an environment from explicit values. */
  static readonly make = make
  /** Resolves the environment from code, configuration and defaults. */
  static readonly resolve = resolve
  /** A layer with the resolved environment, handy in tests. */
  static readonly layer = layer
  /** `Development`, `Staging`, `Production`. */
  static readonly Environments = Environments
  /** The configuration keys read by `resolve`. */
  static readonly configKeys = configKeys
}

/**
 * @since 0.1.0
 */
export declare namespace HostEnvironment {
  /** @since 0.1.0 */
  export type Settings = HostEnvironmentSettings
  /** @since 0.1.0 */
  export type Values = Environment
}

type HostEnvironmentSettings = Settings
