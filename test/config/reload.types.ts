/**
 * Type tests for the live view of typed settings, checked by `tsc --noEmit` (part of `npm test`).
 */
import { Context, Effect, Schema, type Stream, Subscribable } from "effect"
import { type ConfigurationError, HostConfiguration, Settings } from "effect-host"
import { expectTypeOf } from "vitest"

const Features = Schema.Struct({ NewCheckout: Schema.Boolean })

class FeatureSettings extends Settings.Tag("types/FeatureSettings")<FeatureSettings>()("Features", Features) {}

// The tag's value is the start-time section; `live` and `changes` follow reloads.
expectTypeOf(FeatureSettings.live).toEqualTypeOf<Subscribable.Subscribable<{ readonly NewCheckout: boolean }, ConfigurationError>>()
expectTypeOf(FeatureSettings.changes).toEqualTypeOf<Stream.Stream<{ readonly NewCheckout: boolean }, ConfigurationError>>()
expectTypeOf(FeatureSettings.live.get).toEqualTypeOf<Effect.Effect<{ readonly NewCheckout: boolean }, ConfigurationError>>()
expectTypeOf(Settings.live("Features", Features)).toEqualTypeOf<typeof FeatureSettings.live>()

// Effect's own combinators apply: a flag as a Subscribable of its own.
const flag = Subscribable.map(FeatureSettings.live, (f) => f.NewCheckout)
expectTypeOf(flag.get).toEqualTypeOf<Effect.Effect<boolean, ConfigurationError>>()

// A schema's requirements are the watcher's.
class Clock extends Context.Tag("types/Clock")<Clock, { readonly now: number }>() {}
const Stamped = Schema.Struct({ At: Schema.Number }).pipe(
  Schema.filterEffect((s) => Effect.map(Clock, (clock) => s.At <= clock.now))
)
expectTypeOf(Settings.live("Stamped", Stamped).changes).toEqualTypeOf<Stream.Stream<{ readonly At: number }, ConfigurationError, Clock>>()

expectTypeOf(HostConfiguration.reload).toEqualTypeOf<Effect.Effect<HostConfiguration.ReloadResult>>()
