/**
 * A side channel from the host to whoever runs it (`TestHost`, `NodeHost.runMain`).
 *
 * Runners cannot see a host's outcome through the main fiber alone: when a signal interrupts
 * `Host.launch`, the fiber's exit is "interrupted" even if the stop hit its deadline. The runner
 * sets an observer with `Effect.locally` and the host reports to it.
 *
 * @internal
 */
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type { ApplicationLifetime } from "../ApplicationLifetime.js"
import type { Environment } from "../HostEnvironment.js"
import type { HostError, Phase } from "../HostError.js"
import type * as HostOptions from "../HostOptions.js"

/** One step of the lifecycle, in the order it happened. */
export type HostEvent =
  | { readonly _tag: "Hook"; readonly service: string; readonly phase: Phase }
  | { readonly _tag: "HookFailed"; readonly service: string; readonly phase: Phase }
  | { readonly _tag: "Lifetime"; readonly event: "started" | "stopping" | "stopped" }

/** What a running host exposes to its runner. */
export interface HostHandle {
  /** Services currently inside a hook, with the hook's phase. */
  readonly inFlight: () => ReadonlyArray<{ readonly service: string; readonly phase: Phase }>
  readonly isStopping: () => boolean
  readonly lifetime: ApplicationLifetime["Type"]
  /** The host's resolved options: a runner needs `shutdownTimeout` for its wall-clock guard. */
  readonly options: HostOptions.Resolved
  /**
   * The host's environment, when the host passes it (the runner's status messages print it;
   * without it they resolve the environment from configuration themselves).
   */
  readonly environment?: Environment | undefined
  /** Reports a failure as if a background service had failed (for tests and runners). */
  readonly reportBackgroundFailure: (service: string, cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

export interface HostObserver {
  readonly onEvent?: (event: HostEvent) => void
  readonly onHost?: (handle: HostHandle) => void
  /** Called once with the final outcome: `undefined` for a graceful stop. */
  readonly onOutcome?: (error: HostError | undefined) => void
}

export const currentObserver: FiberRef.FiberRef<Option.Option<HostObserver>> = globalValue(
  Symbol.for("effect-host/currentObserver"),
  () => FiberRef.unsafeMake<Option.Option<HostObserver>>(Option.none())
)
