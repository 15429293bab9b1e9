/**
 * The host's log format and levels when the configuration itself is broken.
 *
 * A malformed `appsettings.json` fails the host before it installs its logger, so whoever reports
 * that failure (the runner) has no host logger to use and would print it with a pretty
 * multi-line logger, in Production too. This decides what the host's logger would have been from
 * what can be known without the files: the options given in code, the command line and the
 * environment variables. The environment name is resolved as the host resolves it (code >
 * `--environment` > `EFFECT_HOST_ENVIRONMENT` > `ENVIRONMENT` > values in code > `NODE_ENV` >
 * `Production`): Development logs pretty, everything else JSON, unless `Logging:Format` says
 * otherwise; `Logging:LogLevel:*` and `Logging:Output` apply as well. An invalid value falls back
 * to its default: this logger reports a failure, it does not find more.
 *
 * Usage (the runner): `fallbackLogger({ options })` with the options the failed host offered on
 * `currentOptionsWatch` reads `process.env` and `process.argv` as that host would; the logger is
 * a stand-in, so a host that does start replaces it with its own.
 *
 * @internal
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import type * as Logger from "effect/Logger"
import type * as HostConfiguration from "../../HostConfiguration.js"
import type * as HostEnvironment from "../../HostEnvironment.js"
import type { Format, Settings } from "../../HostLogger.js"
import * as Build from "./build.js"
import * as Environment from "./environment.js"
import * as HostLogger from "./logger.js"
import * as Provider from "./provider.js"

export interface FallbackInput {
  /**
   * The host's options given in code, when known (`Host.launch`'s `environment` and
   * `configuration`): a fixed environment name, values in code, and `env` / `args` / `envPrefix`
   * replace the process's as they do for the host.
   */
  readonly options?: {
    readonly environment?: HostEnvironment.Settings | undefined
    readonly configuration?: HostConfiguration.Options | ConfigProvider.ConfigProvider | false | undefined
  } | undefined
  /** The environment variables; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** The command-line arguments; default `process.argv.slice(2)`. */
  readonly args?: ReadonlyArray<string> | undefined
}

export interface Fallback {
  readonly environmentName: string
  readonly isDevelopment: boolean
  readonly settings: Settings
  /** The format that applies (`Logging:Format`, else by the environment name). */
  readonly format: Format
}

const isProvider = (u: unknown): u is ConfigProvider.ConfigProvider =>
  typeof u === "object" && u !== null && ConfigProvider.ConfigProviderTypeId in u

/** Decides the environment name and the logger's settings without reading any file. */
export const resolve = (input: FallbackInput = {}): Fallback => {
  const configuration = input.options?.configuration
  const code = configuration === false || configuration === undefined || isProvider(configuration) ? {} : configuration
  const fixedName = input.options?.environment?.environmentName
  const built = Build.withoutFiles({
    ...code,
    environmentName: fixedName !== undefined && fixedName.trim() !== "" ? fixedName : code.environmentName,
    env: code.env ?? input.env ?? process.env,
    args: code.args ?? input.args ?? process.argv.slice(2)
  })
  const environmentName = built.environmentName
  const isDevelopment = Environment.make({ applicationName: "app", environmentName, contentRootPath: "." }).isDevelopment
  const settings = Effect.runSync(
    HostLogger.read.pipe(
      Effect.map((read) => read.settings),
      Effect.orElseSucceed(() => HostLogger.defaults),
      Effect.withConfigProvider(Provider.make(built))
    )
  )
  return { environmentName, isDevelopment, settings, format: HostLogger.formatFor(settings, { isDevelopment }) }
}

/**
 * The host's logger as it would have been configured without the files; a stand-in for Effect's
 * default logger. Install it with the fiber's minimum level set to `lowestLevel(settings)`
 * (`HostLogger.install` does both) when the level matters.
 */
export const fallbackLogger = (input: FallbackInput = {}): Logger.Logger<unknown, void> => {
  const { isDevelopment, settings } = resolve(input)
  return HostLogger.standIn(HostLogger.make(settings, { isDevelopment }))
}
