/**
 * The lifecycle engine: the one place that decides in which order hooks run, what is rolled back,
 * and how the shutdown budget is enforced. Read it top to bottom:
 *
 *   1. state       — registered services, which ones completed `start`, who is inside a hook
 *   2. runHook     — runs one hook of one service, with span, log line, event and failure capture
 *   3. start       — the three start phases as barriers, then the `started` event; bounded by
 *                    `startupTimeout`; a stop requested meanwhile ends it before the next hook
 *   4. stop        — idempotent; interrupts a running start, then the three stop phases in reverse
 *                    order and the `stopped` callbacks, all inside one `shutdownTimeout` budget
 *                    that ends in interruption (never waiting for a hook that ignores it)
 *   5. outcome     — the stop reason plus the stop report become the host's final result
 *
 * Invariants (asserted by the property test in `test/Host.property.test.ts`):
 *   - a service gets its stop phases exactly once iff its `start` hook completed, in reverse
 *     registration order, and never without a completed start;
 *   - the lifetime's `stopped` event fires last, also when the deadline was hit;
 *   - the result is a failure exactly when some hook failed or a deadline was hit.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { ApplicationLifetime } from "../ApplicationLifetime.js"
import {
  BackgroundServiceError,
  type HostError,
  HostStartError,
  HostStopError,
  type Phase,
  serviceFailure,
  type ServiceFailure,
  ShutdownTimeoutError,
  StartupTimeoutError,
  startPhases,
  type StopReport,
  stopPhases
} from "../HostError.js"
import type * as HostOptions from "../HostOptions.js"
import type { HostContext, ServiceDefinition } from "./hostContext.js"
import type { HostEvent, HostHandle } from "./observer.js"

/**
 * Why the host stops. The first reason wins, except that a failure replaces a plain request: a
 * start hook that fails after someone called `stopApplication` still fails the host.
 */
type StopReason =
  | { readonly _tag: "Requested" }
  | { readonly _tag: "BackgroundFailure"; readonly service: string; readonly cause: Cause.Cause<unknown> }
  | { readonly _tag: "StartFailed"; readonly failures: ReadonlyArray<ServiceFailure> }
  | { readonly _tag: "StartupTimeout"; readonly timeout: Duration.Duration; readonly pending: ReadonlyArray<string> }

/** How `start` ended when it did not fail. */
export type StartOutcome = "Started" | "StoppedDuringStart"

export interface Engine {
  readonly lifetime: ApplicationLifetime["Type"]
  readonly hostContext: HostContext
  readonly handle: HostHandle
  /** Runs the start phases. On failure the rollback has already run when this fails. */
  readonly start: Effect.Effect<StartOutcome, HostError>
  /** Runs the stop once (later callers wait for the first). Never fails, never outlives the budget. */
  readonly stop: Effect.Effect<void>
  /** Waits for the stop to finish and yields the host's final result. */
  readonly result: Effect.Effect<void, HostError>
  /** Completes when a stop was requested (stopApplication, background failure, failed start). */
  readonly stopRequested: Effect.Effect<void>
}

export interface EngineOptions {
  readonly options: HostOptions.Resolved
  readonly onEvent: (event: HostEvent) => void
  readonly onOutcome: (error: HostError | undefined) => void
}

