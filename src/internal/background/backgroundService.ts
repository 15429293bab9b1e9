/**
 * The machinery behind `BackgroundService.make`: the `execute` fiber forked by `start` and
 * interrupted by `stop`, and the supervisor that restarts it on its `restart` schedule and
 * reports a final failure to the host.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import type { Options } from "../../BackgroundService.js"
import type { HostedService } from "../../HostedService.js"
import type { HostContext } from "../hostContext.js"
import { register } from "../hostedService.js"
import { backgroundFailures, backgroundRestarts, labels, outcome } from "../metrics.js"
import { isTracing, linkToCurrentSpan } from "../tracing.js"
import { once } from "../grace.js"
import { interruptAllWithin, releaseGrace } from "./fibers.js"

export const make = <A, E, R>(
  name: string,
  execute: Effect.Effect<A, E, R>,
  options: Options<NoInfer<E>> = {}
): HostedService<never, Exclude<R, Scope.Scope>> =>
  register(name, (host) =>
    Effect.gen(function*() {
      const context = yield* Effect.context<Exclude<R, Scope.Scope>>()
      let fiber: Fiber.RuntimeFiber<void> | undefined
      // Set before we interrupt the fiber: an interruption seen after this is ours.
      let stopping = false
      // Spans only when a tracer is installed. Each attempt is a trace of its own (it runs for
      // the life of the host), linked to the span of the `start` hook that forked it.
      const tracing = yield* isTracing
      let links: ReadonlyArray<Tracer.SpanLink> = []

      const provided = Effect.provide(Effect.scoped(execute), context)
      const attempt = (n: number) =>
        tracing
          ? provided.pipe(
            Effect.onExit((exit) => Effect.annotateCurrentSpan("effect_host.outcome", outcome(exit))),
            Effect.withSpan("BackgroundService.execute", {
              attributes: { "effect_host.service": name, "effect_host.attempt": n },
              root: true,
              links,
              captureStackTrace: false
            })
          )
          : provided

      const supervise = supervisor(name, attempt, options.restart, host, () => stopping).pipe(
        Effect.annotateLogs({ service: name, phase: "execute" })
      )

      /**
       * The deadline cut the stop short, or the stop never ran (the layer is released): interrupt
       * `execute` and wait at most `releaseGrace` (real time), so that its scope is closed before
       * the host returns; an `execute` that ignores interruption beyond that is abandoned, and
       * said so.
       */
      const cutOff = Effect.suspend(() => {
        stopping = true
        const running = fiber
        if (running === undefined || running.unsafePoll() !== null) return Effect.void
        return Effect.flatMap(interruptAllWithin([running], releaseGrace), (ended) =>
          ended ? Effect.void : Effect.logWarning(
            `Background service ${name}: still running ${Duration.format(releaseGrace)} after it was interrupted; abandoned`
          ))
      }).pipe(Effect.annotateLogs({ service: name }))

      // Once: the deadline's interruption of `stop`, the engine at the deadline and the layer's
      // release all come here; an abandoned `execute` is waited for (and reported) only once.
      const cutOffOnce = yield* once(cutOff)
      yield* Effect.addFinalizer(() => cutOffOnce)

      const start = Effect.gen(function*() {
        stopping = false
        if (tracing) links = yield* linkToCurrentSpan
        // Explicitly interruptible: a fork inherits the caller's interruptibility, and the stop
        // must be able to interrupt this fiber whatever region `start` was called from.
        fiber = yield* Effect.forkDaemon(Effect.interruptible(supervise))
        // One turn for `execute` to run up to its first wait: one that fails at once (before it
        // waits for anything) is then reported during the start, so the start is cut and rolled
        // back and `started` never fires, as .NET's host fails a start whose ExecuteAsync threw
        // synchronously. A failure after a wait comes after the start, as before.
        yield* Effect.yieldNow()
      })

      const stop = Effect.suspend(() => {
        stopping = true
        const running = fiber
        if (running === undefined) return Effect.void
        return Effect.flatMap(Fiber.interrupt(running), (exit) =>
          // The interruption is expected; anything else (a finalizer of `execute` that failed
          // while being interrupted) is a stop failure the host must hear about.
          Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)
            ? Effect.failCause(exit.cause)
            : Effect.void)
      }).pipe(Effect.onInterrupt(() => cutOffOnce))

      return { hooks: { start, stop }, cutOff: cutOffOnce }
    }))

/**
 * Runs attempts until one ends normally, the restart schedule gives up, or the host stops us.
 *
 * Only the attempts, the restart schedule's steps and the waits between attempts are
 * interruptible: what follows an attempt's end (logging it, reporting it to the host) is not. An
 * attempt that fails while the stop's interruption waits (a failure at the end of an
 * uninterruptible region) must still be reported; interruptible, the report would be the next
 * interruption point and the failure lost.
 */
const supervisor = <E>(
  name: string,
  attempt: (n: number) => Effect.Effect<unknown, E>,
  restart: Schedule.Schedule<unknown, Cause.Cause<E>> | undefined,
  host: HostContext,
  stopping: () => boolean
): Effect.Effect<void> =>
  Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
    const serviceLabels = labels(["service", name])
    // Every series exists from the start, at 0: a scraper (and `increase()`) sees the first failure.
    backgroundFailures.unsafeUpdate(0, serviceLabels)
    backgroundRestarts.unsafeUpdate(0, serviceLabels)
    let state: unknown = restart?.initial
    for (let n = 1;; n++) {
      const exit = yield* Effect.exit(restore(attempt(n)))
      if (Exit.isSuccess(exit)) {
        yield* Effect.logInfo(`Background service ${name} completed`)
        return
      }
      // Our own stop interrupted it: nothing to report.
      if (stopping() && Cause.isInterruptedOnly(exit.cause)) return
      backgroundFailures.unsafeUpdate(1, serviceLabels)
      // Not restarted once the host is stopping: the new attempt would only be interrupted by
      // this service's stop, and the failure, never reported, would be lost. It is reported
      // instead, as one of the stop's failures.
      if (restart !== undefined && !stopping() && !host.isStopping()) {
        const now = yield* Clock.currentTimeMillis
        // The schedule's step is the user's code (it may wait): interruptible like the attempts.
        const stepped = yield* Effect.exit(restore(restart.step(now, exit.cause, state)))
        if (Exit.isFailure(stepped)) {
          if (stopping() && Cause.isInterruptedOnly(stepped.cause)) return
          return yield* host.reportBackgroundFailure(name, Cause.sequential(exit.cause, stepped.cause))
        }
        const [next, , decision] = stepped.value
        state = next
        if (ScheduleDecision.isContinue(decision)) {
          const delay = Duration.millis(Math.max(0, Intervals.start(decision.intervals) - now))
          backgroundRestarts.unsafeUpdate(1, serviceLabels)
          yield* Effect.logWarning(
            `Background service ${name} failed (attempt ${n}); restarting in ${Duration.format(delay)} (attempt ${n + 1})`,
            exit.cause
          )
          yield* restore(Effect.sleep(delay))
          continue
        }
        yield* Effect.logError(`Background service ${name} failed (attempt ${n}); its restart schedule is exhausted`)
      }
      // The host logs the failure with its cause and applies backgroundServiceExceptionBehavior.
      yield* host.reportBackgroundFailure(name, exit.cause)
      return
    }
  }))
