/**
 * The lifecycle engine: the one place that decides in which order hooks run, what is rolled back,
 * and how the shutdown budget is enforced. Read it top to bottom:
 *
 *   1. state       — one state enum, the registered services, which ones completed `start`,
 *                    who is inside a hook, the event journal
 *   2. runHook     — runs one hook of one service, with span, log line, event and failure capture
 *   3. callbacks   — lifetime callbacks (`onStarted` …), named, each failure attributed
 *   4. start       — the three start phases as barriers, then the `started` callbacks and event;
 *                    bounded by `startupTimeout`; a stop requested meanwhile ends it
 *   5. stop        — runs once; interrupts a running start (abandoning a start hook that ignores
 *                    it), then the three stop phases in reverse order and the `stopped`
 *                    callbacks, all inside one `shutdownTimeout` budget; at the deadline the stop
 *                    work is interrupted and, with the cut-offs of the services whose stop
 *                    did not finish (run together), gets `finalizationGrace` to account and release
 *   6. outcome     — the stop reason plus the stop report become the host's final result
 *
 * The engine knows nothing of runners: it exposes a `Handle` (state, stop requested, hooks in
 * flight, events, result) that runners and tests watch, and calls no one back.
 *
 * Invariants (asserted by the property test in `test/Host.property.test.ts`):
 *   - a service gets its stop phases exactly once iff its `start` hook completed, in reverse
 *     registration order, and never without a completed start;
 *   - the lifetime's `stopped` event fires last, also when the deadline was hit;
 *   - the result is a failure exactly when some hook failed, a deadline was hit, or a background
 *     failure was reported (`reportBackgroundFailure`: a `BackgroundService`, or a scheduled
 *     run with `onFailure: "stop"`) other than under `"Ignore"`; one reported while stopping is a
 *     stop failure of phase `"execute"`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import { identity } from "effect/Function"
import * as HashMap from "effect/HashMap"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type { ApplicationLifetime } from "../ApplicationLifetime.js"
import type { HostError, Phase, ServiceFailure, StopReport } from "../HostError.js"
import type * as HostOptions from "../HostOptions.js"
import { forkDaemonFresh } from "./fork.js"
import { awaitWithin, zeroOnLiveClock } from "./grace.js"
import { finalizationGrace, type HostContext, type ServiceDefinition } from "./hostContext.js"
import { hookDuration, hookLabels, hostState, labels, type Outcome, outcome as outcomeOf } from "./metrics.js"
import { logAbove } from "./logFloor.js"
import { annotateIf, isTracing, spanIf } from "./tracing.js"
import {
  BackgroundServiceError,
  HookAbandonedError,
  HostStartError,
  HostStopError,
  serviceFailure,
  ShutdownTimeoutError,
  StartupTimeoutError,
  startPhases,
  stopPhases
} from "./hostError.js"

/**
 * Where the host is. `Created`: services are being registered. `Starting`: the start phases run.
 * `Started`: `ApplicationLifetime.started` fired. `Stopping`: the stop (or rollback) runs.
 * `Stopped`: the result is known.
 */
export type State = "Created" | "Starting" | "Started" | "Stopping" | "Stopped"

/** One step of the lifecycle, in the order it happened. */
export type HostEvent =
  | { readonly _tag: "Hook"; readonly service: string; readonly phase: Phase }
  | { readonly _tag: "HookFailed"; readonly service: string; readonly phase: Phase }
  | { readonly _tag: "Lifetime"; readonly event: "started" | "stopping" | "stopped" }

/** A hook or callback running now. */
export interface InFlight {
  readonly service: string
  readonly phase: Phase
}

