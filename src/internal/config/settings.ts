/**
 * Typed settings: `section` reads a configuration section into a Schema type; `live` watches it
 * across reloads; `Tag` declares a settings tag class that carries its section, schema, reading
 * effect, layer and live view.
 *
 * A section read through effect-host's provider is registered with the configuration: every
 * later reload must decode it too, or it is rejected whole.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Subscribable from "effect/Subscribable"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { Any, TagClass } from "../../Settings.js"
import type { ConfigurationError } from "./error.js"
import * as Key from "./key.js"
import * as Live from "./live.js"
import { type Configuration, configurationOf } from "./provider.js"
import * as Read from "./read.js"
import * as SchemaReader from "./schema.js"
import type { Store } from "./store.js"
import { withSpanWhenTracing } from "../tracing.js"

/** Marks a settings tag class (`Settings.Tag(...)`), so that tools can tell it from other tags. */
export const TypeId: unique symbol = Symbol.for("effect-host/Settings")
export type TypeId = typeof TypeId

/** Decodes section `path` of `store`. */
const decodeIn = <A, I, R>(configuration: Configuration, store: Store, path: Key.Path, schema: Schema.Schema<A, I, R>) =>
  SchemaReader.decode(schema, path, {
    store,
    secrets: configuration.secrets,
    onRead: (read: Key.Path) => configuration.reads.add(read)
  })

/**
 * Registers section `path` with the configuration's reloads: from now on a new configuration in
 * which it does not decode is rejected. The schema's requirements are the reader's.
 */
const register = <A, I, R>(configuration: Configuration, path: Key.Path, schema: Schema.Schema<A, I, R>) =>
  Effect.gen(function*() {
    const live = configuration.live
    if (live === undefined) return
    const context = yield* Effect.context<R>()
    yield* Live.register(live, {
      identity: { key: Key.lower(path), schema },
      run: (candidate) =>
        decodeIn(configuration, candidate.store, path, schema).pipe(Effect.as(undefined), Effect.provide(context))
    })
  })

export const section = <A, I, R>(name: string, schema: Schema.Schema<A, I, R>): Effect.Effect<A, ConfigurationError, R> => {
  const path = Key.normalize([name])
  return Effect.flatMap(Read.current(path), (view) => {
    const decoded = SchemaReader.decode(schema, path, view)
    const configuration = view.configuration
    // Only a section that reads now is kept valid by reloads.
    return configuration === undefined ? decoded : Effect.tap(decoded, () => register(configuration, path, schema))
  }).pipe(withSpanWhenTracing("Settings.section", { attributes: { "settings.section": name }, captureStackTrace: false }))
}

export const layer = <Id, S, A extends S, I, R>(
  tag: Context.Tag<Id, S>,
  name: string,
  schema: Schema.Schema<A, I, R>
): Layer.Layer<Id, ConfigurationError, R> => Layer.effect(tag, section(name, schema))

/**
 * The section as it is now and the snapshot it was read from, registered under the reload lock:
 * every later snapshot was checked with this section.
 */
const readNow = <A, I, R>(configuration: Configuration, live: Live.Live, path: Key.Path, schema: Schema.Schema<A, I, R>) =>
  live.lock.withPermits(1)(Effect.gen(function*() {
    const snapshot = yield* SubscriptionRef.get(live.state)
    const value = yield* decodeIn(configuration, snapshot.store, path, schema)
    yield* register(configuration, path, schema)
    return { value, snapshot }
  }))

export const live = <A, I, R>(name: string, schema: Schema.Schema<A, I, R>): Subscribable.Subscribable<A, ConfigurationError, R> => {
  const path = Key.normalize([name])
  const reloadable = Effect.configProviderWith((provider) => {
    const configuration = configurationOf(provider)
    return Effect.succeed(configuration?.live === undefined ? undefined : { configuration, live: configuration.live })
  })
  const get = Effect.flatMap(reloadable, (r) =>
    r === undefined ? section(name, schema) : Effect.map(readNow(r.configuration, r.live, path, schema), (now) => now.value))
  const changes = Stream.unwrap(Effect.flatMap(reloadable, (r) => {
    // Nothing reloads it: its one value, and a stream that never ends, as `SubscriptionRef.changes`.
    if (r === undefined) return Effect.succeed(Stream.concat(Stream.fromEffect(section(name, schema)), Stream.never))
    const { configuration } = r
    return Effect.map(readNow(configuration, r.live, path, schema), (first) =>
      Stream.concat(
        Stream.succeed(first.value),
        r.live.state.changes.pipe(
          // Only when the section reads differently; every snapshot here passed its check.
          Stream.mapAccum(first.snapshot.store.fingerprint(path), (last, snapshot) => {
            const fingerprint = snapshot.store.fingerprint(path)
            return [fingerprint, fingerprint === last ? Option.none() : Option.some(snapshot.store)] as const
          }),
          Stream.filterMap(identity),
          Stream.mapEffect((store) => decodeIn(configuration, store, path, schema))
        )
      ))
  }))
  return Subscribable.make({ get, changes })
}

export const Tag = <const Id extends string>(id: Id) =>
<Self>() =>
<A, I, R>(name: string, schema: Schema.Schema<A, I, R>): TagClass<Self, Id, A, I, R> => {
  const read = section(name, schema)
  const view = live(name, schema)
  // A class built whole: the statics are declared, not patched onto the tag afterwards.
  class SettingsTag extends Context.Tag(id)<Self, A>() {
    static readonly [TypeId]: TypeId = TypeId
    static readonly section: string = name
    static readonly schema: Schema.Schema<A, I, R> = schema
    static readonly read: Effect.Effect<A, ConfigurationError, R> = read
    static readonly layer: Layer.Layer<Self, ConfigurationError, R> = Layer.effect(this, read)
    static readonly live: Subscribable.Subscribable<A, ConfigurationError, R> = view
    static readonly changes: Stream.Stream<A, ConfigurationError, R> = view.changes
  }
  // Type-level only: `Context.Tag`'s unification marker is typed with the base tag class and
  // cannot know the statics added here; the value has exactly the declared shape.
  return SettingsTag as TagClass<Self, Id, A, I, R>
}

export const isSettingsTag = (u: unknown): u is Any =>
  (typeof u === "function" || (typeof u === "object" && u !== null)) && TypeId in u
