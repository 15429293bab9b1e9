/**
 * Layered configuration, as .NET's host builds it, delivered as an Effect `ConfigProvider`.
 *
 * Sources, later wins:
 *
 *   values in code < appsettings.json < appsettings.{Environment}.json < environment variables
 *   < command-line arguments
 *
 * Keys are paths matched case-insensitively: `Database:Port` in code and in `Config`, nested
 * objects in JSON, `Database__Port` (any case) in the environment, `--Database:Port=5432`,
 * `--Database:Port 5432` or `--Database.Port=5432` on the command line. Array elements are
 * numeric segments (`Servers:0:Host`, `SERVERS__0__HOST`); a source that sets an array replaces
 * the whole array of lower sources. The environment name and the content root are resolved
 * before the files they select are read. A command-line switch given without a value
 * (`--environment` at the end of the line) is an error when it is read.
 *
 * `Host.make` / `Host.launch` install this provider by default.
 *
 * **Reload on change** (on by default, `reloadOnChange: false` turns it off): while a host runs
 * (or for the scope of `layer`), the directories of the files are watched; a change is read once
 * the files have been quiet for `reloadDelay` (250 ms, on the `Clock`), including a file that is
 * replaced (written elsewhere and renamed over), appears or disappears. A new configuration applies
 * whole or not at all: when a file does not parse, or any typed settings section read so far
 * (and the host's own keys) does not validate against it, it is rejected, the previous
 * configuration stays in force and one log line names the files, the keys and the reasons.
 * What follows a reload: typed settings watched with `Settings.live` / `MySettings.changes`,
 * the host logger (`Logging:*`, from the next line on), `debugView` and `reload`'s result.
 * **Plain `Config` reads** (and `yield* MySettings`, `Settings.section`) **keep the values the
 * program started with**: the provider installed for the host's scope is the start-time snapshot,
 * so a value read twice never differs. The environment and the command line are read once.
 *
 * **The debug view** (`debugView`, `entries`) lists the keys that come from values in code, the
 * files and the command line; from the environment only the keys the program has read so far
 * (through `Config` or typed settings) and the host's own keys (`environment`, `contentRoot`,
 * `applicationName`, `NODE_ENV`, `EFFECT_HOST_*`, the `HostOptions` keys,
 * `suppressStatusMessages`, the `Logging` section) — `allEnvironmentVariables: true` lists them
 * all.
 *
 * **Secrets** are masked by rule, never by guessing at substrings. A key is a secret when it was
 * declared one — listed in the `secrets` option, a `Redacted` value in code, read through
 * `Config.redacted` or under `Schema.Redacted` in typed settings (the key and everything below
 * it) — or when one of its segments (lower-cased, without `_`, `-`, `.`) *is* `Key` or `Keys`,
 * or *ends with* one of: `Password(s)`, `Passwd`, `Passphrase`, `Secret(s)`, `Token(s)`,
 * `ApiKey(s)`, `AccessKey`, `SecretKey`, `PrivateKey`, `SigningKey`, `EncryptionKey`,
 * `ConnectionString(s)`, `Credential(s)`. So `Db:Password`, `Auth:ClientSecret`, `Jwt:Key`,
 * `ConnectionStrings:Default`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY` are secrets; `PWD`,
 * `OLDPWD`, `Keyboard`, `Monkey`, `TokenUrl` are not.
 *
 * @since 0.1.0
 */
import type * as ConfigProvider from "effect/ConfigProvider"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { ConfigurationError, Source } from "./ConfigurationError.js"
import * as Build from "./internal/config/build.js"
import * as internal from "./internal/config/configuration.js"

/**
 * A JSON file to read, relative to the content root. `{Environment}` is replaced by the
 * environment name. Files are optional unless `optional: false`; a change reloads them unless
 * `reloadOnChange: false` (default: the `reloadOnChange` option).
 *
 * @since 0.1.0
 * @category models
 */
export type File = string | {
  readonly path: string
  readonly optional?: boolean | undefined
  readonly reloadOnChange?: boolean | undefined
}

/**
 * How to build the configuration. Every field is optional; the defaults read the real process.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Defaults in code, the lowest layer: `{ Database: { Port: 5432 } }` or `{ "Database:Port": 5432 }`. */
  readonly values?: Readonly<Record<string, unknown>> | undefined
  /** The environment name, fixed in code (wins over every source). */
  readonly environmentName?: string | undefined
  /** Where the files are looked up, fixed in code (wins over every source). Default: the cwd. */
  readonly contentRoot?: string | undefined
  /** Default `["appsettings.json", "appsettings.{Environment}.json"]`, both optional. */
  readonly files?: ReadonlyArray<File> | undefined
  /** The environment variables; default `process.env`, `false` for none. */
  readonly env?: Readonly<Record<string, string | undefined>> | false | undefined
  /** Read only variables starting with this prefix (any case), without it, e.g. `"MYAPP_"`. */
  readonly envPrefix?: string | undefined
  /** The command-line arguments; default `process.argv.slice(2)`, `false` for none. */
  readonly args?: ReadonlyArray<string> | false | undefined
  /** More keys whose values are secrets, with everything below them (masked in the debug view and in errors). */
  readonly secrets?: ReadonlyArray<string> | undefined
  /**
   * Watch the files and reload them on change (while a host runs, or for the scope of `layer`).
   * Default `true`, as .NET's default builder does for appsettings files; a file can say otherwise.
   */
  readonly reloadOnChange?: boolean | undefined
  /** How long the files must be quiet before a change is read. Default 250 ms (.NET's `ReloadDelay`). */
  readonly reloadDelay?: Duration.DurationInput | undefined
}

