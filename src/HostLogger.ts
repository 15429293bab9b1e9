/**
 * The host's logger, configured like .NET's console logging: human-readable in Development,
 * JSON lines everywhere else, minimum level from `Logging:LogLevel:Default`, and per-category
 * levels `Logging:LogLevel:<Category>` where the category is a log annotation `category`, or
 * else the `service` annotation the host puts on everything a hosted service logs.
 *
 * Output (`Logging:Output`): `split` by default, as consoles and .NET do: Information and below
 * on stdout, Warning and above on stderr, so failures and their causes are on stderr while
 * status lines ("Application started…") are where a reader of stdout expects them. `stderr` or
 * `stdout` send everything to one stream.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { ConfigurationError, type Issue } from "./ConfigurationError.js"
import * as Read from "./internal/config/read.js"

/**
 * `pretty`: Effect's pretty logger (multi-line, colours on a terminal). `json`: one JSON object
 * per line (Effect's `jsonLogger`). `logfmt`: `key=value` lines (Effect's `logfmtLogger`).
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "pretty" | "json" | "logfmt"

/**
 * @since 0.1.0
 * @category models
 */
export type Output = "split" | "stderr" | "stdout"

/**
 * What the logger does. `format` undefined means "follow the environment".
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly format?: Format | undefined
  readonly output: Output
  readonly minimumLevel: LogLevel.LogLevel
  /** Category (lower-cased) to level. */
  readonly categories: ReadonlyMap<string, LogLevel.LogLevel>
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaults: Settings = { output: "split", minimumLevel: LogLevel.Info, categories: new Map() }

/**
 * The configuration keys.
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys = {
  section: "Logging",
  /** `Logging:LogLevel:Default`, and `Logging:LogLevel:<Category>` beside it. */
  logLevel: "Logging:LogLevel",
  defaultCategory: "Default",
  /** `pretty`, `json` or `logfmt`; default `pretty` in Development, `json` otherwise. */
  format: "Logging:Format",
  /** `split` (default: below Warning on stdout, the rest on stderr), `stderr` or `stdout`. */
  output: "Logging:Output"
} as const

const levelNames: Record<string, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  information: LogLevel.Info,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  critical: LogLevel.Fatal,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/**
 * Parses a level, case-insensitively: .NET's names (Trace, Debug, Information, Warning, Error,
 * Critical, None) and Effect's (All, Info, Fatal, ...).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseLevel = (text: string): Option.Option<LogLevel.LogLevel> =>
  Option.fromNullable(levelNames[text.trim().toLowerCase()])

const formats: ReadonlyArray<Format> = ["pretty", "json", "logfmt"]
const outputs: ReadonlyArray<Output> = ["split", "stderr", "stdout"]

/**
 * Reads the `Logging` section from the current `ConfigProvider`. Every invalid key is reported,
 * with its source, in one `ConfigurationError`.
 *
 * @since 0.1.0
 * @category config
 */
export const settings: Effect.Effect<Settings, ConfigurationError> = Effect.gen(function*() {
  const { store } = yield* Read.current([configKeys.section])
  const issues: Array<Issue> = []
  const oneOf = <A extends string>(key: ReadonlyArray<string>, allowed: ReadonlyArray<A>): A | undefined => {
    const entry = store.get(key)
    if (entry === undefined) return undefined
    const found = allowed.find((a) => a === entry.value.trim().toLowerCase())
    if (found === undefined) {
      issues.push({ key: entry.path.join(":"), message: `Expected one of ${allowed.join(", ")}, actual ${JSON.stringify(entry.value)}`, source: entry.source })
    }
    return found
  }
  const format = oneOf(["Logging", "Format"], formats)
  const output = oneOf(["Logging", "Output"], outputs) ?? defaults.output
  let minimumLevel = defaults.minimumLevel
  const categories = new Map<string, LogLevel.LogLevel>()
  for (const category of store.children(["Logging", "LogLevel"])) {
    const entry = store.get(["Logging", "LogLevel", category])
    if (entry === undefined) continue
    const level = parseLevel(entry.value)
    if (Option.isNone(level)) {
      issues.push({
        key: entry.path.join(":"),
        message: `Expected a log level (Trace, Debug, Information, Warning, Error, Critical, None), actual ${JSON.stringify(entry.value)}`,
        source: entry.source
      })
    } else if (category.toLowerCase() === configKeys.defaultCategory.toLowerCase()) {
      minimumLevel = level.value
    } else {
      categories.set(category.toLowerCase(), level.value)
    }
  }
  if (issues.length > 0) return yield* Effect.fail(new ConfigurationError({ issues }))
  return { format, output, minimumLevel, categories }
}).pipe(Effect.withSpan("HostLogger.settings"))

/**
 * The level that applies to a log line: its `category` annotation's, else its `service`
 * annotation's, else the default.
 *
 * @since 0.1.0
 * @category utils
 */
