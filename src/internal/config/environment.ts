/**
 * `HostEnvironment`: building an environment from values, the default application name, and the
 * resolution code > configuration > `NODE_ENV` > defaults.
 *
 * @internal
 */
import * as Config from "effect/Config"
import type { ConfigError } from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Environment, Settings } from "../../HostEnvironment.js"

export const Environments = { Development: "Development", Staging: "Staging", Production: "Production" } as const

export const configKeys = {
  environment: "environment",
  applicationName: "applicationName",
  contentRoot: "contentRoot"
} as const

export const make = (values: {
  readonly applicationName: string
  readonly environmentName: string
  readonly contentRootPath: string
}): Environment => {
  const is = (name: string) => values.environmentName.toLowerCase() === name.toLowerCase()
  return {
    ...values,
    isDevelopment: is(Environments.Development),
    isStaging: is(Environments.Staging),
    isProduction: is(Environments.Production),
    isEnvironment: is
  }
}

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

/** `development` from NODE_ENV reads as `Development`, matching the well-known names. */
export const normalizeName = (name: string): string => {
  const known = Object.values(Environments).find((n) => n.toLowerCase() === name.toLowerCase())
  return known ?? name
}

const optionalString = (key: string) => Config.option(Config.nonEmptyString(key))

export const resolve = (settings: Settings = {}): Effect.Effect<Environment, ConfigError> =>
  Effect.gen(function*() {
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
