/**
 * `TestHost`: runs an application in a test's scope (under `TestClock` with `@effect/vitest`'s
 * `it.effect`), records every lifecycle event in order, and lets the test advance time, request a
 * stop, inject a failure and read the final `Exit`.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import type { ApplicationLifetime } from "./ApplicationLifetime.js"
import * as Host from "./Host.js"
import type { HostEvent, HostHandle } from "./internal/observer.js"
import { currentObserver } from "./internal/observer.js"

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
  /** Requests a stop and waits for the host's final exit. */
  readonly stop: Effect.Effect<Exit.Exit<void, E>>
  /** Reports a failure as if background service `service` had failed with `error`. */
  readonly injectFailure: (service: string, error: unknown) => Effect.Effect<void>
  /** Waits for the host's final exit. */
  readonly exit: Effect.Effect<Exit.Exit<void, E>>
  /** The final exit if the host has finished. */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<void, E>>>
  /** Services currently inside a hook. */
  readonly inFlight: Effect.Effect<ReadonlyArray<{ readonly service: string; readonly phase: string }>>
}

/**
 * Formats an event the way `trace` does.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatEvent = (event: Event): string => {
  switch (event._tag) {
    case "Hook":
      return `${event.service}.${event.phase}`
    case "HookFailed":
      return `${event.service}.${event.phase} failed`
    case "Lifetime":
      return `lifetime.${event.event}`
  }
}

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
  services: S,
  options?: Host.Options
) =>
  Effect.gen(function*() {
    type E = Effect.Effect.Error<ReturnType<typeof Host.launch<S>>>
    const events: Array<Event> = []
    const handle = yield* Deferred.make<HostHandle>()
    const fiber = yield* Host.launch(services, options).pipe(
      Effect.locally(
        currentObserver,
        Option.some({
          onEvent: (event: HostEvent) => void events.push(event),
          onHost: (h: HostHandle) => void Deferred.unsafeDone(handle, Exit.succeed(h))
        })
      ),
      Effect.forkScoped
    )
    // The host may fail before it exists (invalid configuration, a layer that fails to build).
    const host = yield* Effect.raceFirst(
      Deferred.await(handle).pipe(Effect.map(Option.some)),
      Fiber.await(fiber).pipe(Effect.as(Option.none<HostHandle>()))
    )
    const exit = Fiber.await(fiber) as Effect.Effect<Exit.Exit<void, E>>
    const requestStop = Option.match(host, { onNone: () => Effect.void, onSome: (h) => h.lifetime.stopApplication })
    const live = Option.getOrUndefined(host)
    // When the test's scope closes with the host still running (typically a failed assertion),
    // stop it and move the `TestClock` past the shutdown budget: otherwise a stop hook that
    // sleeps would wait for a clock nobody advances, and the test would hang instead of failing.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (live === undefined || Option.isSome(yield* Fiber.poll(fiber))) return
        yield* requestStop
        yield* TestClock.adjust(Duration.sum(live.options.shutdownTimeout, Duration.millis(1)))
        yield* Fiber.await(fiber)
      })
    )
    const testHost: TestHost<E> = {
      events: Effect.sync(() => [...events]),
      trace: Effect.sync(() => events.filter((e) => e._tag !== "HookFailed").map(formatEvent)),
      lifetime: live?.lifetime ?? unavailableLifetime,
      started: live === undefined
        ? Effect.fail(new Cause.NoSuchElementException("the host ended before it existed"))
        : Effect.raceFirst(
          live.lifetime.started,
          Effect.flatMap(Fiber.await(fiber), () => Effect.fail(new Cause.NoSuchElementException("the host ended before it started")))
        ),
      advance: (duration) => TestClock.adjust(duration),
      requestStop,
      stop: Effect.zipRight(requestStop, exit),
      injectFailure: (service, error) =>
        live === undefined ? Effect.void : live.reportBackgroundFailure(service, Cause.fail(error)),
      exit,
      poll: Fiber.poll(fiber) as Effect.Effect<Option.Option<Exit.Exit<void, E>>>,
      inFlight: Effect.sync(() => live?.inFlight() ?? [])
    }
    return testHost
  }) as Effect.Effect<
    TestHost<Effect.Effect.Error<ReturnType<typeof Host.launch<S>>>>,
    never,
    Effect.Effect.Context<ReturnType<typeof Host.launch<S>>> | Scope.Scope
  >

const unavailableLifetime: ApplicationLifetime["Type"] = {
  started: Effect.never,
  stopping: Effect.never,
  stopped: Effect.void,
  stopApplication: Effect.void,
  onStarted: () => Effect.void,
  onStopping: () => Effect.void,
  onStopped: () => Effect.void
}
