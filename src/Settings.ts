/**
 * Typed settings: a configuration section read into an `effect/Schema` type.
 *
 * Every invalid or missing key is reported at once, in one `ConfigurationError`, each with its
 * full key path and the source of its value (file, environment variable, command line). Read
 * inside a hosted service's layer, the settings are validated while the host builds its services,
 * before any hosted service starts; the host collects the errors of every service's layer.
 *
 * Values arrive as text from the environment and the command line: where the schema expects a
 * number or a boolean the text is converted, literals match case-insensitively, property names
 * match keys case-insensitively. Keys under `Schema.Redacted` are secrets: masked in the debug
 * view and never quoted in errors.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type { ConfigurationError } from "./ConfigurationError.js"
import * as internal from "./internal/config/settings.js"

/**
 * The mark of a settings tag class.
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: internal.TypeId = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = internal.TypeId

/**
 * Reads section `name` (`"Database"`, `"Smtp:Auth"`, or `""` for the root) into `schema`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Settings } from "effect-host"
 * import { Effect, Schema } from "effect"
 *
 * const Database = Schema.Struct({
 *   Host: Schema.String,
 *   Port: Schema.Number.pipe(Schema.int(), Schema.between(1, 65535)),
 *   Password: Schema.Redacted(Schema.String)
 * })
 *
 * const program = Effect.gen(function*() {
 *   const db = yield* Settings.section("Database", Database)
 *   yield* Effect.log(`connecting to ${db.Host}:${db.Port}`)
 * })
 * ```
 */
export const section: <A, I, R>(name: string, schema: Schema.Schema<A, I, R>) => Effect.Effect<A, ConfigurationError, R> =
  internal.section

/**
 * Settings as a layer for `tag`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <Id, A, I, R>(
  tag: Context.Tag<Id, A>,
  name: string,
  schema: Schema.Schema<A, I, R>
) => Layer.Layer<Id, ConfigurationError, R> = internal.layer

/**
 * The class a settings tag extends: a `Context.Tag` with the section, the schema, the reading
 * effect and a layer.
 *
 * @since 0.1.0
 * @category models
 */
export type TagClass<Self, Id extends string, A, I, R> = Context.TagClass<Self, Id, A> & {
  readonly [TypeId]: TypeId
  readonly section: string
  readonly schema: Schema.Schema<A, I, R>
  /** Reads and validates the section. */
  readonly read: Effect.Effect<A, ConfigurationError, R>
  /** Provides the tag from the section. */
  readonly layer: Layer.Layer<Self, ConfigurationError, R>
}

/**
 * Declares settings as a tag, Effect style.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Host, HostedService, Settings } from "effect-host"
 * import { Effect, Layer, Schema } from "effect"
 *
 * class SmtpSettings extends Settings.Tag("app/SmtpSettings")<SmtpSettings>()(
 *   "Smtp",
 *   Schema.Struct({ Host: Schema.String, Port: Schema.optionalWith(Schema.Number, { default: () => 25 }) })
 * ) {}
 *
 * const Mailer = HostedService.scoped("Mailer", Effect.gen(function*() {
 *   const smtp = yield* SmtpSettings
 *   yield* Effect.log(`mail via ${smtp.Host}:${smtp.Port}`)
 * })).pipe(Layer.provide(SmtpSettings.layer))
 *
 * Host.launch([Mailer])
 * ```
 */
export const Tag: <const Id extends string>(
  id: Id
) => <Self>() => <A, I, R>(name: string, schema: Schema.Schema<A, I, R>) => TagClass<Self, Id, A, I, R> = internal.Tag

/**
 * `true` for a class made by `Tag`.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isSettingsTag: (u: unknown) => boolean = internal.isSettingsTag
