/**
 * The host's logger: reading the `Logging` section, building the logger, and installing it in
 * place of Effect's default logger (engine plumbing: the runner and the host setup use it). Over
 * a configuration that reloads, the installed logger follows the `Logging` section (`Current`,
 * `installFollowing`): levels, format and output apply from the line after a reload.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import type * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import { identity } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { Format, Output, Settings } from "../../HostLogger.js"
import { withFloor } from "../logFloor.js"
import * as ScopedRefs from "../scopedRefs.js"
import { marked } from "../markedLogger.js"
import { ConfigurationError, type Issue } from "./error.js"
import * as Key from "./key.js"
import * as Live from "./live.js"
import { configurationOf } from "./provider.js"
import * as Read from "./read.js"
import { neverThrows } from "../safeLogger.js"
import { withSpanWhenTracing } from "../tracing.js"
import * as util from "node:util"

export const defaults: Settings = { output: "split", minimumLevel: LogLevel.Info, categories: new Map() }

export const configKeys = {
  section: "Logging",
  logLevel: "Logging:LogLevel",
  defaultCategory: "Default",
  format: "Logging:Format",
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

export const parseLevel = (text: string): Option.Option<LogLevel.LogLevel> =>
  Option.fromNullable(levelNames[text.trim().toLowerCase()])

const formats: ReadonlyArray<Format> = ["pretty", "json", "logfmt"]
const outputs: ReadonlyArray<Output> = ["split", "stderr", "stdout"]

/**
 * The `Logging` section, read through public `Config` (so it works over any provider, and
 * effect-host's provider reports unreadable values with their sources): `Format`, `Output`, and
 * every child of `LogLevel` as text. A value at `LogLevel` itself is read to be reported: it is
 * a section.
 */
export const section = Config.nested(
  Config.all({
    format: Config.option(Config.string("Format")),
    output: Config.option(Config.string("Output")),
    levels: Config.hashMap(Config.option(Config.string()), "LogLevel"),
    levelValue: Config.option(Config.string("LogLevel"))
  }),
  configKeys.section
)

/**
 * What `section` reads, from effect-host's store (see `Read.fromStore`): the texts of `Format`,
 * `Output` and `LogLevel`, and of each child of `LogLevel` (a child that is only a section reads
 * as `None`, as `Config.option` has it). A value-less switch, or a child named like an array
 * index (which `Config.hashMap` spells `[n]`), is read through `section`.
 */
export const directSection = (look: Read.StoreLook): Config.Config.Success<typeof section> | undefined => {
  const at = (...path: ReadonlyArray<string>) => look.value([configKeys.section, ...path])
  const format = at("Format")
  const output = at("Output")
  const levelValue = at("LogLevel")
  if (format === undefined || output === undefined || levelValue === undefined) return undefined
  let levels = HashMap.empty<string, Option.Option<string>>()
  for (const child of look.children([configKeys.section, "LogLevel"])) {
    const value = Key.isIndex(child) ? undefined : at("LogLevel", child)
    if (value === undefined) return undefined
    levels = HashMap.set(levels, child, value)
  }
  return { format, output, levels, levelValue }
}

const levelMessage = "Expected a log level (Trace, Debug, Information, Warning, Error, Critical, None)"

/**
 * The `Logging` section as settings, and every invalid key as an issue with its source (an
 * invalid key keeps its default in `settings`). Fails only when a value cannot be read at all.
 */