/**
 * The keys and variables read before the files.
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys = {
  /** The environment name: `--environment`, env `EFFECT_HOST_ENVIRONMENT` or `ENVIRONMENT`, code values, then `NODE_ENV`. */
  environment: Build.keys.environment,
  /** Where appsettings files are looked up: `--contentRoot`, env `EFFECT_HOST_CONTENTROOT` or `CONTENTROOT`, code values, then the cwd. */
  contentRoot: Build.keys.contentRoot,
  environmentVariable: Build.keys.environmentVariable,
  contentRootVariable: Build.keys.contentRootVariable
} as const

/**
 * The files read by default.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultFiles: ReadonlyArray<File> = Build.defaultFiles

/**
 * Builds the layered configuration as a `ConfigProvider`. Fails with a `ConfigurationError`
 * naming file, line and column when a file is not valid JSON (or a required file is missing).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { HostConfiguration } from "effect-host"
 * import { Config, Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const provider = yield* HostConfiguration.make({ values: { Database: { Port: 5432 } } })
 *   return yield* Effect.withConfigProvider(Config.number("Database:Port"), provider)
 * })
 * ```
 */
export const make: (options?: Options) => Effect.Effect<ConfigProvider.ConfigProvider, ConfigurationError> = internal.make

/**
 * A layer that installs the layered configuration as the `ConfigProvider`. Provide it outermost
 * when layers built before the host (e.g. `Effect.provide(DbLive)` around `Host.launch`) must
 * read it too; the host then reuses it instead of building its own. Its files are watched for
 * the layer's scope (unless `reloadOnChange: false`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<never, ConfigurationError> = internal.layer

/**
 * `true` for a provider built by `make`.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isHostConfiguration: (provider: ConfigProvider.ConfigProvider) => boolean = internal.isHostConfiguration

/**
 * The environment name and content root the current configuration was built with, when the
 * current provider is effect-host's, and its files as they are now (after reloads: a file that
 * appeared is `loaded`).
 *
 * @since 0.1.0
 * @category getters
 */
export const info: Effect.Effect<
  Option.Option<{
    readonly environmentName: string
    readonly contentRootPath: string
    readonly files: ReadonlyArray<{ readonly path: string; readonly loaded: boolean }>
  }>
> = internal.info

/**
 * What `reload` did:
 *
 * - `Applied`: the new configuration is in force; `keys` changed (added, removed or with a new
 *   value), `files` changed; `version` counts the applied reloads.
 * - `Unchanged`: no file changed, or nothing that reads differently (a comment, the layout).
 * - `Rejected`: a file does not parse, or a typed section read so far (or a host key) is invalid
 *   in the new configuration; the previous configuration stays in force.
 * - `NotReloadable`: the current provider is not effect-host's.
 *
 * @since 0.1.0
 * @category models
 */
export type ReloadResult =
  | {
    readonly _tag: "Applied"
    readonly files: ReadonlyArray<string>
    readonly keys: ReadonlyArray<string>
    readonly version: number
  }
  | { readonly _tag: "Unchanged" }
  | { readonly _tag: "Rejected"; readonly files: ReadonlyArray<string>; readonly error: ConfigurationError }
  | { readonly _tag: "NotReloadable" }

/**
 * Reads the files of the current configuration again now, as a change does (same checks, same
 * log line), e.g. on `SIGHUP`. The environment and the command line are not read again.
 *
 * @since 0.1.0
 * @category reloading
 * @example
 * ```ts
 * import { HostConfiguration } from "effect-host"
 * import { Effect } from "effect"
 *
 * const onHangup = Effect.flatMap(HostConfiguration.reload, (result) => Effect.log(`reload: ${result._tag}`))
 * ```
 */
export const reload: Effect.Effect<ReloadResult> = internal.reload

/**
 * One effective key in the debug view.
 *
 * @since 0.1.0
 * @category models
 */
export interface DebugEntry {
  readonly key: string
  /** The value, or `<redacted>` for a secret. */
  readonly value: string
  readonly source: Source
  readonly secret: boolean
  /** The value differs from the one the program started with (a reload changed or added it). */
  readonly changedSinceStart: boolean
}

/**
 * What the debug view shows.
 *
 * @since 0.1.0
 * @category models
 */
export interface DebugOptions {
  /** Only the keys at or below this section (`"Database"`); default: all. */
  readonly section?: string | undefined
  /**
   * List every environment variable, not only those the program read and the host's own keys.
   * Default `false`.
   */
  readonly allEnvironmentVariables?: boolean | undefined
}

/**
 * Every effective key below `section` (default: all) with its value (secrets masked) and its
 * source, sorted by key; from the environment, only the keys read so far and the host's own
 * (see the module's documentation for both rules). After a reload these are the current values
 * (what `Settings.live` and the host logger follow), each marked when it changed since start.
 *
 * @since 0.1.0
 * @category debugging
 */
export const entries: (options?: DebugOptions) => Effect.Effect<ReadonlyArray<DebugEntry>> = internal.entries

/**
 * The debug view as text: a header (environment, content root, files; what is watched and what
 * the reloads did: how many applied and rejected, when, and the last rejection's reason) and one
 * line per key, `key = value  (source)` (`, changed since start` after a reload changed it),
 * secrets masked, environment variables only when read or the host's.
 * Print it with `Console.log` or `Effect.log`.
 *
 * @since 0.1.0
 * @category debugging
 * @example
 * ```ts
 * import { HostConfiguration } from "effect-host"
 * import { Console, Effect } from "effect"
 *
 * const printConfig = Effect.flatMap(HostConfiguration.debugView({ section: "Database" }), Console.log)
 * ```
 */
export const debugView: (options?: DebugOptions) => Effect.Effect<string> = internal.debugView
