/**
 * Lifecycle hooks and lifetime events — the .NET 8 `IHostedLifecycleService` walkthrough.
 *
 * One hosted service with every hook, plus `ApplicationLifetime` callbacks, each printing a
 * numbered line, so you can see the exact order the host guarantees:
 *
 *   starting → start → started → lifetime.started   … Ctrl+C …
 *   lifetime.stopping → stopping → stop → stopped → lifetime.stopped
 *
 * Run: `node --import tsx examples/lifecycle-hooks.ts`, then press Ctrl+C.
 */
import { Console, Effect, Layer } from "effect"
import { ApplicationLifetime, Host, HostedService } from "effect-host"
import { NodeHost } from "effect-host/node"

let step = 0
// Suspended so the step number is taken when the hook runs, not when it is defined.
const say = (what: string) => Effect.suspend(() => Console.log(`${String(++step).padStart(2)}. ${what}`))

// The hosted service: every hook is optional; here all six are given.
const Lifecycle = HostedService.make("Lifecycle", {
  starting: say("Lifecycle.starting   (before any service's start)"),
  start: say("Lifecycle.start      (acquire resources, begin work)"),
  started: say("Lifecycle.started    (every service has started)"),
  stopping: say("Lifecycle.stopping   (first stop phase, reverse order)"),
  stop: say("Lifecycle.stop       (release resources)"),
  stopped: say("Lifecycle.stopped    (every service has stopped)")
})

// Lifetime events (.NET's IHostApplicationLifetime): the host provides `ApplicationLifetime` to
// every layer it builds, so a plain layer can register callbacks on it.
const LifetimeEvents = Layer.effectDiscard(Effect.gen(function*() {
  const lifetime = yield* ApplicationLifetime
  yield* lifetime.onStarted(say("ApplicationLifetime.started  — press Ctrl+C to stop"))
  yield* lifetime.onStopping(say("ApplicationLifetime.stopping (before any stopping hook)"))
  yield* lifetime.onStopped(say("ApplicationLifetime.stopped  (last)"))
}))

// Development by default, for human-readable logs (`--environment Production` logs JSON lines).
const options = { configuration: { values: { environment: "Development" } } }

Console.log("lifecycle-hooks: one service with all six hooks, plus lifetime events").pipe(
  Effect.zipRight(Host.launch([LifetimeEvents, Lifecycle], options)),
  NodeHost.runMain
)
