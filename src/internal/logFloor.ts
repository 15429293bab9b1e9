/**
 * The lowest level any logger of the current host writes, where the fiber's minimum level cannot
 * say it. A host logger that follows reloads sets the fiber's minimum level to `All` (each fiber
 * holds its own copy, which a reload could not lower) and filters in the loggers instead; a line
 * below this floor is then built only to be dropped by every one of them, about 2 µs each. The
 * engine writes lines per hook (`Hosted service … started in …`), so it asks first.
 *
 * A logger a program adds later, inside the host's scope, is not gated by the host's settings and
 * would have received the engine's lines below the floor; it no longer does (the `Logging`
 * section says what the host logs).
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as LogLevel from "effect/LogLevel"

/** What a following host logger lets through now (`lowest` follows reloads); none otherwise. */
export interface Floor {
  readonly lowest: LogLevel.LogLevel
}

export const currentLogFloor: FiberRef.FiberRef<Floor | undefined> = globalValue(
  Symbol.for("effect-host/currentLogFloor"),
  () => FiberRef.unsafeMake<Floor | undefined>(undefined)
)

/** `Effect.logWithLevel(level, message)`, skipped when no logger of the host would write it. */
export const logAbove = (level: LogLevel.LogLevel, message: string, cause?: Cause.Cause<unknown>): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const floor = fiber.getFiberRef(currentLogFloor)
    if (floor !== undefined && LogLevel.lessThan(level, floor.lowest)) return Effect.void
    return cause === undefined ? Effect.logWithLevel(level, message) : Effect.logWithLevel(level, message, cause)
  })
