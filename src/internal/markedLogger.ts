/**
 * A logger that logs like another and carries one marker more (a stand-in for Effect's default
 * logger, a log floor): a new value built whole, so the logger it wraps is left as it is and the
 * marker costs no property descriptor.
 *
 * @internal
 */
import * as Logger from "effect/Logger"
import { pipeArguments } from "effect/Pipeable"

export const marked = <M, O, K extends symbol, V>(
  logger: Logger.Logger<M, O>,
  key: K,
  value: V
): Logger.Logger<M, O> & { readonly [P in K]: V } => {
  const out = {
    [Logger.LoggerTypeId]: logger[Logger.LoggerTypeId],
    [key]: value,
    log: (options: Logger.Logger.Options<M>) => logger.log(options),
    pipe() {
      // eslint-disable-next-line prefer-rest-params
      return pipeArguments(this, arguments)
    }
  }
  // A computed key of a generic symbol type is typed as an index signature: it is `K` here.
  return out as Logger.Logger<M, O> & { readonly [P in K]: V }
}
