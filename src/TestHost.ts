/**
 * `TestHost`: runs an application in a test's scope (under `TestClock` with `@effect/vitest`'s
 * `it.scoped`, which provides the test's `Scope`), records every lifecycle event in order, and lets the test advance time, request a
 * stop, inject a failure and read the final `Exit`.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { ApplicationLifetime } from "./ApplicationLifetime.js"
import type * as Host from "./Host.js"
import type { Phase } from "./HostError.js"
import type { HostEvent } from "./internal/engine.js"
import * as internal from "./internal/testHost.js"

/**
 * One recorded step: a hook invocation, a hook failure, or a lifetime event.
 *
 * @since 0.1.0
 * @category models
 */
export type Event = HostEvent

/**
 * @since 0.1.0
 * @category models
 */
export interface TestHost<E> {
  /** Every event so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<Event>>
  /** Hook invocations and lifetime events as strings: `"Worker.start"`, `"lifetime.started"`. */
  readonly trace: Effect.Effect<ReadonlyArray<string>>
  readonly lifetime: ApplicationLifetime["Type"]
  /** Waits until the host has started (fails the test's fiber if the host ends first). */
  readonly started: Effect.Effect<void, Cause.NoSuchElementException>
  /** Moves the `TestClock` forward. */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
  /** Requests a graceful stop (`ApplicationLifetime.stopApplication`) without waiting. */
  readonly requestStop: Effect.Effect<void>
  /**
   * Requests a stop and waits for the host's final exit. While the host has not finished, it
   * moves the `TestClock` from one pending sleep to the next, so a stop that waits for a run
   * sleeping on the test clock completes; the clock moves no further than the stop needed, and
   * never past the shutdown deadline: the grace after it is real time, as in production, so
   * work that ignores the interruption is abandoned and named, not finished by the clock.
   */
  readonly stop: Effect.Effect<Exit.Exit<void, E>>
  /** Reports a failure as if background service `service` had failed with `error`. */
  readonly injectFailure: (service: string, error: unknown) => Effect.Effect<void>
  /** Waits for the host's final exit. */
  readonly exit: Effect.Effect<Exit.Exit<void, E>>
  /** The final exit if the host has finished. */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<void, E>>>
  /** Services currently inside a hook. */
  readonly inFlight: Effect.Effect<ReadonlyArray<{ readonly service: string; readonly phase: Phase }>>
}

/**
 * Formats an event the way `trace` does.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatEvent: (event: Event) => string = internal.formatEvent

/**
 * Starts `services` with `Host.launch` in a background fiber of the current scope and returns a
 * handle as soon as the host exists (before its start phases have necessarily finished).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { it, expect } from "@effect/vitest"
 * import { HostedService } from "effect-host"
 * import { TestHost } from "effect-host/testing"
 * import { Effect } from "effect"
 *
 * it.scoped("stops in reverse order", () =>
 *   Effect.gen(function*() {
 *     const host = yield* TestHost.start([
 *       HostedService.make("A", { start: Effect.void, stop: Effect.void }),
 *       HostedService.make("B", { start: Effect.void, stop: Effect.void })
 *     ])
 *     yield* host.started
 *     yield* host.stop
 *     expect(yield* host.trace).toContain("B.stop")
 *   }))
 * ```
 */
export const start = <const S extends Host.Services>(
  services: S & Host.CheckOrder<S>,
  options?: Host.Options
): Effect.Effect<TestHost<Host.Error<S>>, never, Host.Requirements<S> | Scope.Scope> =>
  // The public types check the list (as `Host.launch` does); the implementation only needs layers.
  internal.start<Host.Error<S>>(
    (Array.isArray(services) ? services : [services]) as Parameters<typeof internal.start>[0],
    options
  ) as Effect.Effect<TestHost<Host.Error<S>>, never, Host.Requirements<S> | Scope.Scope>
