/**
 * The merged store as an Effect `ConfigProvider`, so `Config.string("Database:Host")`,
 * `Config.nested("Database")(...)`, `Config.array`, `Config.redacted` all read layered values.
 * Built with Effect's own `ConfigProvider.fromFlat` / `makeFlat`; what we add is the lookup
 * (case-insensitive, `:` paths, array rules) and error messages that name the value's source.
 *
 * @internal
 */
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as PathPatch from "effect/ConfigProviderPathPatch"
import * as Effect from "effect/Effect"
import * as HashSet from "effect/HashSet"
import { pipeArguments } from "effect/Pipeable"
import { describeSource } from "./error.js"
import * as Key from "./key.js"
import type * as Secrets from "./secrets.js"
import type { Source } from "./source.js"
import type { Store } from "./store.js"

export interface FileStatus {
  readonly path: string
  readonly loaded: boolean
}

/** A built configuration: the store, what is secret, and how the environment was resolved. */
export interface Configuration {
  readonly store: Store
  readonly secrets: Secrets.Secrets
  readonly environmentName: string
  readonly contentRootPath: string
  readonly files: ReadonlyArray<FileStatus>
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

export const make = (configuration: Configuration): HostConfigProvider => {
  const { secrets, store } = configuration

  const load = <A>(path: ReadonlyArray<string>, primitive: { readonly parse: (text: string) => Effect.Effect<A, ConfigError.ConfigError>; readonly description: string }, split: boolean) => {
    const segments = Key.normalize(path)
    const entry = store.get(segments)
    if (entry === undefined) {
      return Effect.fail(ConfigError.MissingData([...path], `Expected ${Key.display(segments)} to be set: ${Key.whereToSet(segments)}`))
    }
    const last = segments[segments.length - 1]
    const texts = split && entry.splittable && !(last !== undefined && Key.isIndex(last))
      ? entry.value.split(",").map((s) => s.trim())
      : [entry.value]
    const secret = secrets.has(segments)
    const parse = (text: string) => {
      const lowered = text.trim().toLowerCase()
      // .NET writes `True`/`False`; Effect's booleans only know lower case. On failure the
      // original text is what the error reports.
      if (lowered === text) return primitive.parse(text)
      return Effect.catchAll(primitive.parse(text), (error) => Effect.orElseFail(primitive.parse(lowered), () => error))
    }
    return Effect.forEach(texts, (text) =>
      Effect.mapError(parse(text), (error) => {
        const message = secret
          ? `Expected ${primitive.description}; the value is a secret and not shown`
          : error.message
        return ConfigError.InvalidData([...path], withSource(message, entry.source))
      }))
  }

  const enumerateChildren = (path: ReadonlyArray<string>) =>
    Effect.sync(() =>
      HashSet.fromIterable(
        // Effect's sequences look for `[n]` children.
        store.children(Key.normalize(path)).map((child) => (Key.isIndex(child) ? `[${child}]` : child))
      )
    )

  const flat: HostFlat = {
    [ConfigProvider.FlatConfigProviderTypeId]: ConfigProvider.FlatConfigProviderTypeId,
    [TypeId]: configuration,
    patch: PathPatch.empty,
    load,
    enumerateChildren
  }
  // Effect's own interpreter of a `Config` over a flat provider.
  const base = ConfigProvider.fromFlat(flat)
  return {
    [ConfigProvider.ConfigProviderTypeId]: ConfigProvider.ConfigProviderTypeId,
    [TypeId]: configuration,
    flattened: flat,
    load: (config) => {
      markSecrets(config, [], secrets)
      return base.load(config)
    },
    pipe() {
      // eslint-disable-next-line prefer-rest-params
      return pipeArguments(this, arguments)
    }
  }
}

/**
 * Marks the keys a `Config` reads through `Config.redacted` as secrets, so the debug view masks
 * them even when their names do not look secret. Effect does not expose the structure of a
 * `Config`, so this walks its `_tag`s defensively: anything unknown is skipped, and a `Lazy`
 * config is never evaluated (it may be recursive).
 */
const markSecrets = (config: unknown, prefix: ReadonlyArray<string>, secrets: Secrets.Secrets, secret = false): void => {
  if (typeof config !== "object" || config === null || !("_tag" in config)) return
  const op = config as { readonly _tag: unknown } & Record<string, unknown>
  switch (op._tag) {
    case "Nested":
      return typeof op.name === "string" ? markSecrets(op.config, [...prefix, op.name], secrets, secret) : undefined
    case "Redacted":
      return markSecrets(op.original, prefix, secrets, true)
    case "Primitive":
      return secret && prefix.length > 0 ? secrets.add(prefix) : undefined
    case "Sequence":
    case "HashMap":
      // Elements live below `prefix`; a secret collection is secret as a whole.
      if (secret && prefix.length > 0) return secrets.add(prefix)
      return markSecrets(op._tag === "Sequence" ? op.config : op.valueConfig, prefix, secrets, secret)
    case "Described":
      return markSecrets(op.config, prefix, secrets, secret)
    case "MapOrFail":
      return markSecrets(op.original, prefix, secrets, secret)
    case "Fallback":
      markSecrets(op.first, prefix, secrets, secret)
      return markSecrets(op.second, prefix, secrets, secret)
    case "ZipWith":
      markSecrets(op.left, prefix, secrets, secret)
      return markSecrets(op.right, prefix, secrets, secret)
  }
}
