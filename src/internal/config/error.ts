/**
 * `ConfigurationError`, the one error for invalid configuration, and what it is made of. Defined
 * here so that the configuration internals can build it; `src/ConfigurationError.ts` re-exports
 * it with its documentation.
 *
 * @internal
 */
import * as Data from "effect/Data"
import type { Source } from "./source.js"

export type { Source }

export interface Issue {
  readonly key?: string | undefined
  readonly message: string
  readonly source?: Source | undefined
}

export const describeSource = (source: Source): string => {
  switch (source._tag) {
    case "Code":
      return "code"
    case "Option":
      return "option given in code"
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

// Every issue is one line of the error's message, so one line per issue in any log (and the
// JSON logger's one line per entry stays readable): a message with line breaks (a custom
// Schema message, an OS error) is joined onto one line.
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, " ")

export const formatIssue = (issue: Issue): string => {
  // A problem with a whole file names the file (with line and column) in its message already.
  if (issue.key === undefined || issue.key === "") return oneLine(issue.message)
  const where = issue.source === undefined ? "" : ` (from ${describeSource(issue.source)})`
  return oneLine(`${issue.key}: ${issue.message}${where}`)
}

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

export const isConfigurationError = (u: unknown): u is ConfigurationError => u instanceof ConfigurationError

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

/** One issue as an error. */
export const single = (issue: Issue): ConfigurationError => new ConfigurationError({ issues: [issue] })
