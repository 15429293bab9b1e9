/**
 * Typed settings: `section` reads a configuration section into a Schema type; `Tag` declares a
 * settings tag class that carries its section, schema, reading effect and layer.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type { TagClass } from "../../Settings.js"
import type { ConfigurationError } from "./error.js"
import * as Key from "./key.js"
import * as Read from "./read.js"
import * as SchemaReader from "./schema.js"

/** Marks a settings tag class (`Settings.Tag(...)`), so that tools can tell it from other tags. */
export const TypeId: unique symbol = Symbol.for("effect-host/Settings")
export type TypeId = typeof TypeId

export const section = <A, I, R>(name: string, schema: Schema.Schema<A, I, R>): Effect.Effect<A, ConfigurationError, R> => {
  const path = Key.normalize([name])
  return Effect.flatMap(Read.current(path), (view) => SchemaReader.decode(schema, path, view)).pipe(
    Effect.withSpan("Settings.section", { attributes: { "settings.section": name } })
  )
}

export const layer = <Id, A, I, R>(
  tag: Context.Tag<Id, A>,
  name: string,
  schema: Schema.Schema<A, I, R>
): Layer.Layer<Id, ConfigurationError, R> => Layer.effect(tag, section(name, schema))

export const Tag = <const Id extends string>(id: Id) =>
<Self>() =>
<A, I, R>(name: string, schema: Schema.Schema<A, I, R>): TagClass<Self, Id, A, I, R> => {
  const read = section(name, schema)
  // A class built whole: the statics are declared, not patched onto the tag afterwards.
  class SettingsTag extends Context.Tag(id)<Self, A>() {
    static readonly [TypeId]: TypeId = TypeId
    static readonly section: string = name
    static readonly schema: Schema.Schema<A, I, R> = schema
    static readonly read: Effect.Effect<A, ConfigurationError, R> = read
    static readonly layer: Layer.Layer<Self, ConfigurationError, R> = Layer.effect(this, read)
  }
  // Type-level only: `Context.Tag`'s unification marker is typed with the base tag class and
  // cannot know the statics added here; the value has exactly the declared shape.
  return SettingsTag as TagClass<Self, Id, A, I, R>
}

export const isSettingsTag = (u: unknown): boolean =>
  (typeof u === "function" || (typeof u === "object" && u !== null)) && TypeId in u
