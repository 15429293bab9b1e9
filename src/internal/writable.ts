/**
 * Values made writable: what `JSON.stringify` and Effect's `Cause.pretty` throw on (a BigInt
 * anywhere in a value, a circular reference, a `toJSON` that throws), turned into what they can
 * write. Used where a line or a message must come out whatever the program's values are: the
 * host's loggers (`safeLogger.ts`) and the host's error messages.
 *
 * @internal
 */
import * as Cause from "effect/Cause"

/** `value` as JSON can write it: BigInts as decimal strings, an object met a second time (a circular reference) left out, as Effect's own `stringifyCircular` does. */
export const writable = (value: unknown): unknown => {
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

export const safeString = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** The message as JSON can write it (one value or several, as logged). */
export const writableMessage = (message: unknown): unknown => Array.isArray(message) ? message.map(writable) : writable(message)

/** A writable message (`writableMessage`) as one line of text, for the last resort. */
export const messageText = (value: unknown): string => {
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
export const writableCause = (cause: Cause.Cause<unknown>): Cause.Cause<unknown> =>
  Cause.match(cause, {
    onEmpty: Cause.empty,
    onFail: (error) => Cause.fail(error instanceof Error ? error : writable(error)),
    onDie: (defect) => Cause.die(defect instanceof Error ? defect : writable(defect)),
    onInterrupt: Cause.interrupt,
    onSequential: Cause.sequential,
    onParallel: Cause.parallel
  })

/**
 * `Cause.pretty`, which never throws: a cause it cannot render (a failure that is a plain object
 * holding a BigInt) is rendered with its values made writable.
 */
export const prettyCause = (cause: Cause.Cause<unknown>, options?: { readonly renderErrorCause?: boolean | undefined }): string => {
  try {
    return Cause.pretty(cause, options)
  } catch {
    return Cause.pretty(writableCause(cause), options)
  }
}
