/**
 * Type tests, checked by `tsc --noEmit` (part of `npm test`): the refinements and the test
 * handle's records say what they hold.
 */
import { Effect, Schema } from "effect"
import { type HostError, Settings } from "effect-host"
import type { TestHost } from "effect-host/testing"
import { expectTypeOf } from "vitest"

class Smtp extends Settings.Tag("types/Smtp")<Smtp>()("Smtp", Schema.Struct({ Host: Schema.String })) {}

// `isSettingsTag` narrows an unknown value to a tag whose section and schema can be read.
const found: unknown = Smtp
if (Settings.isSettingsTag(found)) {
  expectTypeOf(found.section).toEqualTypeOf<string>()
  expectTypeOf(found.schema).toEqualTypeOf<Schema.Schema.Any>()
}

// A hook in flight names one of the lifecycle phases, not any string.
declare const host: TestHost.TestHost<never>
const _phases = Effect.map(host.inFlight, (inFlight) => inFlight.map((hook) => hook.phase))
expectTypeOf<Effect.Effect.Success<typeof _phases>>().toEqualTypeOf<Array<HostError.Phase>>()
