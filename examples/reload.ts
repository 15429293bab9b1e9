/**
 * Reload on change — .NET's `reloadOnChange` and `IOptionsMonitor<T>.OnChange`: change a log
 * level or a feature flag while the program runs, without a restart.
 *
 * Every second the Greeter logs a debug line and the greeting, as the `Features` section says
 * *now*; the FlagWatcher logs each new value of the section. Edit `examples/reload/appsettings.json`
 * while it runs (the file is read again 250 ms after the last change; an editor that saves by
 * renaming a new file over the old one is fine):
 *
 *   - `"Default": "Debug"` under `Logging:LogLevel`: the debug lines appear from the next one on
 *     (and `"Warning"` hides the greetings);
 *   - `"Shout": true` under `Features`: the next greeting shouts, the FlagWatcher says so;
 *   - `"Greeting": ""` (invalid: the schema wants a non-empty string) or a broken JSON file: the
 *     reload is rejected with one warning naming the file, the key and the reason, and the
 *     previous settings stay in force until the next valid edit.
 *
 * Plain `Config` reads and `yield* Features` keep the values the program started with; only what
 * watches (`Features.live`, `Features.changes`, the host logger) follows the file.
 *
 * Run: `node --import tsx examples/reload.ts` (`--contentRoot <dir>` reads another directory's
 * appsettings.json), then press Ctrl+C.
 */
import { Effect, Layer, Schedule, Schema, Stream } from "effect"
import { ApplicationLifetime, BackgroundService, Host, HostEnvironment, ScheduledService, Settings } from "effect-host"
import { NodeHost } from "effect-host/node"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

class Features extends Settings.Tag("example/Features")<Features>()(
  "Features",
  Schema.Struct({
    Greeting: Schema.NonEmptyString,
    Shout: Schema.optionalWith(Schema.Boolean, { default: () => false })
  })
) {}

let ticks = 0

// `Features.live.get` is the section as it is now (validated); `yield* Features` would be its value at start.
const Greeter = ScheduledService.make("Greeter", {
  schedule: Schedule.spaced("1 second"),
  run: Effect.gen(function*() {
    yield* Effect.logDebug(`tick ${++ticks}`)
    const features = yield* Features.live.get
    yield* Effect.logInfo(features.Shout ? features.Greeting.toUpperCase() : features.Greeting)
  })
  // Read once while the host builds its services: an invalid section stops the program before start (exit 78).
}).pipe(Layer.provide(Features.layer))

// `Features.changes`: the value at start, then each new validated value.
const FlagWatcher = BackgroundService.make(
  "FlagWatcher",
  Features.changes.pipe(
    Stream.runForEach((f) => Effect.logInfo(`Features now: Greeting=${JSON.stringify(f.Greeting)}, Shout=${f.Shout}`))
  )
)

const Hint = Layer.effectDiscard(Effect.gen(function*() {
  const { contentRootPath } = yield* HostEnvironment
  yield* ApplicationLifetime.onStarted(Effect.logInfo(`Edit ${path.join(contentRootPath, "appsettings.json")} while this runs.`))
}))

Host.launch([Hint, FlagWatcher, Greeter], {
  configuration: {
    // Values in code, the lowest source: `--contentRoot` or `--environment` on the command line win.
    values: { environment: "Development", contentRoot: fileURLToPath(new URL("reload", import.meta.url)) }
  }
}).pipe(NodeHost.runMain)
