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
 * The host installs this logger itself (`Host.launch`'s `logger` option); `layer` installs it
 * for programs that log outside a host.
 *
 * **Reloads.** When the configuration reloads its files on change (the default), the installed
 * logger follows the `Logging` section: a reload that applies swaps its settings whole (levels,
 * per-category levels, format, output), and the next line follows them; an invalid `Logging` key
 * rejects the reload and the logger keeps its settings. A fiber's minimum level cannot follow a
 * reload (each fiber holds its own copy), so while the logger follows it is `All` and the logger
 * drops what is below the levels; other loggers present when it was installed see what the
 * lowest configured level lets through, as before. That costs a line below the levels about a
 * microsecond more (Effect builds the line before a logger can drop it; see
 * `test/config/bench/log-line.ts`). A logger the program adds later, inside the host, sees every
 * line: filter it with `Logger.filterLogLevel`. With `reloadOnChange: false` the levels are fixed
 * at start and applied by the fiber's minimum level, as without reloads. `make` builds a logger
 * with fixed settings.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import type * as Option from "effect/Option"
import type { ConfigurationError } from "./ConfigurationError.js"
import * as internal from "./internal/config/logger.js"

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
export const defaults: Settings = internal.defaults

/**
 * The configuration keys.
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys: {
  readonly section: "Logging"
  /** `Logging:LogLevel:Default`, and `Logging:LogLevel:<Category>` beside it. */
  readonly logLevel: "Logging:LogLevel"
  readonly defaultCategory: "Default"
  /** `pretty`, `json` or `logfmt`; default `pretty` in Development, `json` otherwise. */
  readonly format: "Logging:Format"
  /** `split` (default: below Warning on stdout, the rest on stderr), `stderr` or `stdout`. */
  readonly output: "Logging:Output"
} = internal.configKeys

/**
 * Parses a level, case-insensitively: .NET's names (Trace, Debug, Information, Warning, Error,
 * Critical, None) and Effect's (All, Info, Fatal, ...).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseLevel: (text: string) => Option.Option<LogLevel.LogLevel> = internal.parseLevel

/**
 * Reads the `Logging` section from the current `ConfigProvider` (through `Config`, so any
 * provider works; keys match case-insensitively with effect-host's, as spelled by the provider
 * otherwise). Every invalid key (an unknown format, output or level, a value at
 * `Logging:LogLevel` itself, a switch given without a value) is reported, with its source, in
 * one `ConfigurationError`.
 *
 * @since 0.1.0
 * @category config
 */
export const settings: Effect.Effect<Settings, ConfigurationError> = internal.settings

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
export const make: (
  settings: Settings,
  environment?: { readonly isDevelopment: boolean }
) => Logger.Logger<unknown, void> = internal.make

/**
 * The logger as a layer, configured from the current `ConfigProvider` (for programs that log
 * outside a host, or to install it before the host, e.g. around `Layer`s built first). It
 * takes the place of Effect's default logger; loggers the program added are kept. Over
 * effect-host's configuration with files that reload on change, it follows the `Logging`
 * section for the layer's scope (see the module's documentation).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (environment: { readonly isDevelopment: boolean }) => Layer.Layer<never, ConfigurationError> =
  internal.layer
