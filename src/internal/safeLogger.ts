/**
 * Loggers that never fail the code that logs.
 *
 * Effect's loggers throw on values they cannot write: `jsonLogger` on a BigInt anywhere in a
 * message or an annotation (`JSON.stringify`), and every logger that renders a cause
 * (`Cause.pretty`) on a failure or defect that is a plain object holding one. A logger that
 * throws fails the effect that logged: a hook that logs an order id became a failed service, and
 * a failed hook whose error held a BigInt lost its own report (the line naming the service and
 * the cause threw in turn). So the host's loggers retry such a line with the values made
 * writable (a BigInt as its decimal digits, a circular reference dropped, a value that cannot be
 * written at all as its `String`), and as a last resort write the bare message to stderr: a line
 * is never lost silently, and logging never fails anyone.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"

/** `value` as JSON can write it: BigInts as decimal strings, circular references left out. */
const writable = (value: unknown): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (typeof value !== "object" || value === null) return value
  const seen = new Set<object>()
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString()
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return undefined
        seen.add(v)
      }
      return v
    })
    // An Error keeps its name and message (JSON.stringify writes only its own enumerable fields).
    const plain: unknown = text === undefined ? undefined : JSON.parse(text)
    return value instanceof Error && typeof plain === "object" && plain !== null
      ? { ...plain, name: value.name, message: value.message }
      : plain
  } catch {
    // A `toJSON` that throws, or a getter: what can still be said of it.
    return value instanceof Error ? `${value.name}: ${value.message}` : safeString(value)
  }
}

const safeString = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** The message as JSON can write it (one value or several, as logged). */
const writableMessage = (message: unknown): unknown => Array.isArray(message) ? message.map(writable) : writable(message)

/** The message as one line of text, for the last resort. */
const messageText = (message: unknown): string => {
  const value = writableMessage(message)
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? safeString(value)
  } catch {
    return safeString(value)
  }
}

/**
 * The cause with each failure and defect made writable. An `Error` is kept as it is: rendering
 * one reads only its message and stack, which are strings.
 */
const writableCause = (cause: Cause.Cause<unknown>): Cause.Cause<unknown> =>
  Cause.match(cause, {
    onEmpty: Cause.empty,
    onFail: (error) => Cause.fail(error instanceof Error ? error : writable(error)),
    onDie: (defect) => Cause.die(defect instanceof Error ? defect : writable(defect)),
    onInterrupt: Cause.interrupt,
    onSequential: Cause.sequential,
    onParallel: Cause.parallel
  })

/** `logger`, retrying a line it cannot write with writable values; it never throws. */
export const neverThrows = <O>(logger: Logger.Logger<unknown, O>): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    try {
      logger.log(options)
    } catch {
      try {
        logger.log({
          ...options,
          message: writableMessage(options.message),
          cause: writableCause(options.cause),
          annotations: HashMap.map(options.annotations, writable)
        })
      } catch (error) {
        const reason = error instanceof Error ? error.message : safeString(error)
        process.stderr.write(
          `effect-host: a ${options.logLevel.label} log line could not be written (${reason}): ${messageText(options.message)}\n`
        )
      }
    }
  })