export const read: Effect.Effect<{ readonly settings: Settings; readonly issues: ReadonlyArray<Issue> }, ConfigurationError> =
  Effect.gen(function*() {
    const raw = yield* Read.fromStore(section, directSection)
    const issues: Array<Issue> = []
    const invalid = (path: ReadonlyArray<string>, message: string, text: string) =>
      Effect.map(Read.sourceAt(path), (source) => {
        issues.push({ key: path.join(":"), message: `${message}, actual ${JSON.stringify(text)}`, source })
      })
    const oneOf = <A extends string>(name: string, text: Option.Option<string>, allowed: ReadonlyArray<A>) =>
      Effect.gen(function*() {
        if (Option.isNone(text)) return undefined
        const found = allowed.find((a) => a === text.value.trim().toLowerCase())
        if (found === undefined) yield* invalid([configKeys.section, name], `Expected one of ${allowed.join(", ")}`, text.value)
        return found
      })
    const format = yield* oneOf("Format", raw.format, formats)
    const output = (yield* oneOf("Output", raw.output, outputs)) ?? defaults.output
    if (Option.isSome(raw.levelValue)) {
      yield* invalid(
        [configKeys.section, "LogLevel"],
        "Expected a section with one level per category (Logging:LogLevel:Default=Information)",
        raw.levelValue.value
      )
    }
    let minimumLevel = defaults.minimumLevel
    const categories = new Map<string, LogLevel.LogLevel>()
    // A HashMap has no order; sorted, the issues come in the same order every time.
    const levels = [...raw.levels].sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()))
    for (const [category, text] of levels) {
      // A child with no value of its own (`Logging:LogLevel:A:B`) is no level.
      if (Option.isNone(text)) continue
      const level = parseLevel(text.value)
      if (Option.isNone(level)) {
        yield* invalid([configKeys.section, "LogLevel", Key.normalize([category]).join(":")], levelMessage, text.value)
      } else if (category.toLowerCase() === configKeys.defaultCategory.toLowerCase()) {
        minimumLevel = level.value
      } else {
        categories.set(category.toLowerCase(), level.value)
      }
    }
    return { settings: { format, output, minimumLevel, categories }, issues }
  })

export const settings: Effect.Effect<Settings, ConfigurationError> = Effect.flatMap(
  read,
  ({ issues, settings }) => issues.length > 0 ? Effect.fail(new ConfigurationError({ issues })) : Effect.succeed(settings)
).pipe(withSpanWhenTracing("HostLogger.settings", { captureStackTrace: false }))

/**
 * The level that applies to a log line: its `category` annotation's, else its `service`
 * annotation's, else the default.
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

/** The format that applies: the configured one, else `pretty` in Development, `json` otherwise. */
export const formatFor = (settings: Settings, environment: { readonly isDevelopment: boolean }): Format =>
  settings.format ?? (environment.isDevelopment ? "pretty" : "json")

/**
 * The pretty logger writes its first line and opens a console group before it renders the rest
 * (the cause, more message parts, annotations): a value it could not render (a cause holding a
 * BigInt, a value whose `inspect` throws) threw with the group open, the retry (`neverThrows`)
 * wrote the first line again and every later line of the process was indented. So its console
 * calls are held until the line is complete: a line that throws writes nothing, and the retry
 * writes it once, whole.
 */
const wholeLines = (logger: Logger.Logger<unknown, void>): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    const services = FiberRefs.getOrDefault(options.context, DefaultServices.currentServices)
    const console = Context.get(services, Console.Console)
    const held: Array<() => void> = []
    // Formatted now, as the console would format them (its colors included): formatting is what
    // throws (a value's `inspect`), and it must throw before anything is written.
    const hold = (method: "log" | "error") => (...args: ReadonlyArray<unknown>) => {
      const text = util.formatWithOptions({ colors: useColors(method === "error") }, ...args)
      held.push(() => console.unsafe[method](text))
    }
    const unsafe: Console.UnsafeConsole = {
      ...console.unsafe,
      log: hold("log"),
      error: hold("error"),
      group: () => void held.push(() => console.unsafe.group()),
      groupEnd: () => void held.push(() => console.unsafe.groupEnd())
    }
    const context = FiberRefs.updateAs(options.context, {
      // A line's own fiber owns the change (a composite id, which `updateAs` takes none of, is none's).
      fiberId: FiberId.isRuntime(options.fiberId) ? options.fiberId : FiberId.none,
      fiberRef: DefaultServices.currentServices,
      value: Context.add(services, Console.Console, { ...console, unsafe })
    })
    logger.log({ ...options, context })
    for (const write of held) write()
  })