/** What a runner or a test watches (and the few things it may ask of the host). */
export interface Handle {
  readonly options: HostOptions.Resolved
  readonly lifetime: ApplicationLifetime["Type"]
  readonly state: () => State
  /** Every lifecycle event so far, in order. */
  readonly events: () => ReadonlyArray<HostEvent>
  /** The hooks and lifetime callbacks running now. */
  readonly inFlight: () => ReadonlyArray<InFlight>
  /** Completes when a stop begins (a request, a failed start, a failed background service). */
  readonly stopRequested: Effect.Effect<void>
  /** Waits for the host to finish: `None` for a graceful stop, else its error. */
  readonly result: Effect.Effect<Option.Option<HostError>>
  /** The result if the host has finished. */
  readonly poll: () => Option.Option<Option.Option<HostError>>
  /** Reports a failure as if background service `service` had failed (tests, runners). */
  readonly reportFailure: (service: string, cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

/** The state gauge's label arrays, one per state (made once: see internal/metrics.ts). */
const stateLabels = {
  Created: labels(["state", "Created"]),
  Starting: labels(["state", "Starting"]),
  Started: labels(["state", "Started"]),
  Stopping: labels(["state", "Stopping"]),
  Stopped: labels(["state", "Stopped"])
} satisfies Record<State, unknown>

/** How `start` ended when it did not fail. */
export type StartOutcome = "Started" | "StoppedDuringStart"

export interface Engine {
  readonly lifetime: ApplicationLifetime["Type"]
  readonly hostContext: HostContext
  readonly handle: Handle
  /** Runs the start phases. On failure the rollback has already run when this fails. */
  readonly start: Effect.Effect<StartOutcome, HostError>
  /** Runs the stop once (later callers wait for the first). Never fails, never outlives the budget. */
  readonly stop: Effect.Effect<void>
  /** Waits for the stop to finish and yields the host's final result. */
  readonly result: Effect.Effect<void, HostError>
  /** Completes when a stop was requested (stopApplication, background failure, failed start). */
  readonly stopRequested: Effect.Effect<void>
}

/**
 * Why the host stops. The first reason wins, except that a failure replaces a plain request: a
 * start hook that fails after someone called `stopApplication` still fails the host.
 */
type StopReason =
  | { readonly _tag: "Requested" }
  | { readonly _tag: "BackgroundFailure"; readonly service: string; readonly cause: Cause.Cause<unknown> }
  | { readonly _tag: "StartFailed"; readonly failures: ReadonlyArray<ServiceFailure> }
  | { readonly _tag: "StartupTimeout"; readonly timeout: Duration.Duration; readonly pending: ReadonlyArray<string> }

type LifetimeEvent = "started" | "stopping" | "stopped"

/**
 * A lifetime callback and who registered it (named in logs, errors and `inFlight`). A hosted
 * service's own step (`HostContext.onStarted`: HttpHost's listen) is part of its lifecycle and
 * its failure fails the host; a program's `ApplicationLifetime` callback is a notification, as in
 * .NET: its failure is logged with its cause and the host's result stays what it was.
 */
interface Callback {
  readonly name: string
  readonly effect: Effect.Effect<void, unknown>
  readonly failsHost: boolean
}

export const make = (options: HostOptions.Resolved): Effect.Effect<Engine> =>
  Effect.gen(function*() {
    // Spans only when a tracer was installed: otherwise they cost CPU per hook and reach no one.
    const tracing = yield* isTracing
    const span = spanIf(tracing)
    const annotate = annotateIf(tracing)
    // ---------------------------------------------------------------------------------------
    // 1. state
    // ---------------------------------------------------------------------------------------
    let state: State = "Created"
    hostState.unsafeModify(1, stateLabels.Created)
    /** Moves to `next`; the state gauge counts the hosts in each state. */
    const enter = (next: State) => {
      if (next === state) return
      hostState.unsafeModify(-1, stateLabels[state])
      state = next
      hostState.unsafeModify(1, stateLabels[next])
    }
    const services: Array<ServiceDefinition> = []
    const registeredKeys = new Set<object>()
    const startCompleted = new Set<ServiceDefinition>()
    /** How many stop phases each started service has been through (0 to 3). */
    const stopProgress = new Map<ServiceDefinition, number>()
    const inFlight = new Map<ServiceDefinition | Callback, InFlight>()
    const events: Array<HostEvent> = []
    let stopReason: StopReason | undefined
    let startFiber: Fiber.RuntimeFiber<boolean> | undefined
    let startEnded = false
    /** Opens when the start fiber ends, or when a stop abandons it. */
    const startOver = Effect.unsafeMakeLatch(false)
    /**
     * The host's runtime (its logger and configuration, outside any of the engine's spans): a
     * requested stop runs in it, not in the requester's fiber.
     */
    const hostRuntime: Runtime.Runtime<never> = yield* Effect.runtime<never>()
    let stoppedFired = false
    /** The result, once known. */
    let finished: Option.Option<Option.Option<HostError>> = Option.none()

    const startedEvent = Effect.unsafeMakeLatch(false)
    const stoppingEvent = Effect.unsafeMakeLatch(false)
    const stoppedEvent = Effect.unsafeMakeLatch(false)
    const stopRequested = Effect.unsafeMakeLatch(false)
    /** Opens once `finished` holds the result. */
    const done = Effect.unsafeMakeLatch(false)
    /** Waits for the result (`finished` is set before `done` opens). */
    const awaitResult: Effect.Effect<Option.Option<HostError>> = Effect.zipRight(
      done.await,
      Effect.sync(() => Option.flatten(finished))
    )
    const callbacks: Record<LifetimeEvent, Array<Callback>> = { started: [], stopping: [], stopped: [] }

    const setReason = (reason: StopReason) => {
      if (stopReason === undefined || (stopReason._tag === "Requested" && reason._tag !== "Requested")) {
        stopReason = reason
      }
    }

    /**
     * Records the reason and, once the start is under way, begins the stop in a fiber of its own
     * (before the start, `start` sees the reason and stops by itself). A fiber only when asked: a
     * host that stops because its scope closes forks none for it.
     */
    const requestStop = (reason: StopReason) =>
      Effect.suspend(() => {
        setReason(reason)
        // Run with the host's own fiber refs (its logger, its configuration), not the requester's.
        if (state === "Starting" || state === "Started") Runtime.runFork(hostRuntime)(stop)
        return open(stopRequested)
      })

    /**
     * The stop has begun (it runs once). A flag of its own rather than the state: the state moves
     * to `Started` at the end of the start, which a stop requested from an `onStarted` callback
     * has already overtaken.
     */
    let stopBegun = false
    const isStopping = () => stopBegun

    // ---------------------------------------------------------------------------------------
    // 2. runHook
    // ---------------------------------------------------------------------------------------
    // Read without an effect per hook: the engine reads the time twice per hook.
    const clock = yield* Effect.clock
    /** When each hook in flight began, for its duration if an interruption cuts it short. */
    const hookStartedAt = new Map<ServiceDefinition, number>()

    const recordHook = (service: string, phase: Phase, outcome: Outcome, elapsedMs: number) =>
      hookDuration.unsafeUpdate(elapsedMs / 1000, hookLabels(service, phase, outcome))

    /**
     * With a tracer, the hook's span ends with the hook's exit (a failed hook is an error span),
     * while `runHook` still yields the exit as a value.
     */
    const hookSpan = (service: string, phase: Phase) =>
      tracing
        ? (effect: Effect.Effect<Exit.Exit<unknown, unknown>>): Effect.Effect<Exit.Exit<unknown, unknown>> =>
          Effect.exit(Effect.withSpan(Effect.flatten(effect), `HostedService.${phase}`, {
            attributes: { "effect_host.service": service, "effect_host.phase": phase },
            captureStackTrace: false
          }))
        : identity<Effect.Effect<Exit.Exit<unknown, unknown>>>

    /**
     * A hook's fiber refs: its log lines carry `service` and `phase`, and it sees its service's
     * context. One update of the refs (two `Effect.locally` steps cost about four times as much:
     * each is an acquire/use/release with two updates).
     */
    const hookRefs = (service: ServiceDefinition, phase: Phase) => (refs: FiberRefs.FiberRefs, fiberId: FiberId.Runtime) => {
      const outer: HashMap.HashMap<string, unknown> = FiberRefs.getOrDefault(refs, FiberRef.currentLogAnnotations)
      const annotations = [FiberRef.currentLogAnnotations, [[fiberId, HashMap.set(HashMap.set(outer, "service", service.name), "phase", phase)]]] as const
      return FiberRefs.updateManyAs(refs, {
        entries: service.context === undefined
          ? [annotations]
          : [annotations, [FiberRef.currentContext, [[fiberId, Context.merge(FiberRefs.getOrDefault(refs, FiberRef.currentContext), service.context)]]]]
      })
    }

    /**
     * Runs a hook on the current fiber (sequential phases): enters its refs, and leaves by putting
     * back the refs as they were before, so what a hook sets on its fiber does not leak into the
     * next service's hooks. A hook interrupted from outside never leaves: its whole fiber (the
     * start fiber, the stop worker) is unwinding then. A concurrent member gets a fiber of its own,
     * made with the hook's refs (`runHookIn`): nothing to enter or leave.
     */
    const runHook = (service: ServiceDefinition, phase: Phase): Effect.Effect<Exit.Exit<unknown, unknown>> => {
      if (service.hooks[phase] === undefined) return Effect.succeed(Exit.void)
      const update = hookRefs(service, phase)
      let before: FiberRefs.FiberRefs | undefined
      const enter = Effect.updateFiberRefs((fiberId, refs) => {
        before = refs
        return update(refs, fiberId)
      })
      const leave = Effect.updateFiberRefs((_, refs) => before ?? refs)
      // Leaves after the span (with a tracer): the span's own end restores the context it began with.
      return Effect.zipRight(enter, Effect.zipLeft(hookBody(service, phase), leave))
    }

    /** Starts `service`'s hook of `phase` in a fiber of its own, made with the hook's refs. */
    const runHookIn = (runtime: Runtime.Runtime<never>, service: ServiceDefinition, phase: Phase, then: (exit: Exit.Exit<unknown, unknown>) => void) =>
      Runtime.runFork(runtime)(Effect.map(hookBody(service, phase), then), { updateRefs: hookRefs(service, phase) })

    /** The hook itself in its span, with its events, metric and log line. */
    const hookBody = (service: ServiceDefinition, phase: Phase): Effect.Effect<Exit.Exit<unknown, unknown>> => {
      const hook = service.hooks[phase] ?? Effect.void
      return Effect.suspend(() => {
        events.push({ _tag: "Hook", service: service.name, phase })
        inFlight.set(service, { service: service.name, phase })
        const startedAt = clock.unsafeCurrentTimeMillis()
        hookStartedAt.set(service, startedAt)
        return Effect.flatMap(Effect.exit(Effect.interruptible(hook)), (exit): Effect.Effect<Exit.Exit<unknown, unknown>> => {
          // A hook interrupted from outside (deadline, stop during start) never gets here: its
          // phase clears what it left in flight (see runPhase).
          inFlight.delete(service)
          hookStartedAt.delete(service)
          const elapsed = clock.unsafeCurrentTimeMillis() - startedAt
          const outcome = outcomeOf(exit)
          recordHook(service.name, phase, outcome, elapsed)
          // Without a tracer there is no span to annotate: no step for it.
          const withOutcome = (log: Effect.Effect<void>) =>
            Effect.as(tracing ? Effect.zipRight(annotate("effect_host.outcome", outcome), log) : log, exit)
          // Debug, as .NET's host logs its own progress: one Information line per service on
          // every deploy is noise in production logs (and a tenth of a SIGTERM → exit); the
          // status messages say that the application started and is stopping, a failure is an
          // error, and a hook still running at the deadline is named in its report.
          if (Exit.isSuccess(exit)) {
            const done = phase === "start" ? "started" : phase === "stop" ? "stopped" : `${phase} hook done`
            return withOutcome(logAbove(LogLevel.Debug, `Hosted service ${service.name} ${done} in ${elapsed}ms`))
          }
          // Only reached when the hook itself ended badly: when the host interrupts a hook (stop
          // during start, deadline) the interruption unwinds this fiber before this line.
          events.push({ _tag: "HookFailed", service: service.name, phase })
          const how = Cause.isInterruptedOnly(exit.cause) ? "was interrupted" : "failed"
          return withOutcome(Effect.logError(`Hosted service ${service.name} ${how} in ${phase} after ${elapsed}ms`, exit.cause))
        })
      }).pipe(hookSpan(service.name, phase))
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
      onFailure: (failure: ServiceFailure, service: ServiceDefinition) => void
    ): Effect.Effect<Array<ServiceFailure>> => {
      // Most phases have no hook at all (a plain service has `start` and `stop`): every member
      // passes such a phase at once. Without a tracer there is no span to make for it either.
      if (!tracing && members.every((s) => s.hooks[phase] === undefined)) {
        return Effect.sync(() => {
          members.forEach(onSuccess)
          return []
        })
      }
      return Effect.gen(function*() {
        const failures: Array<ServiceFailure> = []
        const record = (service: ServiceDefinition, exit: Exit.Exit<unknown, unknown>) => {
          if (Exit.isSuccess(exit)) return onSuccess(service)
          const failure = serviceFailure(service.name, phase, exit.cause)
          failures.push(failure)
          onFailure(failure, service)
        }
        if (concurrently) {
          // Only members with a hook in this phase get a fiber; the others pass it at once.
          const withHook = members.filter((s) => s.hooks[phase] !== undefined)
          for (const s of members) if (s.hooks[phase] === undefined) record(s, Exit.void)
          // A fiber per hook, started at once (`Runtime.runFork` runs a fiber synchronously until
          // it suspends): a hook that completes without waiting is done before the next one
          // starts, with no scheduler hop and nothing to await; one that waits runs on while the
          // next starts. The fibers are not joined: a hook's fiber refs are its own (joining
          // would also merge them back, a diff and a patch per member). They start in one
          // synchronous step, so an interruption (deadline, stop during start) finds them all; it
          // interrupts the ones still running and waits for them.
          const runtime = yield* Effect.runtime<never>()
          // Only the fibers still running are kept: ten thousand finished ones held to the end
          // of the phase would outlive the young generation and make the collector copy them.
          const running: Array<Fiber.RuntimeFiber<void>> = []
          const defects: Array<Cause.Cause<never>> = []
          for (const s of withHook) {
            const fiber = runHookIn(runtime, s, phase, (exit) => record(s, exit))
            const exit = fiber.unsafePoll()
            if (exit === null) running.push(fiber)
            // `runHook` catches every failure of a hook: what is left is a defect of the engine.
            else if (Exit.isFailure(exit)) defects.push(exit.cause)
          }
          if (running.length > 0) {
            const exits = yield* Fiber.awaitAll(running).pipe(Effect.onInterrupt(() => Fiber.interruptAll(running)))
            for (const exit of exits) if (Exit.isFailure(exit)) defects.push(exit.cause)
          }
          if (defects.length > 0) return yield* Effect.failCause(defects.reduce((a, b) => Cause.parallel(a, b)))
        } else {
          for (const service of members) {
            if (halt(failures)) break
            record(service, yield* runHook(service, phase))
          }
        }
        if (tracing) yield* annotate("effect_host.outcome", failures.length > 0 ? "failure" : "success")
        return failures
      }).pipe(
        // The hooks of this phase that an interruption cut short (a stop during start, the
        // deadline) must not stay "in flight"; their durations are recorded as interrupted.
        Effect.onInterrupt(() =>
          Effect.suspend(() => {
            const now = clock.unsafeCurrentTimeMillis()
            for (const s of members) {
              inFlight.delete(s)
              const startedAt = hookStartedAt.get(s)
              if (startedAt !== undefined) recordHook(s.name, phase, "interrupted", now - startedAt)
              hookStartedAt.delete(s)
            }
            return annotate("effect_host.outcome", "interrupted")
          })
        ),
        span(`Host.phase.${phase}`, { "effect_host.phase": phase, "effect_host.services": members.length })
      )
    }

    // ---------------------------------------------------------------------------------------
    // 3. callbacks
    // ---------------------------------------------------------------------------------------
    /**
     * Runs the callbacks of `event` in registration order; each failure is logged, attributed to
     * the callback's name and returned; the others still run. A hosted service's own step
     * (HttpHost's listen and drain) is timed like a hook, in the phase of its event.
     */
    const runCallbacks = (event: LifetimeEvent): Effect.Effect<Array<ServiceFailure>> =>
      // None registered and no tracer (no span to make): nothing to run. Decided when it runs:
      // callbacks register until their event.
      Effect.suspend(() => !tracing && callbacks[event].length === 0 ? Effect.succeed([]) : runCallbacksOf(event))

    const runCallbacksOf = (event: LifetimeEvent): Effect.Effect<Array<ServiceFailure>> =>
      Effect.gen(function*() {
        const failures: Array<ServiceFailure> = []
        for (const callback of callbacks[event]) {
          inFlight.set(callback, { service: callback.name, phase: event })
          const startedAt = clock.unsafeCurrentTimeMillis()
          const exit = yield* Effect.exit(
            callback.failsHost ? Effect.annotateLogs(callback.effect, { service: callback.name, phase: event }) : callback.effect
          )
          inFlight.delete(callback)
          if (callback.failsHost) {
            recordHook(callback.name, event, outcomeOf(exit), clock.unsafeCurrentTimeMillis() - startedAt)
          }
          if (Exit.isFailure(exit)) {
            if (!callback.failsHost) {
              yield* Effect.logError(`ApplicationLifetime ${event} callback failed`, exit.cause)
              continue
            }
            failures.push(serviceFailure(callback.name, event, exit.cause))
            yield* Effect.logError(`${callback.name} failed in the ${event} event`, exit.cause).pipe(
              Effect.annotateLogs({ service: callback.name, phase: event })
            )
            // A failed step of the start ends it: the callbacks after it belong to a started host.
            if (event === "started") break
          }
        }
        return failures
      }).pipe(
        Effect.onInterrupt(() => Effect.sync(() => callbacks[event].forEach((c) => inFlight.delete(c)))),
        span(`ApplicationLifetime.${event}`)
      )

    /** Releases the event's waiters, and lets them run before the next phase's hooks. */
    const fire = (event: Effect.Latch) => Effect.zipRight(open(event), Effect.yieldNow())

    /** The events whose callbacks have run (or never will: a deadline cut the stop first). */
    const callbacksRan: Record<LifetimeEvent, boolean> = { started: false, stopping: false, stopped: false }

    /**
     * Registers a callback for `event`. One registered after the event's callbacks ran runs at
     * once, as .NET runs a registration on a token already cancelled; the caller waits for it.
     * It runs with the host's refs, like the other callbacks (its lines and a failure, logged
     * with its cause, go to the host's logger).
     */
    const addCallback = (event: LifetimeEvent, name: string, effect: Effect.Effect<void, unknown>, failsHost: boolean) =>
      Effect.suspend(() => {
        if (!callbacksRan[event]) {
          callbacks[event].push({ name, effect, failsHost })
          return Effect.void
        }
        const late = Effect.catchAllCause(effect, (cause) => Effect.logError(`${name} callback (registered after ${event} fired) failed`, cause))
        return Effect.asVoid(Fiber.await(Runtime.runFork(hostRuntime)(late)))
      })

    // ---------------------------------------------------------------------------------------
    // 4. start
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

    /** The start phases, then the `started` callbacks and event. Yields whether the host started. */
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
      // The last step of the start: a failing callback (HttpHost cannot listen) fails the start,
      // and a stop (or the startup deadline) interrupts callbacks that hang.
      const failures = yield* runCallbacks("started")
      failures.forEach(startFailed)
      // A stop requested from a callback does not undo the start: the host did start (and
      // `started` fires), but the state stays `Stopping`, the stop being under way.
      if (failures.length > 0) return false
      if (!stopBegun) enter("Started")
      events.push({ _tag: "Lifetime", event: "started" })
      callbacksRan.started = true
      yield* fire(startedEvent)
      return true
    })

    const start: Effect.Effect<StartOutcome, HostError> = Effect.gen(function*() {
      enter("Starting")
      // Read now: the services register after the engine (and these spans) were made.
      yield* annotate("effect_host.services", services.length)
      yield* logAbove(LogLevel.Debug, `Starting ${services.length} hosted service(s)`)
      // A daemon, so that neither an interrupted caller nor the startup deadline has to wait for
      // a start hook that ignores interruption; the stop interrupts it and waits a bounded time.
      const fiber = yield* Effect.forkDaemon(
        Effect.interruptible(runStartPhases).pipe(Effect.ensuring(Effect.sync(() => {
          startEnded = true
          startOver.unsafeOpen()
        })))
      )
      startFiber = fiber
      // `interruptible`: the startup deadline must be able to stop this wait even when the
      // caller runs uninterruptibly. The start is over when its fiber ends, or when a stop
      // requested meanwhile has abandoned it (a hook that ignores interruption): waiting for the
      // fiber then would never end.
      const awaitStart = Effect.interruptible(startOver.await)
      const timedOut = yield* Option.match(options.startupTimeout, {
        onNone: () => Effect.as(awaitStart, false),
        onSome: (timeout) => zeroOnLiveClock(timeout, Effect.map(Effect.timeoutOption(awaitStart, timeout), Option.isNone))
      }).pipe(Effect.onInterrupt(() => Fiber.interruptFork(fiber)))
      // A deadline reached when the start has already ended (a zero timeout racing hooks that
      // finish at once, as under TestClock) is no deadline: its outcome stands.
      const ended = Option.fromNullable(fiber.unsafePoll())
      if (Option.isNone(ended)) {
        // The deadline, or a stop that abandoned the start (which then reports it).
        if (timedOut) {
          // The pending names are read at the deadline, before the stop interrupts them.
          const pending = [...inFlight.values()].map((f) => f.service)
          setReason({ _tag: "StartupTimeout", timeout: Option.getOrElse(options.startupTimeout, () => Duration.zero), pending })
        }
      } else if (Exit.isSuccess(ended.value) && ended.value.value) {
        yield* annotate("effect_host.outcome", "success")
        return "Started"
      } else if (Exit.isFailure(ended.value) && !Cause.isInterruptedOnly(ended.value.cause)) {
        // The start fiber catches every hook's failure, so this is a defect of the host itself.
        return yield* Effect.failCause(ended.value.cause as Cause.Cause<never>)
      }
      // Failed, timed out, or stopped during start: roll back (the stop interrupts what is still
      // running) and report the outcome, which is a success only for a plain stop request.
      yield* stop
      const error = yield* awaitResult
      yield* annotate("effect_host.outcome", Option.isSome(error) ? "failure" : "stopped")
      return Option.isSome(error) ? yield* failWith(error.value) : "StoppedDuringStart"
    }).pipe(span("Host.start"))

    // ---------------------------------------------------------------------------------------
    // 5. stop
    // ---------------------------------------------------------------------------------------
    const stopFailures: Array<ServiceFailure> = []
    /** Set once the stop's outcome is read from `stopFailures`: a later failure is only logged. */
    let stopSettled = false

    /**
     * Interrupts a start still running and waits for it to end, so no service is stopped while
     * one registered after it (which may use it) is still inside a start hook; a hook that
     * ignores the interruption gets `finalizationGrace`, then it is abandoned and named.
     */
    const endStart = Effect.gen(function*() {
      const fiber = startFiber
      if (fiber === undefined || startEnded) return
      const running = [...inFlight.values()]
      yield* Fiber.interruptFork(fiber)
      if (yield* awaitWithin(Fiber.await(fiber), finalizationGrace)) return
      for (const { phase, service } of running) {
        const error = new HookAbandonedError({ service, phase, grace: finalizationGrace })
        stopFailures.push(serviceFailure(service, phase, Cause.fail(error)))
        yield* Effect.logError(`Hosted service ${error.message}; stopping the others`).pipe(Effect.annotateLogs({ service, phase }))
      }
      inFlight.clear()
      // Whoever waits for the start (`start`, when this stop was requested) waits no more.
      startOver.unsafeOpen()
    })

    const stopWork: Effect.Effect<void> = Effect.gen(function*() {
      yield* endStart
      // Waiters on `stopping` are released as the stop begins (a runner prints "Application is
      // shutting down..." then), callbacks run next and the stop waits for them.
      events.push({ _tag: "Lifetime", event: "stopping" })
      yield* fire(stoppingEvent)
      stopFailures.push(...(yield* runCallbacks("stopping")))
      callbacksRan.stopping = true
      const members = services.filter((s) => startCompleted.has(s)).reverse()
      for (const [index, phase] of stopPhases.entries()) {
        yield* runPhase(
          phase,
          members,
          options.servicesStopConcurrently,
          () => false,
          (service) => stopProgress.set(service, index + 1),
          // A hook that ran and failed is done too: at a deadline it is a failure, not "never stopped".
          (failure, service) => {
            stopFailures.push(failure)
            stopProgress.set(service, index + 1)
          }
        )
        // A failed stop hook still counts as that phase being done: every phase runs.
        for (const s of members) stopProgress.set(s, index + 1)
      }
      events.push({ _tag: "Lifetime", event: "stopped" })
      stoppedFired = true
      stopFailures.push(...(yield* runCallbacks("stopped")))
      callbacksRan.stopped = true
    })

    /**
     * The services that missed some stop hook they have, not counting those in a hook now:
     * `never`, whose `stop` phase was not reached ("Hosted service … stopped" was never logged),
     * and `partly`, which stopped but whose `stopped` hook did not run.
     */
    const notReached = (): { readonly never: Array<string>; readonly partly: Array<string> } => {
      const never: Array<string> = []
      const partly: Array<string> = []
      for (const service of services) {
        if (!startCompleted.has(service) || inFlight.has(service)) continue
        const done = stopProgress.get(service) ?? 0
        const missed = stopPhases.slice(done).filter((phase) => service.hooks[phase] !== undefined)
        if (missed.length === 0) continue
        if (done < 2) never.push(service.name)
        else partly.push(service.name)
      }
      return { never, partly }
    }

    const runStop: Effect.Effect<void> = Effect.gen(function*() {
      enter("Stopping")
      yield* annotate("effect_host.services", services.length)
      setReason({ _tag: "Requested" })
      yield* open(stopRequested)
      yield* logAbove(LogLevel.Debug, "Stopping hosted services")
      // The stop work runs in its own fiber so the deadline can cut it: at the deadline we
      // interrupt it and wait at most `finalizationGrace` for its interruption handlers (queue
      // accounting, perRun releases), since a hook that ignores interruption would hang us.
      // Whichever comes first, the end of the work or the deadline, is `first` and opens
      // `finish`; waiting on it needs no interruption, so the stop (uninterruptible) always
      // reaches the outcome below, even when the fiber running it is interrupted from outside.
      const finish = Effect.unsafeMakeLatch(false)
      let first: "finished" | "deadline" | undefined
      const end = (how: "finished" | "deadline") =>
        Effect.suspend(() => {
          first ??= how
          return open(finish)
        })
      const worker = yield* forkDaemonFresh(
        Effect.interruptible(stopWork).pipe(Effect.ensuring(end("finished")))
      )
      // Forked from an uninterruptible region, the timer must be made interruptible explicitly,
      // or cancelling it below does nothing and its pending sleep keeps the process alive.
      const timer = yield* forkDaemonFresh(
        Effect.interruptible(zeroOnLiveClock(options.shutdownTimeout, Effect.sleep(options.shutdownTimeout))).pipe(
          Effect.zipRight(end("deadline"))
        )
      )
      // A deadline reached when the work has already ended (a zero timeout racing hooks that
      // finish at once, as under TestClock) is no deadline: nothing was cut.
      yield* finish.await
      const deadlineHit = first === "deadline" && worker.unsafePoll() === null
      // Interruptible (see above), so interrupting it returns at once.
      yield* Fiber.interrupt(timer)
      let report: StopReport = { failures: [...stopFailures], deadline: undefined }
      if (deadlineHit) {
        // Named at the deadline, before the interruption unwinds them.
        const stuck = [...inFlight.values()].map((f) => f.service)
        const { never, partly } = notReached()
        const callbacksCut = !stoppedFired
        yield* Fiber.interruptFork(worker)
        // The services whose stop did not finish do their bounded cut-off work now, together,
        // inside this one grace (not one layer finalizer after the other, after the engine).
        const cutOffs = services.flatMap((s) => s.cutOff !== undefined && (stopProgress.get(s) ?? 0) < 2 ? [s.cutOff] : [])
        const cutting = cutOffs.length === 0
          ? Effect.void
          : Fiber.await(yield* forkDaemonFresh(Effect.forEach(cutOffs, identity, { concurrency: "unbounded", discard: true })))
        yield* awaitWithin(Effect.zip(Fiber.await(worker), cutting), finalizationGrace)
        const ended = worker.unsafePoll() !== null
        yield* Effect.logError(
          `Shutdown deadline of ${Duration.format(options.shutdownTimeout)} reached; ` +
            `still stopping: ${stuck.join(", ") || "none"}` +
            (never.length > 0 ? `; never stopped: ${never.join(", ")}` : "") +
            (partly.length > 0 ? `; stopped hooks not run: ${partly.join(", ")}` : "") +
            (callbacksCut && callbacks.stopped.length > 0 ? "; ApplicationLifetime onStopped callbacks not run" : "") +
            (ended ? "" : `; abandoned after a ${Duration.format(finalizationGrace)} grace: ${stuck.join(", ")}`)
        )
        report = {
          failures: [...stopFailures],
          deadline: { timeout: options.shutdownTimeout, stuck, skipped: [...never, ...partly] }
        }
      }
      stopSettled = true
      // `stopped` fires last, also when the deadline cut the stop before its callbacks ran.
      if (!stoppedFired) events.push({ _tag: "Lifetime", event: "stopped" })
      callbacksRan.stopping = true
      callbacksRan.stopped = true
      yield* open(stoppedEvent)
      // ---------------------------------------------------------------------------------------
      // 6. outcome
      // ---------------------------------------------------------------------------------------
      const error = outcome(stopReason ?? { _tag: "Requested" }, report)
      yield* annotate("effect_host.outcome", deadlineHit ? "deadline" : error === undefined ? "success" : "failure")
      enter("Stopped")
      finished = Option.some(Option.fromNullable(error))
      yield* open(done)
    }).pipe(span("Host.stop"))

    // Runs once: later (and concurrent) callers wait for the first run's end. Not `Effect.cached`:
    // it would patch the first run's FiberRefs and runtime flags into every caller, and an
    // interrupted first caller (a scope closing mid-stop) would interrupt the others.
    const stop: Effect.Effect<void> = Effect.suspend(() => {
      if (stopBegun) return done.await
      stopBegun = true
      enter("Stopping")
      return Effect.uninterruptible(runStop)
    })

    const reportBackgroundFailure = (service: string, cause: Cause.Cause<unknown>) =>
      Effect.gen(function*() {
        if (isStopping()) {
          yield* Effect.logError(`Background service ${service} failed while the host was stopping`, cause)
          // Not the reason for the stop, but a failure the outcome must carry (as .NET's host
          // aggregates every background failure), unless failures are to be ignored or the
          // outcome is already settled.
          if (options.backgroundServiceExceptionBehavior !== "Ignore" && !stopSettled) {
            stopFailures.push(serviceFailure(service, "execute", cause))
          }
          return
        }
        if (options.backgroundServiceExceptionBehavior === "Ignore") {
          yield* Effect.logError(`Background service ${service} failed (ignored: backgroundServiceExceptionBehavior is Ignore)`, cause)
          return
        }
        yield* Effect.logError(`Background service ${service} failed; stopping the host`, cause)
        yield* requestStop({ _tag: "BackgroundFailure", service, cause })
      })

    const hostContext: HostContext = {
      options,
      register: (definition) => {
        if (definition.key !== undefined) {
          if (registeredKeys.has(definition.key)) return
          registeredKeys.add(definition.key)
        }
        services.push(definition)
      },
      isStopping,
      reportBackgroundFailure,
      onStarted: (name, callback) => addCallback("started", name, callback, true),
      onStopping: (name, callback) => addCallback("stopping", name, callback, true)
    }

    const lifetime: ApplicationLifetime["Type"] = {
      started: startedEvent.await,
      stopping: stoppingEvent.await,
      stopped: stoppedEvent.await,
      stopApplication: requestStop({ _tag: "Requested" }),
      onStarted: (callback) => addCallback("started", "ApplicationLifetime.onStarted", callback, false),
      onStopping: (callback) => addCallback("stopping", "ApplicationLifetime.onStopping", callback, false),
      onStopped: (callback) => addCallback("stopped", "ApplicationLifetime.onStopped", callback, false)
    }

    const handle: Handle = {
      options,
      lifetime,
      state: () => state,
      events: () => [...events],
      inFlight: () => [...inFlight.values()],
      stopRequested: stopRequested.await,
      result: awaitResult,
      poll: () => finished,
      reportFailure: reportBackgroundFailure
    }

    return {
      lifetime,
      hostContext,
      handle,
      start,
      stop,
      result: Effect.flatMap(awaitResult, Option.match({ onNone: () => Effect.void, onSome: failWith })),
      stopRequested: stopRequested.await
    } satisfies Engine
  })

/**
 * Opens a lifetime event now. The engine's events are latches rather than `Deferred`s (a host
 * makes six of them, and a `Deferred` costs several times as much to make), opened
 * synchronously: their waiters are resumed at this point, as a `Deferred`'s are, so that `fire`'s
 * yield lets them run before the engine's next step (`Latch.open` would resume them one
 * scheduler turn later, after it).
 */
const open = (event: Effect.Latch): Effect.Effect<void> => Effect.sync(() => event.unsafeOpen())

/**
 * Fails with the host's error as is: `Effect.fail` inside a span would wrap the error to attach
 * the span, and a runner comparing it with the handle's result would see two errors.
 */
const failWith = (error: HostError): Effect.Effect<never, HostError> => Effect.failCause(Cause.fail(error))

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
