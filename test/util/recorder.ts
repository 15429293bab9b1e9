import { Effect } from "effect"
import { HostedService } from "effect-host"
import type * as HostedServiceModule from "../../src/HostedService.js"

/** Records hook calls from inside user code, independent of the host's own event log. */
export class Recorder {
  readonly log: Array<string> = []
  record(entry: string): Effect.Effect<void> {
    return Effect.sync(() => void this.log.push(entry))
  }
  /** A service with every hook; `overrides` replace a hook's body (after recording it). */
  service(
    name: string,
    overrides: Partial<Record<keyof HostedServiceModule.Hooks, Effect.Effect<unknown, unknown>>> = {}
  ) {
    const hook = (phase: keyof HostedServiceModule.Hooks) =>
      Effect.zipRight(this.record(`${name}.${phase}`), overrides[phase] ?? Effect.void)
    return HostedService.make(name, {
      starting: hook("starting"),
      start: hook("start"),
      started: hook("started"),
      stopping: hook("stopping"),
      stop: hook("stop"),
      stopped: hook("stopped")
    })
  }
}
