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
 * **Reloads.** A section read (`yield* MySettings`, `MySettings.read`, `section`) keeps the value
 * the program started with, as plain `Config` reads do. To follow changes of the files, watch it:
 * `MySettings.changes` (a `Stream`: the current value, then each new validated value) or
 * `MySettings.live` (a `Subscribable`, Effect's read-only view of a `SubscriptionRef`: `get` and
 * `changes`). Every section read so far must decode in a new configuration, or the reload is
 * rejected whole and the previous values stay: a watcher never sees an invalid value.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type * as Subscribable from "effect/Subscribable"
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
export const layer: <Id, S, A extends S, I, R>(
  tag: Context.Tag<Id, S>,
  name: string,
  // `A extends S`: a schema that decodes more than the service declares (an extra field) fits.
  schema: Schema.Schema<A, I, R>
) => Layer.Layer<Id, ConfigurationError, R> = internal.layer

/**
 * Section `name` as it is now and as it changes: a `Subscribable` (Effect's read-only view of a
 * `SubscriptionRef`). `get` is the current value, validated; `changes` emits it, then every new
 * value after a reload that changed the section (and never ends, like `SubscriptionRef.changes`).
 * Watching registers the section: from then on a reload in which it is invalid is rejected
 * whole, so `changes` never emits an invalid value. It fails with a `ConfigurationError` only when
 * the section is invalid when watching begins. Without effect-host's provider (or with
 * `reloadOnChange: false` and no `HostConfiguration.reload`), the value never changes.
 *
 * @since 0.1.0
 * @category reloading
 * @example
 * ```ts
 * import { Settings } from "effect-host"
 * import { Effect, Schema, Stream } from "effect"
 *
 * const Features = Settings.live("Features", Schema.Struct({ NewCheckout: Schema.Boolean }))
 *
 * const program = Features.changes.pipe(
 *   Stream.runForEach((features) => Effect.log(`NewCheckout is ${features.NewCheckout ? "on" : "off"}`))
 * )
 * ```
 */
export const live: <A, I, R>(name: string, schema: Schema.Schema<A, I, R>) => Subscribable.Subscribable<A, ConfigurationError, R> =
  internal.live

/**
 * The class a settings tag extends: a `Context.Tag` with the section, the schema, the reading
 * effect, a layer, and the section's live view (`live`, `changes`).
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
  /** Provides the tag from the section (its value at start; the service never changes). */
  readonly layer: Layer.Layer<Self, ConfigurationError, R>
  /** The section as it is now and as it changes across reloads (see `live`). */
  readonly live: Subscribable.Subscribable<A, ConfigurationError, R>
  /** `live.changes`: the current value, then each new validated value after a reload. */
  readonly changes: Stream.Stream<A, ConfigurationError, R>
}

/**
 * Declares settings as a tag, Effect style.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Host, HostedService, Settings } from "effect-host"
 * import { Effect, Layer, Schema, Stream } from "effect"
 *
 * class SmtpSettings extends Settings.Tag("app/SmtpSettings")<SmtpSettings>()(
 *   "Smtp",
 *   Schema.Struct({ Host: Schema.String, Port: Schema.optionalWith(Schema.Number, { default: () => 25 }) })
 * ) {}
 *
 * const Mailer = HostedService.scoped("Mailer", Effect.gen(function*() {
 *   const smtp = yield* SmtpSettings
 *   yield* Effect.log(`mail via ${smtp.Host}:${smtp.Port}`)
 *   // Follows edits of appsettings.json while the host runs.
 *   yield* SmtpSettings.changes.pipe(
 *     Stream.runForEach((now) => Effect.log(`mail via ${now.Host}:${now.Port} from now on`)),
 *     Effect.forkScoped
 *   )
 * })).pipe(Layer.provide(SmtpSettings.layer))
 *
 * Host.launch([Mailer])
 * ```
 */
export const Tag: <const Id extends string>(
  id: Id
) => <Self>() => <A, I, R>(name: string, schema: Schema.Schema<A, I, R>) => TagClass<Self, Id, A, I, R> = internal.Tag

/**
 * Any settings tag class, whatever its section's type: what `isSettingsTag` narrows to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Any {
  readonly [TypeId]: TypeId
  readonly section: string
  readonly schema: Schema.Schema.Any
}

/**
 * `true` for a class made by `Tag`; narrows to `Any` (its section and schema).
 *
 * @since 0.1.0
 * @category refinements
 */
export const isSettingsTag: (u: unknown) => u is Any = internal.isSettingsTag
