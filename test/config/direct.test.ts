/**
 * The host reads its own keys (`Logging`, the environment's keys) from effect-host's store
 * directly, without Effect's `Config` interpreter (`Read.fromStore`). Over generated
 * configurations (values in code, environment variables, command-line switches with and without
 * values, empty texts, sections, array-like children, any case), the direct read yields exactly
 * what the `Config` read yields, errors and sources included, and records the same reads.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Either, FastCheck as fc, HashMap, Option } from "effect"
import * as Configuration from "../../src/internal/config/configuration.js"
import * as Environment from "../../src/internal/config/environment.js"
import * as HostLogger from "../../src/internal/config/logger.js"
import { configurationOf } from "../../src/internal/config/provider.js"
import * as Read from "../../src/internal/config/read.js"

const text = fc.oneof(fc.constantFrom("", " ", "Warning", "debug", "json", "Pretty", "stdout", "nonsense", "Production", "a/b"), fc.string({ maxLength: 6 }))
const name = fc.oneof(fc.constantFrom("Default", "default", "Db", "0", "1", "Format", "LogLevel"), fc.stringMatching(/^[A-Za-z][A-Za-z]{0,5}$/))
const spell = fc.constantFrom((k: string) => k, (k: string) => k.toUpperCase(), (k: string) => k.toLowerCase())

interface Setting {
  readonly path: ReadonlyArray<string>
  readonly value: string
  readonly via: "code" | "env" | "switch" | "value-less switch"
  readonly spell: (key: string) => string
}

/** One key and what sets it: a value in code, an environment variable, or a switch (maybe value-less). */
const setting: fc.Arbitrary<Setting> = fc.record({
  path: fc.oneof(
    fc.tuple(fc.constantFrom("Format", "Output", "LogLevel")).map((p) => ["Logging", ...p]),
    fc.tuple(name).map(([n]) => ["Logging", "LogLevel", n]),
    fc.tuple(name, name).map(([a, b]) => ["Logging", "LogLevel", a, b]),
    fc.constantFrom(["environment"], ["applicationName"], ["NODE_ENV"])
  ),
  value: text,
  via: fc.constantFrom("code" as const, "env" as const, "switch" as const, "value-less switch" as const),
  spell
})

const build = (settings: ReadonlyArray<Setting>) => {
  const values: Record<string, string> = {}
  const env: Record<string, string> = {}
  const args: Array<string> = []
  for (const { path, spell, value, via } of settings) {
    const key = path.map(spell)
    if (via === "code") values[key.join(":")] = value
    else if (via === "env") env[key.join("__")] = value
    else if (via === "switch") args.push(`--${key.join(":")}=${value}`)
    else args.push(`--${key.join(":")}`)
  }
  return Configuration.make({ values, env, args, reloadOnChange: false, files: [] })
}

/** A value as plain data, comparable whatever a HashMap's insertion order. */
const plain = (value: unknown): unknown => {
  if (Option.isOption(value)) return Option.match(value, { onNone: () => "None", onSome: (v) => ({ Some: plain(v) }) })
  if (HashMap.isHashMap(value)) return [...value].map(([k, v]) => [k, plain(v)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))
  if (Either.isEither(value)) return Either.match(value, { onLeft: (e) => ({ Left: plain(e) }), onRight: (a) => ({ Right: plain(a) }) })
  if (value instanceof Error) return { name: value.name, message: value.message, ...Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) }
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

/** Both reads over the same configuration, each on a fresh copy (their reads are recorded apart). */
const both = <A>(settings: ReadonlyArray<Setting>, config: Config.Config<A>, direct: (look: Read.StoreLook) => A | undefined, keys: ReadonlyArray<ReadonlyArray<string>>) =>
  Effect.gen(function*() {
    const viaDirect = yield* Effect.either(build(settings))
    const viaConfig = yield* Effect.either(build(settings))
    // An invalid configuration (a blank environment name, say) fails before any host key is read.
    if (viaDirect._tag === "Left" || viaConfig._tag === "Left") {
      expect(viaDirect._tag).toBe(viaConfig._tag)
      return
    }
    const direct1 = yield* Effect.either(Effect.withConfigProvider(Read.fromStore(config, direct), viaDirect.right))
    const config1 = yield* Effect.either(Effect.withConfigProvider(Read.withSources(config), viaConfig.right))
    expect(plain(direct1)).toStrictEqual(plain(config1))
    const reads = (provider: typeof viaDirect.right) => keys.map((key) => configurationOf(provider)?.reads.has(key))
    expect(reads(viaDirect.right)).toStrictEqual(reads(viaConfig.right))
  })

describe("host keys read from the store directly", () => {
  it.effect.prop(
    "the Logging section: the same values, errors and reads as through Config",
    [fc.array(setting, { maxLength: 6 })],
    ([settings]) =>
      both(settings, HostLogger.section, HostLogger.directSection, [["Logging", "Format"], ["Logging", "Output"], ["Logging", "LogLevel"], ["Logging", "LogLevel", "Default"]]),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect.prop(
    "the environment's keys: the same values, errors and reads as through Config",
    [fc.array(setting, { maxLength: 6 })],
    ([settings]) => both(settings, Environment.config, Environment.direct, [["environment"], ["NODE_ENV"], ["applicationName"], ["contentRoot"]]),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect("the direct read is used over effect-host's provider only, and only when it can tell", () =>
    Effect.gen(function*() {
      const ours = yield* Configuration.make({ env: {}, args: [], reloadOnChange: false, files: [] })
      const foreign = ConfigProvider.fromMap(new Map())
      const read = (direct: () => string | undefined) => Read.fromStore(Config.succeed("through Config"), direct)
      expect(yield* Effect.withConfigProvider(read(() => "direct"), ours)).toBe("direct")
      expect(yield* Effect.withConfigProvider(read(() => undefined), ours)).toBe("through Config")
      expect(yield* Effect.withConfigProvider(read(() => "direct"), foreign)).toBe("through Config")
    }))
})
