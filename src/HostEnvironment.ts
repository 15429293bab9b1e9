/**
 * The host environment (.NET's `IHostEnvironment`): application name, environment name and
 * content root, resolved once when the host is built.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type { ConfigError } from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"

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
export const Environments = { Development: "Development", Staging: "Staging", Production: "Production" } as const

/**
 * Configuration keys read by {@link resolve} (as in .NET's host configuration).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys = {
  environment: "environment",
  applicationName: "applicationName",
  contentRoot: "contentRoot"
} as const

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
export function make(values: {
  readonly applicationName: string
  readonly environmentName: string
  readonly contentRootPath: string
}): Environment {
  const is = (name: string) => values.environmentName.toLowerCase() === name.toLowerCase()
  return {
    ...values,
    isDevelopment: is(Environments.Development),
    isStaging: is(Environments.Staging),
    isProduction: is(Environments.Production),
    isEnvironment: is
  }
}

/**
 * The default application name: `name` from `package.json` in the content root, else the entry
 * file's name without extension, else `"app"`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultApplicationName = (contentRootPath: string): string => {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(contentRootPath, "package.json"), "utf8"))
    if (typeof pkg === "object" && pkg !== null && "name" in pkg && typeof pkg.name === "string" && pkg.name.length > 0) {
      return pkg.name
    }
  } catch {
    // No readable package.json: fall back to the entry file, which is just as good a name.
  }
  const entry = process.argv[1]
  return entry ? path.basename(entry, path.extname(entry)) : "app"
}

const optionalString = (key: string) => Config.option(Config.nonEmptyString(key))

/**
 * Resolves the environment, code first, then configuration (`environment`, `applicationName`,
 * `contentRoot`), then `NODE_ENV` for the name, then the defaults (`Production`, the current
 * working directory, the package name).
 *
 * @since 0.1.0
 * @category constructors
 */
export function resolve(settings: Settings = {}): Effect.Effect<Environment, ConfigError> {
  return Effect.gen(function*() {
    const fromConfig = yield* Config.all({
      environment: optionalString(configKeys.environment),
      nodeEnv: optionalString("NODE_ENV"),
      applicationName: optionalString(configKeys.applicationName),
      contentRoot: optionalString(configKeys.contentRoot)
    })
    const contentRootPath = path.resolve(
      settings.contentRootPath ?? Option.getOrElse(fromConfig.contentRoot, () => process.cwd())
    )
    const environmentName = settings.environmentName ??
      Option.getOrElse(Option.orElse(fromConfig.environment, () => fromConfig.nodeEnv), () => Environments.Production)
    const applicationName = settings.applicationName ??
      Option.getOrElse(fromConfig.applicationName, () => defaultApplicationName(contentRootPath))
    return make({ applicationName, environmentName: normalizeName(environmentName), contentRootPath })
  })
}

/** `development` from NODE_ENV reads as `Development`, matching the well-known names. */
const normalizeName = (name: string): string => {
  const known = Object.values(Environments).find((n) => n.toLowerCase() === name.toLowerCase())
  return known ?? name
}

/**
 * A layer with a fixed environment, handy in tests.
 *
 * @since 0.1.0
 * @category layers
 */
export function layer(settings: Settings = {}): Layer.Layer<HostEnvironment, ConfigError> {
  return Layer.effect(HostEnvironment, resolve(settings))
}

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
