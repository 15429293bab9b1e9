/**
 * Reading through whatever `ConfigProvider` is current: effect-host's own (with sources and
 * secrets), or any other one, snapshotted through public `Config` reads (best effort: values
 * are text, the source is just "ConfigProvider").
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import { ConfigurationError, type Issue } from "./error.js"
import * as Key from "./key.js"
import { type Configuration, configurationOf, stripSource } from "./provider.js"
import * as Secrets from "./secrets.js"
import * as Source from "./source.js"
import { type Entry, layer, merge, type Store } from "./store.js"

/** What a reader needs: the values with their sources, and the secret keys. */
export interface View {
  readonly store: Store
  readonly secrets: Secrets.Secrets
  /** Hears of every key a reader looks up (effect-host's provider records them). */
  readonly onRead: ((path: Key.Path) => void) | undefined
  readonly configuration: Configuration | undefined
}

const at = <A>(path: Key.Path, config: Config.Config<A>): Config.Config<A> =>
  path.reduceRight<Config.Config<A>>((inner, segment) => Config.nested(inner, segment), config)

/**
 * The names of the children of `path`, through public `Config` only: a `Config.hashMap` lists
 * the children of its key, and a constant value reads none of them.
 */
const childrenAt = (path: Key.Path): Config.Config<ReadonlyArray<string>> =>
  Config.map(at(path, Config.hashMap(Config.succeed(true))), (map) => [...HashMap.keys(map)])

/** Snapshots everything at or below `root` of a foreign provider. */
const snapshot = (root: Key.Path): Effect.Effect<Store> =>
  Effect.gen(function*() {
    const entries: Array<Entry> = []
    const walk = (path: ReadonlyArray<string>, depth: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (path.length > 0) {
          const value = yield* Effect.either(at(path, Config.option(Config.string())))
          if (Either.isRight(value) && Option.isSome(value.right)) {
            entries.push({ path: Key.normalize(path), value: value.right.value, source: Source.provider, splittable: true })
          }
        }
        if (depth > 32) return
        const children = yield* Effect.orElseSucceed(childrenAt(path), () => [])
        for (const child of children) yield* walk([...path, child], depth + 1)
      })
    yield* walk(root, 0)
    return merge([layer(entries)])
  })

/** The current provider as a `View`; a foreign provider is snapshotted below `root`. */
export const current = (root: Key.Path = []): Effect.Effect<View> =>
  Effect.configProviderWith((provider): Effect.Effect<View> => {
    const configuration = configurationOf(provider)
    if (configuration !== undefined) {
      return Effect.succeed({
        store: configuration.store,
        secrets: configuration.secrets,
        onRead: (path: Key.Path) => configuration.reads.add(path),
        configuration
      })
    }
    return Effect.map(snapshot(root), (store) => ({ store, secrets: new Secrets.Secrets(), onRead: undefined, configuration: undefined }))
  })

interface Leaf {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

const leaves = (error: ConfigError.ConfigError): ReadonlyArray<Leaf> =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: ReadonlyArray<Leaf>, right: ReadonlyArray<Leaf>) => [...left, ...right],
    orCase: (_, left: ReadonlyArray<Leaf>, right: ReadonlyArray<Leaf>) => [...left, ...right],
    invalidDataCase: (_, path, message) => [{ path, message }],
    missingDataCase: (_, path, message) => [{ path, message }],
    sourceUnavailableCase: (_, path, message) => [{ path, message }],
    unsupportedCase: (_, path, message) => [{ path, message }]
  })

/**
 * Where the value at `path` of the current provider came from: its source in effect-host's
 * configuration (`undefined` when nothing is set there), `ConfigProvider` for any other provider.
 */
export const sourceAt = (path: Key.Path): Effect.Effect<Source.Source | undefined> =>
  Effect.configProviderWith((provider) => {
    const configuration = configurationOf(provider)
    return Effect.succeed(configuration === undefined ? Source.provider : configuration.store.get(Key.normalize(path))?.source)
  })

/**
 * Turns Effect's `ConfigError` into a `ConfigurationError`: one issue per failing key, with the
 * value's source when the provider is ours. The message of a secret key never quotes its value
 * (a `Schema.Config` with `Schema.Redacted` quotes it in the `ParseError`'s text).
 */
export const fromConfigError = (error: ConfigError.ConfigError, configuration?: Configuration): ConfigurationError =>
  new ConfigurationError({
    issues: leaves(error).map((leaf): Issue => {
      const path = Key.normalize(leaf.path)
      const entry = configuration?.store.get(path)
      const secret = configuration?.secrets.has(path) === true
      const message = secret ? Secrets.scrub(leaf.message, entry === undefined ? [] : [entry.value, entry.value.trim()], false) : leaf.message
      return { key: Key.display(path), message: stripSource(message, entry?.source), source: entry?.source }
    })
  })

