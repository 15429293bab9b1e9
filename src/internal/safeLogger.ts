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
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import { messageText, safeString, writable, writableCause, writableMessage } from "./writable.js"

/** `logger`, retrying a line it cannot write with writable values; it never throws. */
export const neverThrows = <O>(logger: Logger.Logger<unknown, O>): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    try {
      logger.log(options)
    } catch {
      const message = writableMessage(options.message)
      try {
        logger.log({
          ...options,
          message,
          cause: writableCause(options.cause),
          annotations: HashMap.map(options.annotations, writable)
        })
      } catch (error) {
        const reason = error instanceof Error ? error.message : safeString(error)
        process.stderr.write(
          `effect-host: a ${options.logLevel.label} log line could not be written (${reason}): ${messageText(message)}\n`
        )
      }
    }
  })
