/**
 * HostCluster's settings: the `Cluster:*` configuration keys, the options given in code (which
 * win), the host defaults (fail-over in about 10 s), and their validation. Every invalid value is
 * reported at once, as a `ConfigurationError` naming the key and its source, before any service
 * starts.
 *
 * @internal
 */
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import type { Options } from "../../HostCluster.js"
import type { Issue } from "../config/error.js"
import { ConfigurationError } from "../config/error.js"
import { withSources } from "../config/read.js"
import { port } from "../config/port.js"
import { seconds } from "../config/seconds.js"
import * as Source from "../config/source.js"
import type { StorageKind } from "./errors.js"

/** The configuration section. */
export const section = "Cluster"

/** The keys under `Cluster:`. */
export const configKeys = {
  sqlUrl: "Sql:Url",
  sqlFilename: "Sql:Filename",
  sqlBusyTimeout: "Sql:BusyTimeoutSeconds",
  host: "Host",
  port: "Port",
  listenHost: "ListenHost",
  shardsPerGroup: "ShardsPerGroup",
  shardLockExpiration: "ShardLockExpirationSeconds",
  shardLockRefresh: "ShardLockRefreshSeconds",
  refreshAssignments: "RefreshAssignmentsSeconds",
  messagePoll: "MessagePollSeconds",
  runnerHealthCheck: "RunnerHealthCheckSeconds",
  entityTerminationTimeout: "EntityTerminationTimeoutSeconds"
} as const

/**
 * The host defaults, measured on a 2-core machine (kill -9 of a runner → its work running on
 * another: SQLite 8–11 s, PostgreSQL 3–7 s; Effect's own defaults: 30–35 s).
 */
export const defaults = {
  sqliteFilename: "cluster.db",
  sqliteBusyTimeout: Duration.seconds(5),
  host: "127.0.0.1",
  port: 0,
  shardsPerGroup: 300,
  shardLockExpiration: Duration.seconds(10),
  shardLockRefreshInterval: Duration.seconds(3),
  refreshAssignmentsInterval: Duration.seconds(1),
  entityMessagePollInterval: Duration.seconds(1),
  runnerHealthCheckInterval: Duration.seconds(5),
  /** Upper bound of the default termination timeout (Effect's own default). */
  entityTerminationTimeout: Duration.seconds(15)
} as const

/** Where the cluster keeps its messages and runners. */
export type Storage =
  | { readonly kind: "sqlite"; readonly filename: string; readonly busyTimeout: Duration.Duration }
  | { readonly kind: "postgres"; readonly url: Redacted.Redacted }
  | { readonly kind: "provided"; readonly layer: Layer.Layer<SqlClient.SqlClient, unknown> }
  | { readonly kind: "memory" }

/** Which kind of member this process is. */
export type Role = "runner" | "client" | "single" | "test"

/** Everything HostCluster needs to join, resolved. */
export interface Settings {
  readonly name: string
  readonly role: Role
  readonly storage: Storage
  readonly host: string
  /** `0`: a free port is picked when the runner joins. */
  readonly port: number
  readonly listenHost: Option.Option<string>
  readonly shardsPerGroup: number
  readonly shardLockExpiration: Duration.Duration
  readonly shardLockRefreshInterval: Duration.Duration
  readonly refreshAssignmentsInterval: Duration.Duration
  readonly entityMessagePollInterval: Duration.Duration
  readonly runnerHealthCheckInterval: Duration.Duration
  readonly entityTerminationTimeout: Duration.Duration
  readonly health: boolean
  /** Applied last, over everything above. */
  readonly shardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]>
}

export const storageKind = (storage: Storage): StorageKind => storage.kind