export const levelFor = (settings: Settings, annotations: HashMap.HashMap<string, unknown>): LogLevel.LogLevel => {
  if (settings.categories.size > 0) {
    for (const name of ["category", "service"]) {
      const value = HashMap.get(annotations, name)
      if (Option.isSome(value) && typeof value.value === "string") {
        const level = settings.categories.get(value.value.toLowerCase())
        if (level !== undefined) return level
      }
    }
  }
  return settings.minimumLevel
}

/**
 * The lowest level any category lets through: the fiber-wide minimum must not drop what a
 * category wants to see (the logger filters the rest).
 *
 * @since 0.1.0
 * @category utils
 */
export const lowestLevel = (settings: Settings): LogLevel.LogLevel =>
  [...settings.categories.values()].reduce(
    (lowest, level) => (LogLevel.lessThan(level, lowest) ? level : lowest),
    settings.minimumLevel
  )

const useColors = (stderr: boolean): boolean => {
  const stream = stderr ? process.stderr : process.stdout
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== ""
  return !noColor && process.env.FORCE_COLOR !== "0" && stream.isTTY === true
}

/**
 * The format that applies: the configured one, else `pretty` in Development, `json` otherwise.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatFor = (settings: Settings, environment: { readonly isDevelopment: boolean }): Format =>
  settings.format ?? (environment.isDevelopment ? "pretty" : "json")

/**
 * Builds the logger. Writes through Effect's `Console` service (so tests can capture it).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { HostLogger } from "effect-host"
 * import { Effect, Logger } from "effect"
 *
 * const logger = HostLogger.make({ ...HostLogger.defaults, format: "json" })
 * Effect.log("hello").pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
 * ```
 */
export const make = (settings: Settings, environment: { readonly isDevelopment: boolean } = { isDevelopment: false }): Logger.Logger<unknown, void> => {
  const format = formatFor(settings, environment)
  const sink = (stderr: boolean): Logger.Logger<unknown, void> =>
    format === "pretty"
      ? Logger.prettyLogger({ stderr, colors: useColors(stderr), mode: "tty" })
      : (stderr ? Logger.withConsoleError : Logger.withConsoleLog)(format === "json" ? Logger.jsonLogger : Logger.logfmtLogger)
  const toStdout = sink(false)
  const toStderr = sink(true)
  const streamFor = (level: LogLevel.LogLevel) =>
    settings.output === "stdout"
      ? toStdout
      : settings.output === "stderr" || LogLevel.greaterThanEqual(level, LogLevel.Warning)
      ? toStderr
      : toStdout
  return Logger.make((options) => {
    if (LogLevel.greaterThanEqual(options.logLevel, levelFor(settings, options.annotations))) {
      streamFor(options.logLevel).log(options)
    }
  })
}

const standIns = globalValue("effect-host/HostLogger/standIns", () => new WeakSet<object>())

/**
 * Marks `logger` as a stand-in for Effect's default logger: the host replaces it with its own
 * logger like the default one. For runners that install a console logger of their own around
 * the program (the host's logger then takes over inside the host).
 *
 * @since 0.1.0
 * @category utils
 */
export const standIn = <M, O>(logger: Logger.Logger<M, O>): Logger.Logger<M, O> => {
  standIns.add(logger)
  return logger
}

const isStandIn = (logger: Logger.Logger<unknown, unknown>): boolean =>
  logger === Logger.defaultLogger || logger === Logger.prettyLoggerDefault || standIns.has(logger)

/**
 * Installs `logger` for the rest of the scope, in place of Effect's default logger (and of the
 * pretty logger `NodeRuntime.runMain` installs, and of `standIn` loggers). Loggers the program
 * added itself are kept; when the program replaced the default logger with its own,
 * `replaceDefaultOnly` leaves the loggers alone. The fiber's minimum level becomes the lowest
 * configured level.
 *
 * @since 0.1.0
 * @category layers
 */
export const install = (
  logger: Logger.Logger<unknown, unknown>,
  settings: Settings,
  options: { readonly replaceDefaultOnly?: boolean | undefined } = {}
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const loggers = yield* FiberRef.get(FiberRef.currentLoggers)
    const hasDefault = HashSet.some(loggers, isStandIn)
    if (hasDefault || options.replaceDefaultOnly !== true) {
      yield* Effect.locallyScoped(
        FiberRef.currentLoggers,
        loggers.pipe(HashSet.filter((l) => !isStandIn(l)), HashSet.add(logger))
      )
    }
    yield* Effect.locallyScoped(FiberRef.currentMinimumLogLevel, lowestLevel(settings))
  })

/**
 * The logger as a layer, configured from the current `ConfigProvider` (for programs that log
 * outside a host, or to install it before the host, e.g. around `Layer`s built first).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (environment: { readonly isDevelopment: boolean }): Layer.Layer<never, ConfigurationError> =>
  Layer.scopedDiscard(Effect.flatMap(settings, (s) => install(make(s, environment), s)))
