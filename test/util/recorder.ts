import { Effect, Layer } from "effect"
import { ApplicationLifetime, HostedService } from "effect-host"
import type * as HostedServiceModule from "../../src/HostedService.js"

type HookName = keyof HostedServiceModule.Hooks

/** Records hook calls from inside user code, independent of the host's own event log. */
export class Recorder {
  readonly log: Array<string> = []
  record(entry: string): Effect.Effect<void> {
    return Effect.sync(() => void this.log.push(entry))
  }
  /** A service with every hook; `overrides` replace a hook's body (after recording it). */
  service<R = never>(
    name: string,
    overrides: Partial<Record<HookName, Effect.Effect<unknown, unknown, R>>> = {}
  ) {
    const hook = (phase: HookName) => Effect.zipRight(this.record(`${name}.${phase}`), overrides[phase] ?? Effect.void)
    return HostedService.make(name, {
      starting: hook("starting"),
      start: hook("start"),
      started: hook("started"),
      stopping: hook("stopping"),
      stop: hook("stop"),
      stopped: hook("stopped")
    })
  }
  /**
   * A plain layer (not a hosted service) that registers `ApplicationLifetime` callbacks recording
   * `lifetime.<event>`: user code observing the lifetime the documented way.
   */
  lifetime(prefix = "lifetime"): Layer.Layer<never, never, ApplicationLifetime> {
    const record = (entry: string) => this.record(entry)
    return Layer.effectDiscard(Effect.gen(function*() {
      const lifetime = yield* ApplicationLifetime
      yield* lifetime.onStarted(record(`${prefix}.started`))
      yield* lifetime.onStopping(record(`${prefix}.stopping`))
      yield* lifetime.onStopped(record(`${prefix}.stopped`))
    }))
  }
  /** Forks fibers (in the current scope) that wait for each lifetime event and then record it. */
  waiters(lifetime: ApplicationLifetime["Type"], prefix = "waiter") {
    const record = (entry: string) => this.record(entry)
    return Effect.forEach(
      ["started", "stopping", "stopped"] as const,
      (event) => Effect.forkScoped(Effect.zipRight(lifetime[event], record(`${prefix}.${event}`))),
      { discard: true }
    )
  }
}

/** The 9 observable steps for one service with every hook: start phases, lifetime, stop phases. */
export const fullOrder = (name: string): ReadonlyArray<string> => [
  `${name}.starting`,
  `${name}.start`,
  `${name}.started`,
  "lifetime.started",
  "lifetime.stopping",
  `${name}.stopping`,
  `${name}.stop`,
  `${name}.stopped`,
  "lifetime.stopped"
]

/** The expected trace for `names` (registration order) when everything succeeds. */
export const expectedTrace = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const reversed = [...names].reverse()
  return [
    ...names.map((n) => `${n}.starting`),
    ...names.map((n) => `${n}.start`),
    ...names.map((n) => `${n}.started`),
    "lifetime.started",
    "lifetime.stopping",
    ...reversed.map((n) => `${n}.stopping`),
    ...reversed.map((n) => `${n}.stop`),
    ...reversed.map((n) => `${n}.stopped`),
    "lifetime.stopped"
  ]
}

/** The stop phases of `names`, already in stop order. */
export const stopTrace = (names: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...names.map((n) => `${n}.stopping`),
  ...names.map((n) => `${n}.stop`),
  ...names.map((n) => `${n}.stopped`)
]
