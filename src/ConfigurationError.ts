/**
 * The one error for invalid configuration: every problem found (unreadable or malformed files,
 * invalid or missing keys, invalid `HostOptions` or logging keys, failed typed settings), all
 * reported together, each with its full key path and the source of the offending value.
 * `NodeHost.runMain` maps it (like Effect's `ConfigError`) to exit code 78.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/config/error.js"
import type * as ConfigSource from "./internal/config/source.js"

/**
 * Where a configuration value came from.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = ConfigSource.Source

/**
 * One problem. `key` is the full path (`Database:Port`, `Servers:0:Host`); it is absent for
 * problems that concern a whole file. `source` names where the offending value came from; for a
 * missing key it is absent and `message` says where it could be set.
 *
 * @since 0.1.0
 * @category models
 */
export type Issue = internal.Issue

/**
 * Formats one issue as it appears in the error's message: always one line (line breaks in a
 * message are joined), so the message has one line per issue.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatIssue: (issue: Issue) => string = internal.formatIssue

/**
 * Describes a source for people: `file /app/appsettings.json`, `env DATABASE__PORT`,
 * `command line --Database:Port`, `code` (configuration values in code), `option given in code`
 * (a host option such as `shutdownTimeout`), `ConfigProvider`.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeSource: (source: Source) => string = internal.describeSource

/**
 * Invalid configuration, detected before any hosted service started.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ConfigurationError } from "effect-host"
 * import { Effect } from "effect"
 *
 * const program = Effect.fail(new ConfigurationError({ issues: [{ key: "Database:Port", message: "Expected number" }] }))
 * program.pipe(Effect.catchTag("ConfigurationError", (e) => Effect.logError(e.message)))
 * ```
 */
export const ConfigurationError: typeof internal.ConfigurationError = internal.ConfigurationError

/**
 * @since 0.1.0
 * @category errors
 */
export type ConfigurationError = internal.ConfigurationError

/**
 * @since 0.1.0
 * @category refinements
 */
export const isConfigurationError: (u: unknown) => u is ConfigurationError = internal.isConfigurationError

/**
 * Merges several errors into one, dropping duplicate issues (the same key and message reported
 * twice, e.g. by a settings layer shared by two services).
 *
 * @since 0.1.0
 * @category constructors
 */
export const merge: (errors: ReadonlyArray<ConfigurationError>) => ConfigurationError = internal.merge

/**
 * @since 0.1.0
 */
export declare namespace ConfigurationError {
  /** @since 0.1.0 */
  export type Issue = IssueAlias
  /** @since 0.1.0 */
  export type Source = SourceAlias
}

type IssueAlias = Issue
type SourceAlias = Source