export const make = (
  settings: Settings,
  environment: { readonly isDevelopment: boolean } = { isDevelopment: false }
): Logger.Logger<unknown, void> => {
  const format = formatFor(settings, environment)
  const sink = (stderr: boolean): Logger.Logger<unknown, void> =>
    format === "pretty"
      ? wholeLines(Logger.prettyLogger({ stderr, colors: useColors(stderr), mode: "tty" }))
      : (stderr ? Logger.withConsoleError : Logger.withConsoleLog)(format === "json" ? Logger.jsonLogger : Logger.logfmtLogger)
  const toStdout = sink(false)
  const toStderr = sink(true)
  const streamFor = (level: LogLevel.LogLevel) =>
    settings.output === "stdout"
      ? toStdout
      : settings.output === "stderr" || LogLevel.greaterThanEqual(level, LogLevel.Warning)
      ? toStderr
      : toStdout
  // Never throws (safeLogger.ts): a value the format cannot write must not fail what logged it.
  return neverThrows(Logger.make((options) => {
    if (LogLevel.greaterThanEqual(options.logLevel, levelFor(settings, options.annotations))) {
      streamFor(options.logLevel).log(options)
    }
  }))
}

/** Marks a logger the host replaces with its own, like Effect's default logger. */
export const StandInTypeId: unique symbol = Symbol.for("effect-host/HostLogger/StandIn")
export type StandInTypeId = typeof StandInTypeId

/** A logger marked as a stand-in for Effect's default logger. */
export interface StandIn<in M, out O> extends Logger.Logger<M, O> {
  readonly [StandInTypeId]: StandInTypeId
}

/**
 * A stand-in for Effect's default logger that logs like `logger`: the host replaces it with its
 * own logger like the default one. For runners that install a console logger of their own
 * around the program (the host's logger then takes over inside the host). A new value, built
 * whole; `logger` itself is left as it is.
 */
export const standIn = <M, O>(logger: Logger.Logger<M, O>): StandIn<M, O> => marked(logger, StandInTypeId, StandInTypeId)

export const isStandIn = (logger: Logger.Logger<unknown, unknown>): boolean =>
  logger === Logger.defaultLogger || logger === Logger.prettyLoggerDefault || StandInTypeId in logger

/**
 * Installs `logger` for the rest of the scope, in place of Effect's default logger (and of the
 * pretty logger `NodeRuntime.runMain` installs, and of `standIn` loggers). Loggers the program
 * added itself are kept; when the program replaced the default logger with its own,
 * `replaceDefaultOnly` leaves the loggers alone. The fiber's minimum level becomes the lowest
 * configured level.
 */
/**
 * How the host's logger is wrapped before it is installed: the identity, unless a runner sets
 * it around the program (journal priorities under systemd). A runner decorates, the host does not
 * know which runner.
 */
export const currentDecorator: FiberRef.FiberRef<(logger: Logger.Logger<unknown, void>) => Logger.Logger<unknown, void>> =
  globalValue(
    Symbol.for("effect-host/HostLogger/currentDecorator"),
    () => FiberRef.unsafeMake<(logger: Logger.Logger<unknown, void>) => Logger.Logger<unknown, void>>(identity)
  )

export const install = (
  logger: Logger.Logger<unknown, unknown>,
  settings: Settings,
  options: { readonly replaceDefaultOnly?: boolean | undefined } = {}
): Effect.Effect<boolean, never, Scope.Scope> =>
  Effect.gen(function*() {
    const loggers = yield* FiberRef.get(FiberRef.currentLoggers)
    const hasDefault = HashSet.some(loggers, isStandIn)
    if (hasDefault || options.replaceDefaultOnly !== true) {
      const decorate = yield* FiberRef.get(currentDecorator)
      yield* loggersAndLevelScoped(
        loggers.pipe(HashSet.filter((l) => !isStandIn(l)), HashSet.add(decorate(logger as Logger.Logger<unknown, void>))),
        lowestLevel(settings)
      )
      return true
    }
    yield* levelScoped(lowestLevel(settings))
    return false
  })

/** Sets the fiber's loggers and minimum level for the scope, and puts both back when it closes. */
const loggersAndLevelScoped = (
  loggers: HashSet.HashSet<Logger.Logger<unknown, unknown>>,
  level: LogLevel.LogLevel
): Effect.Effect<void, never, Scope.Scope> =>
  ScopedRefs.setScoped([
    ScopedRefs.setting(FiberRef.currentLoggers, () => loggers),
    ScopedRefs.setting(FiberRef.currentMinimumLogLevel, () => level)
  ])

