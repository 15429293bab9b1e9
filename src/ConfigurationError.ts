/**
 * The one error for invalid configuration: every problem found (unreadable or malformed files,
 * invalid or missing keys, invalid `HostOptions` or logging keys, failed typed settings), all
 * reported together, each with its full key path and the source of the offending value.
 * `NodeHost.runMain` maps it (like Effect's `ConfigError`) to exit code 78.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
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
export interface Issue {
  readonly key?: string | undefined
  readonly message: string
  readonly source?: Source | undefined
}

/**
 * Formats one issue as it appears in the error's message.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatIssue = (issue: Issue): string => {
  // A problem with a whole file names the file (with line and column) in its message already.
  if (issue.key === undefined || issue.key === "") return issue.message
  const where = issue.source === undefined ? "" : ` (from ${describeSource(issue.source)})`
  return `${issue.key}: ${issue.message}${where}`
}

/**
 * Describes a source for people: `file /app/appsettings.json`, `env DATABASE__PORT`,
 * `command line --Database:Port`, `code`, `ConfigProvider`.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeSource = (source: Source): string => {
  switch (source._tag) {
    case "Code":
      return "code"
    case "File":
      return `file ${source.path}`
    case "Env":
      return `env ${source.name}`
    case "CommandLine":
      return `command line ${source.arg}`
    case "Provider":
      return "ConfigProvider"
    case "Default":
      return `default (${source.reason})`
  }
}

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
export class ConfigurationError extends Data.TaggedError("ConfigurationError")<{
  readonly issues: ReadonlyArray<Issue>
}> {
  constructor(args: { readonly issues: ReadonlyArray<Issue> }) {
    super(args)
    // The problem is in the configuration, not in the code: a stack trace would only hide the
    // list of keys in the log.
    this.stack = `ConfigurationError: ${this.message}`
  }

  override get message(): string {
    const n = this.issues.length
    return `Invalid configuration (${n} problem${n === 1 ? "" : "s"}):\n` +
      this.issues.map((issue) => `  - ${formatIssue(issue)}`).join("\n")
  }

  /** The keys involved, in the order reported. */
  get keys(): ReadonlyArray<string> {
    return this.issues.flatMap((issue) => (issue.key === undefined || issue.key === "" ? [] : [issue.key]))
  }

  /** Formats one issue as it appears in the message. */
  static readonly formatIssue = formatIssue
  /** Describes a source for people. */
  static readonly describeSource = describeSource
  /** Merges several errors into one, dropping duplicate issues. */
  static readonly merge = (errors: ReadonlyArray<ConfigurationError>): ConfigurationError => merge(errors)
  /** `true` for a `ConfigurationError`. */
  static readonly is = (u: unknown): u is ConfigurationError => isConfigurationError(u)
}

/**
 * @since 0.1.0
 * @category refinements
 */
export const isConfigurationError = (u: unknown): u is ConfigurationError => u instanceof ConfigurationError

/**
 * Merges several errors into one, dropping duplicate issues (the same key and message reported
 * twice, e.g. by a settings layer shared by two services).
 *
 * @since 0.1.0
 * @category constructors
 */
export const merge = (errors: ReadonlyArray<ConfigurationError>): ConfigurationError => {
  const seen = new Set<string>()
  const issues: Array<Issue> = []
  for (const error of errors) {
    for (const issue of error.issues) {
      const id = formatIssue(issue)
      if (!seen.has(id)) {
        seen.add(id)
        issues.push(issue)
      }
    }
  }
  return new ConfigurationError({ issues })
}

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
