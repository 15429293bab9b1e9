/**
 * `TestHost.start`: `Host.launch` in a fiber of the test's scope, watched like a runner watches
 * it, with the test clock driven only when the test asks.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import type { ApplicationLifetime } from "../ApplicationLifetime.js"
import type { Options } from "../Host.js"
import type { Event, TestHost } from "../TestHost.js"
import type { HostEvent } from "./engine.js"
import { finalizationGrace } from "./hostContext.js"
import * as Host from "./host.js"
import { currentWatch, type WatchedHost } from "./watch.js"

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

const unavailableLifetime: ApplicationLifetime["Type"] = {
  started: Effect.never,
  stopping: Effect.never,
  stopped: Effect.void,
  stopApplication: Effect.void,
  onStarted: () => Effect.void,
  onStopping: () => Effect.void,
  onStopped: () => Effect.void
}

/** Lets every fiber that is ready run until it suspends (a macrotask boundary; not a timed wait). */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Moves the test clock from one pending sleep to the next until `fiber` has ended: a stop that
 * waits for a run sleeping on the test clock completes, and the clock moves no further than it
 * had to. Never past the host's shutdown deadline: after it, the host gives the interrupted work
 * a grace of real time, as in production, and what ignores the interruption (a stop hook in an
 * uninterruptible sleep) is abandoned then, not finished by a clock moving on.
 */
const driveClockUntilDone = (fiber: Fiber.Fiber<unknown, unknown>, shutdownTimeout: Duration.Duration): Effect.Effect<void> =>
  Effect.gen(function*() {
    const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(shutdownTimeout)
    while (Option.isNone(yield* Fiber.poll(fiber))) {
      yield* settle
      if (Option.isSome(yield* Fiber.poll(fiber))) return
      const next = Chunk.head(Chunk.sort(yield* TestClock.sleeps(), Order.number))
      if (Option.isSome(next) && next.value <= deadline) yield* TestClock.setTime(next.value)
    }
  })

export const start = <E>(
  services: ReadonlyArray<Parameters<typeof Host.launch>[0][number]>,
  options?: Options
): Effect.Effect<TestHost<E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const hosts = yield* Queue.unbounded<WatchedHost>()
    const fiber = yield* Host.launch(services, options).pipe(
      Effect.locally(currentWatch, Option.some(hosts)),
      Effect.forkScoped
    )
    // The host may fail before it exists (invalid configuration, a layer that fails to build).
    const taken = yield* Effect.raceFirst(
      Effect.map(Queue.take(hosts), Option.some),
      Effect.as(Fiber.await(fiber), Option.none<WatchedHost>())
    )
    const host = Option.isSome(taken) ? taken.value : Option.getOrUndefined(yield* Queue.poll(hosts))
    const exit = Fiber.await(fiber) as Effect.Effect<Exit.Exit<void, E>>
    const requestStop = host === undefined ? Effect.void : host.lifetime.stopApplication
    // When the test's scope closes with the host still running (typically a failed assertion),
    // stop it and move the `TestClock` past the shutdown budget: otherwise a stop hook that
    // sleeps would wait for a clock nobody advances, and the test would hang instead of failing.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (host === undefined || Option.isSome(yield* Fiber.poll(fiber))) return
        yield* requestStop
        yield* TestClock.adjust(Duration.sum(Duration.sum(host.options.shutdownTimeout, finalizationGrace), Duration.millis(1)))
        yield* Fiber.await(fiber)
      })
    )
    const events = (): ReadonlyArray<HostEvent> => host?.events() ?? []
    const testHost: TestHost<E> = {
      events: Effect.sync(events),
      trace: Effect.sync(() => events().filter((e) => e._tag !== "HookFailed").map(formatEvent)),
      lifetime: host?.lifetime ?? unavailableLifetime,
      started: host === undefined
        ? Effect.fail(new Cause.NoSuchElementException("the host ended before it existed"))
        : Effect.raceFirst(
          host.lifetime.started,
          Effect.flatMap(Fiber.await(fiber), () => Effect.fail(new Cause.NoSuchElementException("the host ended before it started")))
        ),
      advance: (duration) => TestClock.adjust(duration),
      requestStop,
      stop: Effect.zipRight(
        requestStop,
        Effect.zipRight(driveClockUntilDone(fiber, host?.options.shutdownTimeout ?? Duration.zero), exit)
      ),
      injectFailure: (service, error) => host === undefined ? Effect.void : host.reportFailure(service, Cause.fail(error)),
      exit,
      poll: Fiber.poll(fiber) as Effect.Effect<Option.Option<Exit.Exit<void, E>>>,
      inFlight: Effect.sync(() => host?.inFlight() ?? [])
    }
    return testHost
  })
