/**
 * How a hosted-service layer finds the host that is building it.
 *
 * A hosted service is a plain `Layer`. When the host builds its services it sets
 * `currentHostContext` for the duration of the build, and each hosted-service layer registers
 * its hooks there (registration order = build order). Built anywhere else, the layer runs
 * standalone: start phases at acquire, stop phases at release.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import type { Phase } from "../HostError.js"
import type * as HostOptions from "../HostOptions.js"

/** @internal */
export type Hooks = { readonly [P in Phase]?: Effect.Effect<void, unknown> | undefined }

/** A registered service: its name and its hooks, with their requirements already provided. */
export interface ServiceDefinition {
  readonly name: string
  readonly hooks: Hooks
}

/** What a hosted-service layer may ask of the host building it. */
export interface HostContext {
  readonly options: HostOptions.Resolved
  readonly register: (definition: ServiceDefinition) => void
  /** Reports a background failure; the host applies `backgroundServiceExceptionBehavior`. */
  readonly reportBackgroundFailure: (service: string, cause: Cause.Cause<unknown>) => Effect.Effect<void>
  /** True once the stop has begun (interruptions after this are the host's own doing). */
  readonly isStopping: () => boolean
}

export const currentHostContext: FiberRef.FiberRef<Option.Option<HostContext>> = globalValue(
  Symbol.for("effect-host/currentHostContext"),
  () => FiberRef.unsafeMake<Option.Option<HostContext>>(Option.none())
)