export const make = ({ onEvent, onOutcome, options }: EngineOptions): Effect.Effect<Engine> =>
  Effect.gen(function*() {
    // ---------------------------------------------------------------------------------------
    // 1. state
    // ---------------------------------------------------------------------------------------
    const services: Array<ServiceDefinition> = []
    const startCompleted = new Set<ServiceDefinition>()
    const stopCompleted = new Set<ServiceDefinition>()
    const inFlight = new Map<ServiceDefinition, Phase>()
    let stopReason: StopReason | undefined
    let stopBegun = false
    let startFiber: Fiber.RuntimeFiber<boolean> | undefined
    /** The lifetime callbacks being run, if any: named in the log when the deadline cuts them. */
    let callbacksInFlight: string | undefined
    let stoppedFired = false

    const startedEvent = yield* Deferred.make<void>()
    const stoppingEvent = yield* Deferred.make<void>()
    const stoppedEvent = yield* Deferred.make<void>()
    const stopRequested = yield* Deferred.make<void>()
    const done = yield* Deferred.make<void, HostError>()
    const callbacks = {
      started: [] as Array<Effect.Effect<void, unknown>>,
      stopping: [] as Array<Effect.Effect<void, unknown>>,
      stopped: [] as Array<Effect.Effect<void, unknown>>
    }

    const setReason = (reason: StopReason) => {
      if (stopReason === undefined || (stopReason._tag === "Requested" && reason._tag !== "Requested")) {
        stopReason = reason
      }
    }

    const requestStop = (reason: StopReason) =>
      Effect.suspend(() => {
        setReason(reason)
        return Deferred.succeed(stopRequested, undefined)
      })

    // Lifetime events: callbacks run in registration order, each failure is logged and the
    // others still run; then the event's waiters are released. `stopped` is split in two: its
    // callbacks run inside the shutdown budget (see stopWork), its waiters are released last.
    const runCallbacks = (event: "started" | "stopping" | "stopped") =>
      Effect.gen(function*() {
        onEvent({ _tag: "Lifetime", event })
        if (event === "stopped") stoppedFired = true
        callbacksInFlight = `ApplicationLifetime.on${event[0]?.toUpperCase()}${event.slice(1)}`
        for (const callback of callbacks[event]) {
          yield* Effect.catchAllCause(
            callback,
            (cause) => Effect.logError(`ApplicationLifetime ${event} callback failed`, cause)
          )
        }
      }).pipe(
        Effect.ensuring(Effect.sync(() => callbacksInFlight = undefined)),
        Effect.withSpan(`ApplicationLifetime.${event}`)
      )

    // After releasing the waiters we yield once, so fibers waiting on the event run before the
    // next phase's hooks: "`stopping` fires, then every `stopping` hook" holds for waiters too.
    const fireLifetime = (event: "started" | "stopping", deferred: Deferred.Deferred<void>) =>
      Effect.zipRight(runCallbacks(event), Effect.zipRight(Deferred.succeed(deferred, undefined), Effect.yieldNow()))

    // ---------------------------------------------------------------------------------------
    // 2. runHook
    // ---------------------------------------------------------------------------------------
    const runHook = (service: ServiceDefinition, phase: Phase): Effect.Effect<Exit.Exit<void, unknown>> => {
      const hook = service.hooks[phase]
      if (hook === undefined) return Effect.succeed(Exit.void)
      return Effect.gen(function*() {
        onEvent({ _tag: "Hook", service: service.name, phase })
        inFlight.set(service, phase)
        const startedAt = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(Effect.interruptible(hook))
        inFlight.delete(service)
        const elapsed = (yield* Clock.currentTimeMillis) - startedAt
        if (Exit.isSuccess(exit)) {
          if (phase === "start" || phase === "stop") {
            yield* Effect.logInfo(`Hosted service ${service.name} ${phase === "start" ? "started" : "stopped"} in ${elapsed}ms`)
          } else {
            yield* Effect.logDebug(`Hosted service ${service.name} ${phase} done in ${elapsed}ms`)
          }
        } else {
          // Only reached when the hook itself ended badly: when the host interrupts a hook (stop
          // during start, deadline) the interruption unwinds this fiber before this line.
          onEvent({ _tag: "HookFailed", service: service.name, phase })
          const how = Cause.isInterruptedOnly(exit.cause) ? "was interrupted" : "failed"
          yield* Effect.logError(`Hosted service ${service.name} ${how} in ${phase} after ${elapsed}ms`, exit.cause)
        }
        return exit
      }).pipe(
        // A hook interrupted from outside (deadline, stop during start) must not stay "in flight".
        Effect.onInterrupt(() => Effect.sync(() => inFlight.delete(service))),
        Effect.withSpan(`HostedService.${phase}`, { attributes: { "hosted_service.name": service.name } }),
        Effect.annotateLogs({ service: service.name, phase })
      )
    }

    /**
     * Runs one phase over `members` (in the order given); returns the failures, each also handed
     * to `onFailure` at once. In sequential mode `halt` is asked before each hook (a failure, a
     * stop request) and ends the phase early.
     */
    const runPhase = (
      phase: Phase,
      members: ReadonlyArray<ServiceDefinition>,
      concurrently: boolean,
      halt: (failures: ReadonlyArray<ServiceFailure>) => boolean,
      onSuccess: (service: ServiceDefinition) => void,
      onFailure: (failure: ServiceFailure) => void
    ): Effect.Effect<Array<ServiceFailure>> =>
      Effect.gen(function*() {
        const failures: Array<ServiceFailure> = []
        const record = (service: ServiceDefinition, exit: Exit.Exit<void, unknown>) => {
          if (Exit.isSuccess(exit)) return onSuccess(service)
          const failure = serviceFailure(service.name, phase, exit.cause)
          failures.push(failure)
          onFailure(failure)
        }
        if (concurrently) {
          // Only members with a hook in this phase get a fiber; the others pass it at once.
          const withHook = members.filter((s) => s.hooks[phase] !== undefined)
          for (const s of members) if (s.hooks[phase] === undefined) record(s, Exit.void)
          yield* Effect.forEach(withHook, (s) => Effect.map(runHook(s, phase), (exit) => record(s, exit)), {
            concurrency: "unbounded",
            discard: true
          })
        } else {
          for (const service of members) {
            if (halt(failures)) break
            record(service, yield* runHook(service, phase))
          }
        }
        return failures
      }).pipe(Effect.withSpan(`Host.${phase}`, { attributes: { "host.services": members.length } }))

    // ---------------------------------------------------------------------------------------
    // 3. start
    // ---------------------------------------------------------------------------------------
    /** Whether a stop was requested (by anyone) or the start failed: no further hook starts. */
    const stopPending = () => stopReason !== undefined

    /**
     * Every start failure, recorded as the stop reason the moment it happens: a stop that
     * interrupts the rest of a concurrent phase (stopApplication, the startup deadline) must not
     * hide a member that had already failed.
     */
    const startFailures: Array<ServiceFailure> = []
    const startFailed = (failure: ServiceFailure) => {
      startFailures.push(failure)
      setReason({ _tag: "StartFailed", failures: startFailures })
    }

    /** The start phases, then the `started` event. Yields whether the host fully started. */
    const runStartPhases: Effect.Effect<boolean> = Effect.gen(function*() {
      for (const phase of startPhases) {
        if (stopPending()) return false
        const failures = yield* runPhase(
          phase,
          services,
          options.servicesStartConcurrently,
          (failures) => failures.length > 0 || stopPending(),
          (service) => phase === "start" && startCompleted.add(service),
          startFailed
        )
        if (failures.length > 0) return false
      }
      if (stopPending()) return false
      // Part of the start: a stop (or the startup deadline) interrupts callbacks that hang.
      yield* fireLifetime("started", startedEvent)
      return true
    })

    const start: Effect.Effect<StartOutcome, HostError> = Effect.gen(function*() {
      yield* Effect.logDebug(`Starting ${services.length} hosted service(s)`)
      // A daemon, so that neither an interrupted caller nor the startup deadline has to wait for
      // a start hook that ignores interruption; the stop interrupts and awaits it (in its budget).
      const fiber = yield* Effect.forkDaemon(Effect.interruptible(runStartPhases))
      startFiber = fiber
      // `interruptible`: the startup deadline must be able to stop this wait even when the
      // caller runs uninterruptibly. Left: the deadline passed first.
      const awaitStart = Effect.interruptible(Fiber.await(fiber))
      const ended = yield* Option.match(options.startupTimeout, {
        onNone: () => Effect.map(awaitStart, Either.right),
        onSome: (timeout) =>
          Effect.map(Effect.timeoutOption(awaitStart, timeout), Either.fromOption(() => timeout))
      }).pipe(Effect.onInterrupt(() => Fiber.interruptFork(fiber)))
      if (Either.isLeft(ended)) {
        // The pending names are read at the deadline, before the stop interrupts them.
        const pending = [...inFlight.keys()].map((s) => s.name)
        if (callbacksInFlight !== undefined) pending.push(callbacksInFlight)
        setReason({ _tag: "StartupTimeout", timeout: ended.left, pending })
      } else if (Exit.isSuccess(ended.right) && ended.right.value) {
        return "Started"
      } else if (Exit.isFailure(ended.right) && !Cause.isInterruptedOnly(ended.right.cause)) {
        // The start fiber catches every hook's failure, so this is a defect of the host itself.
        return yield* Effect.failCause(ended.right.cause as Cause.Cause<never>)
      }
      // Failed, timed out, or stopped during start: roll back (the stop interrupts what is still
      // running) and report the outcome, which is a success only for a plain stop request.
      yield* stop
      yield* Deferred.await(done)
      return "StoppedDuringStart"
    }).pipe(Effect.withSpan("Host.start"))

    // ---------------------------------------------------------------------------------------
    // 4. stop
    // ---------------------------------------------------------------------------------------
    const stopFailures: Array<ServiceFailure> = []

    const stopWork: Effect.Effect<void> = Effect.gen(function*() {
      // Wait for the interrupted start to end, so no service is stopped while a service
      // registered after it (which may use it) is still inside a start hook.
      if (startFiber !== undefined) yield* Fiber.interrupt(startFiber)
      yield* fireLifetime("stopping", stoppingEvent)
      const members = services.filter((s) => startCompleted.has(s)).reverse()
      for (const phase of stopPhases) {
        yield* runPhase(
          phase,
          members,
          options.servicesStopConcurrently,
          () => false,
          (service) => phase === "stopped" && stopCompleted.add(service),
          (failure) => stopFailures.push(failure)
        )
      }
      // Stop failures leave the service "stopped" too: it had every stop phase.
      for (const s of members) stopCompleted.add(s)
      yield* runCallbacks("stopped")
    })

    const runStop: Effect.Effect<void> = Effect.gen(function*() {
      stopBegun = true
      setReason({ _tag: "Requested" })
      yield* Deferred.succeed(stopRequested, undefined)
      yield* Effect.logDebug("Stopping hosted services")
      // The stop work runs in its own fiber so the deadline can abandon it: at the deadline we
      // interrupt it without waiting, since a hook that ignores interruption would hang us.
      // Whichever comes first, the end of the work or the deadline, completes `finish`; waiting
      // on a Deferred needs no interruption, so the stop (uninterruptible) always reaches the
      // outcome below, even when the fiber running it is interrupted from outside.
      const finish = yield* Deferred.make<"finished" | "deadline">()
      const worker = yield* Effect.forkDaemon(
        Effect.interruptible(stopWork).pipe(Effect.ensuring(Deferred.succeed(finish, "finished")))
      )
      // Forked from an uninterruptible region, the timer must be made interruptible explicitly,
      // or cancelling it below does nothing and its pending sleep keeps the process alive.
      const timer = yield* Effect.forkDaemon(
        Effect.interruptible(Effect.sleep(options.shutdownTimeout)).pipe(
          Effect.zipRight(Deferred.succeed(finish, "deadline"))
        )
      )
      const deadlineHit = (yield* Deferred.await(finish)) === "deadline"
      yield* Fiber.interruptFork(timer)
      let report: StopReport = { failures: stopFailures, deadline: undefined }
      if (deadlineHit) {
        const stuck = [...inFlight.keys()].map((s) => s.name)
        if (callbacksInFlight !== undefined) stuck.push(callbacksInFlight)
        const skipped = services
          .filter((s) => startCompleted.has(s) && !stopCompleted.has(s) && !inFlight.has(s))
          .map((s) => s.name)
        yield* Fiber.interruptFork(worker)
        yield* Effect.logError(
          `Shutdown deadline of ${Duration.format(options.shutdownTimeout)} reached; ` +
            `still stopping: ${stuck.join(", ") || "none"}` +
            (skipped.length > 0 ? `; never stopped: ${skipped.join(", ")}` : "") +
            (stoppedFired ? "" : "; ApplicationLifetime onStopped callbacks not run")
        )
        report = { failures: [...stopFailures], deadline: { timeout: options.shutdownTimeout, stuck, skipped } }
      }
      // `stopped` fires last, also when the deadline cut the stop before its callbacks ran.
      if (!stoppedFired) onEvent({ _tag: "Lifetime", event: "stopped" })
      yield* Deferred.succeed(stoppedEvent, undefined)
      // ---------------------------------------------------------------------------------------
      // 5. outcome
      // ---------------------------------------------------------------------------------------
      const error = outcome(stopReason ?? { _tag: "Requested" }, report)
      onOutcome(error)
      yield* Deferred.done(done, error === undefined ? Exit.void : Exit.fail(error))
    }).pipe(Effect.withSpan("Host.stop"))

    let stopOnce: Effect.Effect<void> | undefined
    const stop: Effect.Effect<void> = Effect.suspend(() => {
      if (stopOnce === undefined) {
        stopOnce = Effect.uninterruptible(runStop)
        return stopOnce
      }
      return Deferred.await(done).pipe(Effect.ignore)
    })

    const hostContext: HostContext = {
      options,
      register: (definition) => services.push(definition),
      isStopping: () => stopBegun,
      reportBackgroundFailure: (service, cause) =>
        Effect.gen(function*() {
          if (stopBegun) {
            yield* Effect.logError(`Background service ${service} failed while the host was stopping`, cause)
            return
          }
          if (options.backgroundServiceExceptionBehavior === "Ignore") {
            yield* Effect.logError(`Background service ${service} failed (ignored: backgroundServiceExceptionBehavior is Ignore)`, cause)
            return
          }
          yield* Effect.logError(`Background service ${service} failed; stopping the host`, cause)
          yield* requestStop({ _tag: "BackgroundFailure", service, cause })
        })
    }

    const lifetime: ApplicationLifetime["Type"] = {
      started: Deferred.await(startedEvent),
      stopping: Deferred.await(stoppingEvent),
      stopped: Deferred.await(stoppedEvent),
      stopApplication: requestStop({ _tag: "Requested" }),
      onStarted: (callback) => Effect.sync(() => void callbacks.started.push(callback)),
      onStopping: (callback) => Effect.sync(() => void callbacks.stopping.push(callback)),
      onStopped: (callback) => Effect.sync(() => void callbacks.stopped.push(callback))
    }

    return {
      lifetime,
      hostContext,
      handle: {
        inFlight: () => [...inFlight.entries()].map(([s, phase]) => ({ service: s.name, phase })),
        isStopping: () => stopBegun,
        lifetime,
        options,
        reportBackgroundFailure: hostContext.reportBackgroundFailure
      },
      start,
      stop,
      result: Deferred.await(done),
      stopRequested: Deferred.await(stopRequested)
    } satisfies Engine
  })

/** Turns the first stop reason and what happened while stopping into the host's result. */
const outcome = (reason: StopReason, stop: StopReport): HostError | undefined => {
  switch (reason._tag) {
    case "StartFailed":
      return new HostStartError({ failures: reason.failures, rollback: stop })
    case "StartupTimeout":
      return new StartupTimeoutError({ timeout: reason.timeout, pending: reason.pending, rollback: stop })
    case "BackgroundFailure":
      return new BackgroundServiceError({ service: reason.service, cause: reason.cause, stop })
    case "Requested":
      if (stop.deadline !== undefined) {
        return new ShutdownTimeoutError({
          timeout: stop.deadline.timeout,
          stuck: stop.deadline.stuck,
          skipped: stop.deadline.skipped,
          failures: stop.failures
        })
      }
      return stop.failures.length > 0 ? new HostStopError({ failures: stop.failures }) : undefined
  }
}