/** What the `Cluster` section holds (missing keys are `None`). */
interface FromConfig {
  readonly sqlUrl: Option.Option<Redacted.Redacted>
  readonly sqlFilename: Option.Option<string>
  readonly sqlBusyTimeout: Option.Option<Duration.Duration>
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
  readonly listenHost: Option.Option<string>
  readonly shardsPerGroup: Option.Option<number>
  readonly shardLockExpiration: Option.Option<Duration.Duration>
  readonly shardLockRefresh: Option.Option<Duration.Duration>
  readonly refreshAssignments: Option.Option<Duration.Duration>
  readonly messagePoll: Option.Option<Duration.Duration>
  readonly runnerHealthCheck: Option.Option<Duration.Duration>
  readonly entityTerminationTimeout: Option.Option<Duration.Duration>
}

const positiveSeconds = (key: string) =>
  seconds(key).pipe(
    Config.validate({
      message: "Expected a number of seconds > 0",
      validation: Option.match({ onNone: () => true, onSome: (d) => Duration.toMillis(d) > 0 })
    })
  )

const nonEmpty = (key: string) =>
  Config.option(Config.string(key).pipe(
    Config.validate({ message: "Expected a non-empty string", validation: (s) => s.trim().length > 0 })
  ))

/** Each key on its own, so that one invalid key does not hide the checks of the others. */
const keys: { readonly [K in keyof FromConfig]: Config.Config<FromConfig[K]> } = {
  sqlUrl: Config.nested(
    Config.option(Config.string("Url").pipe(
      Config.validate({
        message: "Expected a PostgreSQL URL (postgres://user:password@host:port/database)",
        validation: (url) => /^postgres(ql)?:\/\//.test(url)
      }),
      Config.map(Redacted.make)
    )),
    "Sql"
  ),
  sqlFilename: Config.nested(nonEmpty("Filename"), "Sql"),
  sqlBusyTimeout: Config.nested(seconds("BusyTimeoutSeconds"), "Sql"),
  host: nonEmpty(configKeys.host),
  port: port(configKeys.port),
  listenHost: nonEmpty(configKeys.listenHost),
  shardsPerGroup: Config.option(Config.integer(configKeys.shardsPerGroup).pipe(
    Config.validate({ message: "Expected a positive integer (the same on every runner)", validation: (n) => n >= 1 })
  )),
  shardLockExpiration: positiveSeconds(configKeys.shardLockExpiration),
  shardLockRefresh: positiveSeconds(configKeys.shardLockRefresh),
  refreshAssignments: positiveSeconds(configKeys.refreshAssignments),
  messagePoll: positiveSeconds(configKeys.messagePoll),
  runnerHealthCheck: positiveSeconds(configKeys.runnerHealthCheck),
  entityTerminationTimeout: positiveSeconds(configKeys.entityTerminationTimeout)
}

/** The section, with every invalid key's error (an invalid key reads as missing). */
const readSection: Effect.Effect<{ readonly values: FromConfig; readonly errors: ReadonlyArray<ConfigError.ConfigError> }> =
  Effect.gen(function*() {
    const errors: Array<ConfigError.ConfigError> = []
    const values: Record<string, unknown> = {}
    for (const [name, key] of Object.entries(keys) as Array<[keyof FromConfig, Config.Config<Option.Option<unknown>>]>) {
      const result = yield* Effect.either(Config.nested(key, section))
      if (result._tag === "Left") errors.push(result.left)
      values[name] = result._tag === "Right" ? result.right : Option.none()
    }
    // Every key of `FromConfig` was set above, each to its config's type.
    return { values: values as unknown as FromConfig, errors }
  })

/** A value from code (wins) or from configuration (with its key, for error messages). */
interface Picked<A> {
  readonly value: A
  /** The configuration key it came from, or `undefined` when it came from code or a default. */
  readonly key: string | undefined
}

const pick = <A>(fromCode: A | undefined, fromConfig: Option.Option<A>, key: string, fallback: A): Picked<A> =>
  fromCode !== undefined
    ? { value: fromCode, key: undefined }
    : Option.isSome(fromConfig)
    ? { value: fromConfig.value, key: `${section}:${key}` }
    : { value: fallback, key: undefined }

const decodeDuration = (input: Duration.DurationInput | undefined): Duration.Duration | undefined =>
  input === undefined ? undefined : Duration.decode(input)

