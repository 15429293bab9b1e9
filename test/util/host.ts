import { Cause, Effect, Exit, HashMap, Logger, Option } from "effect"

/** The typed failure of `exit`; throws (failing the test) when it succeeded or died. */
export const failureOf = <E>(exit: Exit.Exit<unknown, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected the host to fail, but it succeeded")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure, got:\n${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** The `_tag` of each defect of a failed exit (`[]` for a success): a `HostError` a release died with. */
export const defectTags = (exit: Exit.Exit<unknown, unknown>): ReadonlyArray<unknown> =>
  Exit.isFailure(exit) ? [...Cause.defects(exit.cause)].map((d) => (d as { readonly _tag?: unknown })._tag) : []

/** Throws (failing the test) unless `exit` succeeded, showing the cause. */
export const assertSuccess = (exit: Exit.Exit<unknown, unknown>): void => {
  if (Exit.isFailure(exit)) throw new Error(`expected the host to succeed, got:\n${Cause.pretty(exit.cause)}`)
}

/** The first `Fail` error inside a cause (for asserting what a failed hook carried). */
export const errorIn = (cause: Cause.Cause<unknown>): unknown => Option.getOrUndefined(Cause.failureOption(cause))

/**
 * Lets every fiber that is ready run to completion or to its next suspension: a macrotask
 * boundary, after all microtasks (Effect's scheduler) have drained. Not a timed wait.
 */
export const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** One captured log line. */
export interface LogLine {
  readonly level: string
  readonly message: string
  readonly cause: Cause.Cause<unknown>
  readonly annotations: Record<string, unknown>
}

/** A logger that captures lines in `lines`; provide `layer` to the program under test. */
export const captureLogs = () => {
  const lines: Array<LogLine> = []
  const logger = Logger.make<unknown, void>(({ annotations, cause, logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    lines.push({
      level: logLevel.label,
      message: text,
      cause,
      annotations: Object.fromEntries(HashMap.toEntries(annotations))
    })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}
