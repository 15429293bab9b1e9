/**
 * Configuration — .NET's layered configuration and options pattern, read through Effect's `Config`.
 *
 * Sources, later wins: defaults in code < `examples/config/appsettings.json` <
 * `appsettings.{Environment}.json` < environment variables (`GREETER__NAME=env`) < command line
 * (`--Greeter:Name=cli`). The `Greeter` section is read into a typed settings class
 * (`effect/Schema`); an invalid value — say `--Greeter:IntervalSeconds=-1` — stops the program
 * before any service starts, naming every bad key and where it came from (exit code 78). The API
 * key is `Redacted`: masked in the configuration dump and never logged.
 *
 * Run: `node --import tsx examples/configuration.ts`, then try
 *      `GREETER__NAME=env node --import tsx examples/configuration.ts --Greeter:Shout=true`
 *      `node --import tsx examples/configuration.ts --environment Production --Greeter:IntervalSeconds=-1`
 */
import { Console, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import { Host, HostConfiguration, HostEnvironment, ScheduledService, Settings } from "effect-host"
import { NodeHost } from "effect-host/node"
import { fileURLToPath } from "node:url"

/** The typed `Greeter` section. Every invalid or missing key is reported at once. */
class GreeterSettings extends Settings.Tag("example/GreeterSettings")<GreeterSettings>()(
  "Greeter",
  Schema.Struct({
    Name: Schema.NonEmptyString,
    IntervalSeconds: Schema.Number.pipe(Schema.positive()),
    Shout: Schema.optionalWith(Schema.Boolean, { default: () => false }),
    ApiKey: Schema.Redacted(Schema.String)
  })
) {}

// Prints where every value came from (secrets masked), then greets on the configured interval.
const Greeter = Layer.unwrapEffect(Effect.gen(function*() {
  const settings = yield* GreeterSettings
  const environment = yield* HostEnvironment
  yield* Console.log(`Environment: ${environment.environmentName}`)
  yield* Console.log(yield* HostConfiguration.debugView({ section: "Greeter" }))
  const greeting = `Hello, ${settings.Name}!`
  return ScheduledService.make("Greeter", {
    schedule: Schedule.spaced(`${settings.IntervalSeconds} seconds`),
    run: Effect.gen(function*() {
      yield* Console.log(settings.Shout ? greeting.toUpperCase() : greeting)
      // The secret is used, never printed: Redacted's toString is "<redacted>".
      yield* Console.log(`(calling the API with a key of ${Redacted.value(settings.ApiKey).length} characters: ${settings.ApiKey})`)
    })
  })
})).pipe(Layer.provide(GreeterSettings.layer))

Host.launch([Greeter], {
  configuration: {
    // appsettings*.json are looked up in the content root.
    contentRoot: fileURLToPath(new URL("config", import.meta.url)),
    // Defaults in code, the lowest source: Development unless told otherwise.
    values: { environment: "Development", Greeter: { IntervalSeconds: 2 } }
  }
}).pipe(NodeHost.runMain)
