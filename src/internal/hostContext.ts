/**
 * How a hosted-service layer finds the host that is building it, and what it may ask of it.
 *
 * A hosted service is a plain `Layer`. When the host builds its services it sets
 * `currentHostContext` for the duration of the build, and each hosted-service layer registers
 * its hooks there (registration order = build order). Built anywhere else, the layer runs
 * standalone: start phases at acquire, stop phases at release.
 *
 * Contract for hooks and layer finalizers (what keeps "nothing lost" true at the deadline):
 *   - at the shutdown deadline the engine interrupts the hook in progress and gives it
 *     `finalizationGrace` (on the `Clock`) to end; its `onInterrupt` handlers and finalizers must
 *     do their accounting and releases within that grace and must not wait for work that may
 *     ignore interruption;
 *   - services the stop never reached get no stop hook: the finalizer their layer added to its
 *     scope runs when the host's scope closes, right after the engine completed and before
 *     `Host.launch` returns, and must be bounded the same way;
 *   - a service whose stop, cut short, has such bounded work to do registers it as its `cutOff`:
 *     at the deadline the engine runs the cut-offs of every service whose stop did not finish
 *     together, inside the one grace, instead of one layer finalizer after the other (ten queues
 *     would take ten graces, and the runner's guard would end the process before the last ones
 *     reported their tasks). A cut-off runs once however often it is called (the stop hook's
 *     `onInterrupt`, the engine, the layer's finalizer): see `once` in grace.ts.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import type { Phase } from "../HostError.js"
import type * as HostOptions from "../HostOptions.js"

/** @internal */
/** A service's hooks, by phase (what a hook yields is ignored). */
export type Hooks = { readonly [P in Phase]?: Effect.Effect<unknown, unknown> | undefined }

/**
 * A registered service: its name and its hooks. The hooks' requirements are either provided
 * already or in `context`, which the engine provides to each hook in the same step that
 * annotates its logs (one fiber-ref update per hook instead of one `Effect.provide` each).
 */
export interface ServiceDefinition {
  readonly name: string
  readonly hooks: Hooks
  readonly context?: Context.Context<never> | undefined
  /** What the service does when the shutdown deadline cut its stop short or its stop never ran (see above). */
  readonly cutOff?: Effect.Effect<void> | undefined
  /**
   * What registered it (a `HostedService.make` layer): a host registers it once however often it
   * is listed or shared, as its memo map builds any layer once.
   */
  readonly key?: object | undefined
}

/**
 * How long an interrupted hook (or finalizer) may take to end before the host abandons it: at the
 * shutdown deadline, and for a start hook interrupted by a stop. Part of the wall-clock guard's
 * margin, not of `shutdownTimeout`.
 */
export const finalizationGrace: Duration.Duration = Duration.millis(500)

/** What a hosted-service layer may ask of the host building it. */
export interface HostContext {
  readonly options: HostOptions.Resolved
  readonly register: (definition: ServiceDefinition) => void
  /** Reports a background failure; the host applies `backgroundServiceExceptionBehavior`. */
  readonly reportBackgroundFailure: (service: string, cause: Cause.Cause<unknown>) => Effect.Effect<void>
  /** True once the stop has begun (interruptions after this are the host's own doing). */
  readonly isStopping: () => boolean
  /**
   * Runs `callback` as the last step of the start, after every `started` hook and before
   * `ApplicationLifetime.started` fires. A failure fails the start like a failing `started`
   * hook of service `name`: the host rolls back.
   */
  readonly onStarted: (name: string, callback: Effect.Effect<void, unknown>) => Effect.Effect<void>
  /**
   * Runs `callback` when the stop begins, before any `stopping` hook (inside the shutdown
   * budget). A failure is a stop failure of service `name` (phase `stopping`).
   */
  readonly onStopping: (name: string, callback: Effect.Effect<void, unknown>) => Effect.Effect<void>
}

export const currentHostContext: FiberRef.FiberRef<Option.Option<HostContext>> = globalValue(
  Symbol.for("effect-host/currentHostContext"),
  () => FiberRef.unsafeMake<Option.Option<HostContext>>(Option.none())
)
