/**
 * Forking from a fiber that is being interrupted, without paying for its interruption.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Runtime from "effect/Runtime"

/**
 * `Effect.forkDaemon`, with the current fiber's refs except the interruption it is handling.
 * The host's stop usually runs on an interrupted fiber (a signal, a scope closed by an
 * interruption), and `forkDaemon` then compares that cause with the child's (always empty) one
 * for every fork: hashing a `Cause` on code that has not run yet in the process cost about 0.5 ms
 * of every SIGTERM → exit. The child starts with no interruption either way, and like
 * `forkDaemon`'s it is scheduled, not run at once.
 */
export const forkDaemonFresh = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Fiber.RuntimeFiber<A, E>> =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) =>
    Effect.sync(() =>
      Runtime.runFork(Runtime.make({
        context: runtime.context,
        runtimeFlags: runtime.runtimeFlags,
        fiberRefs: FiberRefs.delete(runtime.fiberRefs, FiberRef.interruptedCause)
      }))(effect, { immediate: false })
    ))