/**
 * The default time entities get to finish at a graceful leave: at most 15 s, and enough of the
 * host's `shutdownTimeout` left over for the rest of the leave (releasing the shard locks) and
 * the other services' stops: the larger of half the budget and the budget less 5 s.
 */
export const defaultTerminationTimeout = (shutdownTimeout: Duration.Duration): Duration.Duration => {
  const budget = Duration.toMillis(shutdownTimeout)
  if (!Number.isFinite(budget)) return defaults.entityTerminationTimeout
  return Duration.millis(Math.min(Duration.toMillis(defaults.entityTerminationTimeout), Math.max(budget / 2, budget - 5000)))
}

const formatSeconds = (d: Duration.Duration) => `${Duration.toMillis(d) / 1000} s`

/** One issue: on a configuration key (its source is looked up), or on an option given in code. */
type Problem = { readonly key: string | undefined; readonly option: string; readonly message: string }

const toErrors = (name: string, problems: ReadonlyArray<Problem>) => {
  const fromConfig = problems.flatMap((p) => (p.key === undefined ? [] : [ConfigError.InvalidData(p.key.split(":"), p.message)]))
  const fromCode: Array<Issue> = problems.flatMap((p) =>
    p.key === undefined ? [{ key: `${name}: ${p.option}`, message: p.message, source: Source.code }] : []
  )
  return { fromConfig, fromCode }
}

/**
 * Reads the `Cluster` section and merges it with the options given in code. `role` and the
 * storage that a role implies (memory for the test variant) come from the caller.
 */
