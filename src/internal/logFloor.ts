/**
 * The lowest level any logger of the current host writes, where the fiber's minimum level cannot
 * say it. A host logger that follows reloads sets the fiber's minimum level to `All` (each fiber
 * holds its own copy, which a reload could not lower) and filters in the loggers instead; a line
 * below this floor is then built only to be dropped by every one of them, about 2 µs each. The
 * engine writes lines per hook (`Hosted service … started in …`), so it asks first.
 *
 * The floor travels with the following logger itself (a property of the logger value, found
 * among the fiber's loggers), not in a `FiberRef` of its own: every fiber-refs copy (each
 * request, each hook) would pay for one more entry.
 *
 * A logger a program adds later, inside the host's scope, is not gated by the host's settings and
 * would have received the engine's lines below the floor; it no longer does (the `Logging`
 * section says what the host logs).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import type * as Logger from "effect/Logger"
import { marked } from "./markedLogger.js"

/** What a following host logger lets through now (`lowest` follows reloads). */
export interface Floor {
  readonly lowest: LogLevel.LogLevel
}

export const FloorTypeId: unique symbol = Symbol.for("effect-host/LogFloor")

/** `logger`, carrying `floor` (the logger's own behaviour is unchanged). */
export const withFloor = <M, O>(logger: Logger.Logger<M, O>, floor: Floor): Logger.Logger<M, O> => marked(logger, FloorTypeId, floor)

const floorOf = (logger: unknown): Floor | undefined =>
  typeof logger === "object" && logger !== null && FloorTypeId in logger ? (logger as { readonly [FloorTypeId]: Floor })[FloorTypeId] : undefined

/** Whether a following host logger among `loggers` drops lines at `level` (none: `false`). */
export const belowFloor = (loggers: Iterable<Logger.Logger<unknown, unknown>>, level: LogLevel.LogLevel): boolean => {
  for (const logger of loggers) {
    const floor = floorOf(logger)
    if (floor !== undefined && LogLevel.lessThan(level, floor.lowest)) return true
  }
  return false
}

/** `Effect.logWithLevel(level, message)`, skipped when no logger of the host would write it. */
export const logAbove = (level: LogLevel.LogLevel, message: string): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) =>
    belowFloor(fiber.getFiberRef(FiberRef.currentLoggers), level) ? Effect.void : Effect.logWithLevel(level, message)
  )