/** Sets the fiber's minimum log level for the scope. */
const levelScoped = (level: LogLevel.LogLevel): Effect.Effect<void, never, Scope.Scope> =>
  ScopedRefs.setScoped([ScopedRefs.setting(FiberRef.currentMinimumLogLevel, () => level)])

/**
 * The host logger's settings as they are now, swapped whole when a reload applies: the logger
 * built from them and the lowest level they let through. A line costs one property read more
 * than a fixed logger.
 */
export class Current {
  private state: { readonly settings: Settings; readonly logger: Logger.Logger<unknown, void>; readonly lowest: LogLevel.LogLevel }

  constructor(settings: Settings, private readonly environment: { readonly isDevelopment: boolean }) {
    this.state = { settings, logger: make(settings, environment), lowest: lowestLevel(settings) }
  }

  get settings(): Settings {
    return this.state.settings
  }

  get logger(): Logger.Logger<unknown, void> {
    return this.state.logger
  }

  get lowest(): LogLevel.LogLevel {
    return this.state.lowest
  }

  set(settings: Settings): void {
    this.state = { settings, logger: make(settings, this.environment), lowest: lowestLevel(settings) }
  }
}

/** The host logger that follows `current`: each line goes to the logger of the settings now in force. */
export const following = (current: Current): Logger.Logger<unknown, void> =>
  Logger.make((options) => current.logger.log(options))

/**
 * `logger`, seeing only the lines at or above the lowest level configured now: what the fiber's
 * minimum level did for it before the host logger started following reloads.
 */
const gated = <O>(current: Current, logger: Logger.Logger<unknown, O>): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    if (LogLevel.greaterThanEqual(options.logLevel, current.lowest)) logger.log(options)
  })

/**
 * Installs the logger that follows `current` for the rest of the scope, in place of Effect's
 * default logger (and its stand-ins), as `install` does. A fiber's minimum level cannot follow a
 * reload (every fiber holds its own copy), so it becomes `All` and the filtering moves into the
 * loggers: the host logger filters by the current settings, the other loggers present are gated
 * by the current lowest level. When the program replaced the default logger with its own and
 * `replaceDefaultOnly` is set, the loggers are left alone and the levels apply as at start.
 * Returns whether the logger follows.
 */
export const installFollowing = (
  current: Current,
  options: { readonly replaceDefaultOnly?: boolean | undefined } = {}
): Effect.Effect<boolean, never, Scope.Scope> =>
  Effect.gen(function*() {
    const loggers = yield* FiberRef.get(FiberRef.currentLoggers)
    if (!HashSet.some(loggers, isStandIn) && options.replaceDefaultOnly === true) {
      yield* levelScoped(current.lowest)
      return false
    }
    const others = loggers.pipe(HashSet.filter((l) => !isStandIn(l)), HashSet.map((l) => gated(current, l)))
    const decorate = yield* FiberRef.get(currentDecorator)
    // The logger carries the floor (logFloor.ts), so the engine skips what it would drop anyway.
    yield* loggersAndLevelScoped(HashSet.add(others, withFloor(decorate(following(current)), current)), LogLevel.All)
    return true
  })

/**
 * What a new configuration must pass for a logger that follows it: a valid `Logging` section;
 * applying it swaps the settings, so the next line follows them.
 */
export const check = (current: Current) => ({
  run: (candidate: { readonly provider: ConfigProvider.ConfigProvider }) =>
    Effect.map(Effect.withConfigProvider(settings, candidate.provider), (next) => () => current.set(next))
})

export const layer = (environment: { readonly isDevelopment: boolean }): Layer.Layer<never, ConfigurationError> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const configured = yield* settings
    const live = yield* Effect.configProviderWith((provider) => Effect.succeed(configurationOf(provider)?.live))
    if (live === undefined || !Live.reloadsOnChange(live)) return yield* install(make(configured, environment), configured)
    const current = new Current(configured, environment)
    yield* installFollowing(current)
    yield* Live.registerScoped(live, check(current))
  }))
