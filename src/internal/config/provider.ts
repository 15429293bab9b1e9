/**
 * The merged store as an Effect `ConfigProvider`, so `Config.string("Database:Host")`,
 * `Config.nested("Database")(...)`, `Config.array`, `Config.redacted` all read layered values.
 * The provider is our own value implementing Effect's public `ConfigProvider` interface; Effect's
 * `ConfigProvider.fromFlat` interprets each `Config` over our flat provider. What we add is the
 * lookup (case-insensitive, `:` paths, array rules), error messages that name the value's
 * source, and the secrets a load reveals.
 *
 * @internal
 */
import type * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as PathPatch from "effect/ConfigProviderPathPatch"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as HashSet from "effect/HashSet"
import { pipeArguments } from "effect/Pipeable"
import { describeSource } from "./error.js"
import * as Key from "./key.js"
import type { Live } from "./live.js"
import * as Secrets from "./secrets.js"
import type { Source } from "./source.js"
import { type Reads, type Store, valuelessMessage } from "./store.js"

export interface FileStatus {
  readonly path: string
  readonly loaded: boolean
}

/** A built configuration: the store, what is secret, and how the environment was resolved. */
export interface Configuration {
  readonly store: Store
  /** The keys read so far (the debug view shows environment variables only when read). */
  readonly reads: Reads
  readonly secrets: Secrets.Secrets
  readonly environmentName: string
  readonly contentRootPath: string
  readonly files: ReadonlyArray<FileStatus>
  /**
   * The configuration as it is now, when its files can be reloaded (built by
   * `HostConfiguration.make`). `store` and `files` above stay as they were at start: plain
   * `Config` reads see the start-time values.
   */
  readonly live?: Live | undefined
}

/**
 * Marks effect-host's provider (and its flat form) and carries the `Configuration` behind it:
 * the provider is a value of its own that implements Effect's public `ConfigProvider` interface.
 */
export const TypeId: unique symbol = Symbol.for("effect-host/HostConfiguration")
export type TypeId = typeof TypeId

/** effect-host's layered provider. */
export interface HostConfigProvider extends ConfigProvider.ConfigProvider {
  readonly [TypeId]: Configuration
  readonly flattened: HostFlat
}

/** Its flat form, marked too (a provider Effect rebuilds from it, `fromFlat(p.flattened)`, is still ours). */
export interface HostFlat extends ConfigProvider.ConfigProvider.Flat {
  readonly [TypeId]: Configuration
}

const carries = (u: unknown): u is { readonly [TypeId]: Configuration } =>
  typeof u === "object" && u !== null && TypeId in u

/**
 * The configuration behind `provider`, when it is one of ours. The one place that relies on how
 * Effect installs a provider: `Effect.withConfigProvider` / `Layer.setConfigProvider` put the
 * object itself into the context, so the provider read back (`Effect.configProviderWith`) is
 * ours, mark included (pinned by test/config/provider.test.ts).
 */
export const configurationOf = (provider: ConfigProvider.ConfigProvider): Configuration | undefined =>
  carries(provider) ? provider[TypeId] : carries(provider.flattened) ? provider.flattened[TypeId] : undefined

/** How a value's source is appended to a message; `stripSource` undoes it. */
export const withSource = (message: string, source: Source): string => `${message} (from ${describeSource(source)})`

export const stripSource = (message: string, source: Source | undefined): string => {
  if (source === undefined) return message
  const suffix = ` (from ${describeSource(source)})`
  return message.endsWith(suffix) ? message.slice(0, -suffix.length) : message
}

/**
 * Effect reads a sequence (`Config.array`, `Config.chunk`) from the children of its key named
 * `[0]`, `[1]`, … (its `fromFlat` looks for that form, then loads `<key>[n]`). Our keys name
 * elements `0`, `1`; this is the one place that translates, and `Key.normalize` reads `[n]`
 * back. Pinned by test/config/provider.test.ts ("sequences").
 */
export const sequenceChild = (segment: string): string => (Key.isIndex(segment) ? `[${segment}]` : segment)

/** One value a load read: its key, its raw text, and what the `Config` primitive made of it. */
export interface Loaded {
  readonly path: Key.Path
  readonly text: string
  readonly value: unknown
}

export const make = (configuration: Configuration): HostConfigProvider => {
  const { reads, secrets, store } = configuration

  /** The flat provider; `onLoaded` hears of every value a load read (for one top-level load). */
  const makeFlat = (onLoaded?: (loaded: Loaded) => void): HostFlat => {
    const load = <A>(path: ReadonlyArray<string>, primitive: Config.Config.Primitive<A>, split = false) => {
      const segments = Key.normalize(path)
      reads.add(segments)
      const entry = store.get(segments)
      if (entry === undefined) {
        return Effect.fail(ConfigError.MissingData([...path], `Expected ${Key.display(segments)} to be set: ${Key.whereToSet(segments)}`))
      }
      if (entry.valueless === true) {
        return Effect.fail(ConfigError.InvalidData([...path], withSource(valuelessMessage(entry), entry.source)))
      }
      const last = segments[segments.length - 1]
      const texts = split && entry.splittable && !(last !== undefined && Key.isIndex(last))
        ? entry.value.split(",").map((s) => s.trim())
        : [entry.value]
      const secret = secrets.has(segments)
      const parse = (text: string): Either.Either<A, ConfigError.ConfigError> => {
        const parsed = primitive.parse(text)
        const lowered = text.trim().toLowerCase()
        // .NET writes `True`/`False`; Effect's booleans only know lower case. On failure the
        // original text is what the error reports.
        if (Either.isRight(parsed) || lowered === text) return parsed
        return Either.orElse(primitive.parse(lowered), () => parsed)
      }
      return Effect.forEach(texts, (text) =>
        Either.match(parse(text), {
          onLeft: (error) => {
            const message = secret
              ? `Expected ${primitive.description}; the value is a secret and not shown`
              : error.message
            return Effect.fail(ConfigError.InvalidData([...path], withSource(message, entry.source)))
          },
          onRight: (value) => {
            onLoaded?.({ path: segments, text, value })
            return Effect.succeed(value)
          }
        }))
    }
    const enumerateChildren = (path: ReadonlyArray<string>) =>
      Effect.sync(() => HashSet.fromIterable(store.children(Key.normalize(path)).map(sequenceChild)))
    return {
      [ConfigProvider.FlatConfigProviderTypeId]: ConfigProvider.FlatConfigProviderTypeId,
      [TypeId]: configuration,
      patch: PathPatch.empty,
      load,
      enumerateChildren
    }
  }

  const flat = makeFlat()
  return {
    [ConfigProvider.ConfigProviderTypeId]: ConfigProvider.ConfigProviderTypeId,
    [TypeId]: configuration,
    flattened: flat,
    // Each top-level load gets a flat provider of its own that records what it read, so that
    // the keys behind `Config.redacted` values become secrets (see `Secrets.markRedacted`).
    // Effect's own `fromFlat` interprets the `Config`.
    load: <A>(config: Config.Config<A>) =>
      Effect.suspend(() => {
        const loaded: Array<Loaded> = []
        return ConfigProvider.fromFlat(makeFlat((l) => loaded.push(l))).load(config).pipe(
          Effect.tap((value) => Effect.sync(() => Secrets.markRedacted(secrets, value, loaded))),
          Effect.tapError((error) => Effect.sync(() => Secrets.markRedactedFailures(secrets, error)))
        )
      }),
    pipe() {
      // eslint-disable-next-line prefer-rest-params
      return pipeArguments(this, arguments)
    }
  }
}
