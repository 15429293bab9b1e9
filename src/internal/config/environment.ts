/**
 * `HostEnvironment`: building an environment from values, the default application name, and the
 * resolution code > configuration > `NODE_ENV` > defaults.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Environment, Settings } from "../../HostEnvironment.js"
import { ConfigurationError, type Issue } from "./error.js"
import * as Read from "./read.js"
import * as Source from "./source.js"

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

/**
 * The last package.json read, by path and modification time: a process that starts many hosts
 * (tests, a worker pool) reads and parses it once, and an edit is still seen.
 */
let lastPackage: { readonly file: string; readonly mtimeMs: number; readonly name: string | undefined } | undefined

const packageName = (file: string): string | undefined => {
  const stat = fs.statSync(file, { throwIfNoEntry: false })
  if (stat === undefined) return undefined
  if (lastPackage?.file === file && lastPackage.mtimeMs === stat.mtimeMs) return lastPackage.name
  let name: string | undefined
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
    if (typeof pkg === "object" && pkg !== null && "name" in pkg && typeof pkg.name === "string" && pkg.name.length > 0) {
      name = pkg.name
    }
  } catch {
    // Not readable or not JSON: no name from it.
  }
  lastPackage = { file, mtimeMs: stat.mtimeMs, name }
  return name
}

export const defaultApplicationName = (contentRootPath: string): string => {
  const name = packageName(path.join(contentRootPath, "package.json"))
  if (name !== undefined) return name
  // No readable package.json: fall back to the entry file, which is just as good a name.
  const entry = process.argv[1]
  return entry ? path.basename(entry, path.extname(entry)) : "app"
}

/** `development` from NODE_ENV reads as `Development`, matching the well-known names. */
export const normalizeName = (name: string): string => {
  const known = Object.values(Environments).find((n) => n.toLowerCase() === name.toLowerCase())
  return known ?? name
}

/**
 * What is wrong with an environment name, if anything: it selects a file
 * (`appsettings.{Environment}.json`), so it must be a name, not a path.
 */
export const nameProblem = (name: string): string | undefined =>
  /[/\\]/.test(name) || name.trim() === "." || name.trim() === ".."
    ? `Expected an environment name (it selects appsettings.{Environment}.json), not a path, actual ${JSON.stringify(name)}`
    : undefined

/** The issues of the values given in code: a blank string is a mistake, not "unset". */
export const codeIssues = (settings: Settings): ReadonlyArray<Issue> => {
  const issues: Array<Issue> = []
  for (const name of ["environmentName", "applicationName", "contentRootPath"] as const) {
    const value: unknown = settings[name]
    if (value === undefined) continue
    if (typeof value !== "string" || value.trim() === "") {
      issues.push({
        key: `environment.${name}`,
        message: `Expected a non-empty string (leave it out to use configuration), actual ${JSON.stringify(value) ?? typeof value}`,
        source: Source.option
      })
    }
  }
  if (typeof settings.environmentName === "string") {
    const problem = nameProblem(settings.environmentName)
    if (problem !== undefined) issues.push({ key: "environment.environmentName", message: problem, source: Source.option })
  }
  return issues
}

const optionalString = (key: string) => Config.option(Config.nonEmptyString(key))

/**
 * `NODE_ENV` is everyone's, not a key of the host's: a blank one (`NODE_ENV= node app.js`, an
 * `ENV NODE_ENV=` in a Dockerfile) reads as unset, as npm and most tools read it.
 */
const blankIsUnset = (text: Option.Option<string>): Option.Option<string> => Option.filter(text, (value) => value.trim() !== "")

export const config = Config.all({
  environment: optionalString(configKeys.environment),
  nodeEnv: Config.map(Config.option(Config.string("NODE_ENV")), blankIsUnset),
  applicationName: optionalString(configKeys.applicationName),
  contentRoot: optionalString(configKeys.contentRoot)
})
/**
 * What `config` reads, from effect-host's store (see `Read.fromStore`): each key's text when it
 * has one. An empty text (`Config.nonEmptyString` rejects it) or a value-less switch is read
 * through `config`, for its error.
 */
export const direct = (look: Read.StoreLook): Config.Config.Success<typeof config> | undefined => {
  let rejected = false
  const text = (key: string): Option.Option<string> => {
    const value = look.value([key])
    if (value === undefined || (Option.isSome(value) && value.value === "")) rejected = true
    return value ?? Option.none()
  }
  // A value-less switch (`undefined`) goes through `config` for its error, as the others do.
  const nodeEnvText = look.value(["NODE_ENV"])
  const values = {
    environment: text(configKeys.environment),
    nodeEnv: nodeEnvText === undefined ? text("NODE_ENV") : blankIsUnset(nodeEnvText),
    applicationName: text(configKeys.applicationName),
    contentRoot: text(configKeys.contentRoot)
  }
  return rejected ? undefined : values
}

export const resolve = (settings: Settings = {}): Effect.Effect<Environment, ConfigurationError> =>
  Effect.gen(function*() {
    const issues = [...codeIssues(settings)]
    const read = yield* Effect.either(Read.fromStore(config, direct))
    if (Either.isLeft(read)) return yield* Effect.fail(new ConfigurationError({ issues: [...issues, ...read.left.issues] }))
    const fromConfig = read.right
    const given = (value: string | undefined) => (value !== undefined && value.trim() !== "" ? value : undefined)
    const contentRootPath = path.resolve(
      given(settings.contentRootPath) ?? Option.getOrElse(fromConfig.contentRoot, () => process.cwd())
    )
    const configured = Option.match(fromConfig.environment, {
      onNone: () => Option.map(fromConfig.nodeEnv, (name) => ({ name, key: "NODE_ENV" })),
      onSome: (name) => Option.some({ name, key: configKeys.environment })
    })
    if (given(settings.environmentName) === undefined && Option.isSome(configured)) {
      const problem = nameProblem(configured.value.name)
      if (problem !== undefined) {
        issues.push({ key: configured.value.key, message: problem, source: yield* Read.sourceAt([configured.value.key]) })
      }
    }
    if (issues.length > 0) return yield* Effect.fail(new ConfigurationError({ issues }))
    const environmentName = given(settings.environmentName) ??
      Option.getOrElse(Option.map(configured, (c) => c.name), () => Environments.Production)
    const applicationName = given(settings.applicationName) ??
      Option.getOrElse(fromConfig.applicationName, () => defaultApplicationName(contentRootPath))
    return make({ applicationName, environmentName: normalizeName(environmentName), contentRootPath })
  })