export const resolve = (
  role: Role,
  options: Options,
  context: { readonly contentRoot: string; readonly shutdownTimeout: Duration.Duration }
): Effect.Effect<Settings, ConfigurationError> =>
  withSources(Effect.gen(function*() {
    const name = options.name ?? "HostCluster"
    const { errors: readErrors, values: fromConfig } = yield* readSection

    const storage = ((): Storage => {
      if (role === "test") return { kind: "memory" }
      const sql = options.sql
      if (sql !== undefined) {
        // By value, not by key: `{ filename, url: undefined }` (which the types allow) is SQLite.
        if ("url" in sql && sql.url !== undefined) return { kind: "postgres", url: typeof sql.url === "string" ? Redacted.make(sql.url) : sql.url }
        if ("filename" in sql && sql.filename !== undefined) {
          return {
            kind: "sqlite",
            filename: path.resolve(context.contentRoot, sql.filename),
            busyTimeout: decodeDuration(options.sqliteBusyTimeout) ??
              Option.getOrElse(fromConfig.sqlBusyTimeout, () => defaults.sqliteBusyTimeout)
          }
        }
        return { kind: "provided", layer: sql }
      }
      if (Option.isSome(fromConfig.sqlUrl)) return { kind: "postgres", url: fromConfig.sqlUrl.value }
      return {
        kind: "sqlite",
        filename: path.resolve(context.contentRoot, Option.getOrElse(fromConfig.sqlFilename, () => defaults.sqliteFilename)),
        busyTimeout: decodeDuration(options.sqliteBusyTimeout) ??
          Option.getOrElse(fromConfig.sqlBusyTimeout, () => defaults.sqliteBusyTimeout)
      }
    })()

    const expiration = pick(
      decodeDuration(options.shardLockExpiration),
      fromConfig.shardLockExpiration,
      configKeys.shardLockExpiration,
      defaults.shardLockExpiration
    )
    const refresh = pick(
      decodeDuration(options.shardLockRefreshInterval),
      fromConfig.shardLockRefresh,
      configKeys.shardLockRefresh,
      defaults.shardLockRefreshInterval
    )
    const termination = pick(
      decodeDuration(options.entityTerminationTimeout),
      fromConfig.entityTerminationTimeout,
      configKeys.entityTerminationTimeout,
      defaultTerminationTimeout(context.shutdownTimeout)
    )
    const port = pick(options.port, fromConfig.port, configKeys.port, defaults.port)
    const shards = pick(options.shardsPerGroup, fromConfig.shardsPerGroup, configKeys.shardsPerGroup, defaults.shardsPerGroup)

    const problems: Array<Problem> = []
    if (!Number.isInteger(port.value) || port.value < 0 || port.value > 65535) {
      problems.push({ key: port.key, option: "port", message: `Expected a port between 0 and 65535, got ${port.value}` })
    }
    if (!Number.isInteger(shards.value) || shards.value < 1) {
      problems.push({ key: shards.key, option: "shardsPerGroup", message: `Expected a positive integer, got ${shards.value}` })
    }
    if (Duration.lessThan(expiration.value, Duration.seconds(2))) {
      problems.push({
        key: expiration.key,
        option: "shardLockExpiration",
        message: `must be at least 2 s (got ${formatSeconds(expiration.value)}): a runner whose event loop or ` +
          "database stalls longer loses its shards"
      })
    }
    if (!Duration.lessThan(refresh.value, expiration.value)) {
      problems.push({
        key: refresh.key,
        option: "shardLockRefreshInterval",
        message: `must be less than the shard lock expiration (${formatSeconds(expiration.value)}), got ` +
          `${formatSeconds(refresh.value)}: the locks would expire between two refreshes`
      })
    }
    const budget = context.shutdownTimeout
    if (Duration.isFinite(budget) && Duration.greaterThan(Duration.sum(termination.value, Duration.seconds(1)), budget)) {
      problems.push({
        key: termination.key,
        option: "entityTerminationTimeout",
        message: `must leave at least 1 s of the host's shutdownTimeout (${formatSeconds(budget)}) for the rest of the leave ` +
          `(releasing the shard locks), got ${formatSeconds(termination.value)}`
      })
    }
    const { fromCode, fromConfig: keyed } = toErrors(name, problems)
    const [first, ...rest] = [...readErrors, ...keyed]
    if (first !== undefined || fromCode.length > 0) {
      const errors: Array<ConfigurationError> = []
      if (first !== undefined) {
        // Through `withSources`, so that each issue names the source of its key.
        const all = rest.reduce((merged, e) => ConfigError.And(merged, e), first)
        errors.push(yield* Effect.flip(withSources(Effect.fail(all))))
      }
      if (fromCode.length > 0) errors.push(new ConfigurationError({ issues: fromCode }))
      return yield* Effect.fail(ConfigurationError.merge(errors))
    }

    const settings: Settings = {
      name,
      role,
      storage,
      host: options.host ?? Option.getOrElse(fromConfig.host, () => defaults.host),
      port: port.value,
      listenHost: options.listenHost !== undefined ? Option.some(options.listenHost) : fromConfig.listenHost,
      shardsPerGroup: shards.value,
      shardLockExpiration: expiration.value,
      shardLockRefreshInterval: refresh.value,
      refreshAssignmentsInterval: decodeDuration(options.refreshAssignmentsInterval) ??
        Option.getOrElse(fromConfig.refreshAssignments, () => defaults.refreshAssignmentsInterval),
      entityMessagePollInterval: decodeDuration(options.messagePollInterval) ??
        Option.getOrElse(fromConfig.messagePoll, () => defaults.entityMessagePollInterval),
      runnerHealthCheckInterval: decodeDuration(options.runnerHealthCheckInterval) ??
        Option.getOrElse(fromConfig.runnerHealthCheck, () => defaults.runnerHealthCheckInterval),
      entityTerminationTimeout: termination.value,
      health: options.health ?? true,
      shardingConfig: options.shardingConfig ?? {}
    }
    return settings
  }))

/** A short description of the storage, for logs (never the password of a URL). */
export const describeStorage = (storage: Storage): string => {
  switch (storage.kind) {
    case "sqlite":
      return `SQLite ${storage.filename}`
    case "postgres": {
      try {
        const url = new URL(Redacted.value(storage.url))
        return `PostgreSQL ${url.hostname}:${url.port || "5432"}${url.pathname}`
      } catch {
        return "PostgreSQL"
      }
    }
    case "provided":
      return "the SqlClient given in code"
    case "memory":
      return "memory"
  }
}