/** Runs `effect`; a `ConfigError` becomes a `ConfigurationError` naming keys and sources. */
export const withSources = <A, R>(
  effect: Effect.Effect<A, ConfigError.ConfigError | ConfigurationError, R>
): Effect.Effect<A, ConfigurationError, R> =>
  Effect.catchIf(
    effect,
    ConfigError.isConfigError,
    (error) =>
      Effect.configProviderWith((provider) => Effect.fail(fromConfigError(error, configurationOf(provider))))
  ) as Effect.Effect<A, ConfigurationError, R>

/**
 * A synchronous look into effect-host's store for `fromStore`: `value` is a key's own text
 * (`None`: nothing set there, or only keys below it), a read recorded as the provider does;
 * `undefined` for a value `Config` would reject (a switch given without a value), which sends the
 * whole read through `Config` for its error. `children` lists a section's child names.
 */
export interface StoreLook {
  readonly value: (path: Key.Path) => Option.Option<string> | undefined
  readonly children: (path: Key.Path) => ReadonlyArray<string>
  /** Whether anything is set at or below `path` (not recorded as a read). */
  readonly has: (path: Key.Path) => boolean
}

/**
 * `withSources(config)`, computed by `direct` from effect-host's store when the current provider
 * is effect-host's, without Effect's `Config` interpreter (tens of microseconds per key, and most
 * of a cold start's configuration time). `direct` must read what `config` reads; it returns
 * `undefined` for anything it does not read the same way (a value `config` would reject, say),
 * and then `config` is read as usual: every error, with its sources, comes from `Config`. A
 * foreign provider always goes through `Config`.
 */
export const fromStore = <A>(config: Config.Config<A>, direct: (look: StoreLook) => A | undefined): Effect.Effect<A, ConfigurationError> =>
  Effect.configProviderWith((provider) => {
    const configuration = configurationOf(provider)
    if (configuration === undefined) return withSources(config)
    const { reads, store } = configuration
    // Recorded only when the direct read succeeds: otherwise `config` records what it reads.
    const looked: Array<Key.Path> = []
    const look: StoreLook = {
      value: (path) => {
        const key = Key.normalize(path)
        looked.push(key)
        const entry = store.get(key)
        if (entry === undefined) return Option.none()
        return entry.valueless === true ? undefined : Option.some(entry.value)
      },
      children: (path) => store.children(Key.normalize(path)),
      has: (path) => store.has(path)
    }
    const value = direct(look)
    if (value === undefined) return withSources(config)
    for (const key of looked) reads.add(key)
    return Effect.succeed(value)
  })

/**
 * `withSources(config)`, or `whenUnset` at once when the current provider is effect-host's and
 * none of `paths` is set in it (at or below): what `config` would read then, since every one of
 * its keys is optional. The host reads its own keys at every start, and Effect's `Config`
 * interpreter costs tens of microseconds per key even when nothing is set; a foreign provider
 * (or a set key) always goes through `Config`, errors and sources as usual.
 */
export const unlessUnset = <A>(
  paths: ReadonlyArray<Key.Path>,
  config: Config.Config<A>,
  whenUnset: A
): Effect.Effect<A, ConfigurationError> =>
  fromStore(config, (look) => (paths.every((path) => !look.has(path)) ? whenUnset : undefined))

/**
 * The keys among `paths` that are set only as sections (`shutdownTimeoutSeconds:Value=2`,
 * `SHUTDOWNTIMEOUTSECONDS__0=2`, `{ "shutdownTimeoutSeconds": [2] }`): `Config.string` reads such
 * a key as missing, so the value meant for it was ignored without a word. One issue per key,
 * naming the first key set below it and that key's source. Only for effect-host's provider.
 */
export const sectionsForValues = (paths: ReadonlyArray<Key.Path>): Effect.Effect<ReadonlyArray<Issue>> =>
  Effect.configProviderWith((provider) => {
    const store = configurationOf(provider)?.store
    if (store === undefined) return Effect.succeed([])
    const issues: Array<Issue> = []
    for (const path of paths) {
      if (store.get(path) !== undefined || store.children(path).length === 0) continue
      // Down to the first key that has a value, for its name and source.
      let below: Key.Path = path
      let entry: Entry | undefined
      for (let child = store.children(below)[0]; child !== undefined; child = store.children(below)[0]) {
        below = [...below, child]
        entry = store.get(below)
        if (entry !== undefined) break
      }
      issues.push({
        key: Key.display(path),
        message: `Expected a value, found a section (${Key.display(entry?.path ?? below)} is set)`,
        source: entry?.source
      })
    }
    return Effect.succeed(issues)
  })
