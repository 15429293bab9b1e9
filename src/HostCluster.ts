/**
 * An `@effect/cluster` member as a hosted service: run durable entities, cluster-wide scheduled
 * jobs (`ClusterScheduledService`) and durable task queues (`DurableTaskQueue`) across several
 * processes and machines, coordinated through SQL storage only (no shard manager).
 *
 * - **Storage.** Embedded default: a SQLite file in the content root (`cluster.db`), for one
 *   machine and any number of processes on it. For many machines: PostgreSQL
 *   (`Cluster:Sql:Url`).
 * - **Joins after, leaves before.** The member joins in its `start` hook, after the services
 *   listed before it started (list there what the workloads' handlers use), and leaves in its
 *   `stop` hook, before those services stop: its entities finish their requests (up to
 *   `Cluster:EntityTerminationTimeoutSeconds`), it unregisters and releases its shard locks, so
 *   the other runners take its shards at once — all within the host's `shutdownTimeout`.
 *   "After" and "before" hold for the host's sequential phases (the default); with
 *   `servicesStartConcurrently` / `servicesStopConcurrently` the join and the leave run beside
 *   the other services' hooks, as every hook of a concurrent phase does (the layers listed before
 *   it are still built before any hook runs).
 * - **Host defaults.** Fail-over after a runner dies (kill -9, a lost machine) takes about 10 s
 *   instead of Effect's 30–35 s: shard locks expire after 10 s, are refreshed every 3 s,
 *   assignments are re-read and storage polled every second, runners pinged every 5 s.
 * - **First start.** Two runners starting at once on an empty PostgreSQL database would race to
 *   create the tables: the member migrates under an advisory lock, and retries a first start
 *   that failed for a transient reason (about 15 s in all).
 * - **Readiness.** A health check `cluster` (tag `ready`, so `/health/ready` with `HttpHost`):
 *   unhealthy until joined, from the moment the member leaves, and while its row in the runner
 *   table is missing, stale or marked unhealthy.
 *
 * @since 0.2.0
 */
import type * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { ApplicationLifetime } from "./ApplicationLifetime.js"
import type { ConfigurationError } from "./ConfigurationError.js"
import type * as Health from "./Health.js"
import * as config from "./internal/cluster/config.js"
import * as errors from "./internal/cluster/errors.js"
import * as internal from "./internal/cluster/hostCluster.js"
import * as runner from "./internal/cluster/runner.js"
import * as sql from "./internal/cluster/sql.js"

/**
 * @since 0.2.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.2.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * Where a member is in its life: `notJoined` (built, its `start` has not run), `joining`,
 * `joined`, `leaving`, `left`, `failed` (joining failed).
 *
 * @since 0.2.0
 * @category models
 */
export type MemberState = errors.MemberState

/**
 * What `status` reports.
 *
 * @since 0.2.0
 * @category models
 */
export interface Status {
  readonly name: string
  readonly state: MemberState
  /** `host:port` of a runner, or the role (`client`, `single`, `test`); `None` until joined. */
  readonly address: Option.Option<string>
  /** The storage, without secrets: `SQLite /srv/app/cluster.db`, `PostgreSQL db:5432/app`. */
  readonly storage: string
  /** Shards this member holds the lock of now (0 while joining, and on a client). */
  readonly ownedShards: number
  /** Runners with a fresh heartbeat in the runner table (runners in SQL only). */
  readonly runners: Option.Option<number>
}

/**
 * Options given in code; each wins over its configuration key (`Cluster:*`, see
 * {@link configKeys}).
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /**
   * The storage: `{ url }` for PostgreSQL (key `Cluster:Sql:Url`), `{ filename }` for a SQLite
   * file, relative to the content root (key `Cluster:Sql:Filename`, default `cluster.db`), or a
   * `SqlClient` layer of your own. Default: the SQLite file.
   */
  readonly sql?:
    // One or the other: `filename?: never` makes a literal with both an error, not a silent pick.
    | { readonly url: string | Redacted.Redacted; readonly filename?: never }
    | { readonly filename: string; readonly url?: never }
    | Layer.Layer<SqlClient.SqlClient, unknown>
    | undefined
  /**
   * The address other runners reach this one at (`Cluster:Host`, default `127.0.0.1`: one
   * machine). On several machines, set it to this machine's address.
   */
  readonly host?: string | undefined
  /**
   * The runner's port (`Cluster:Port`). Default `0`: a free port, picked when the runner joins
   * (any number of processes on one machine, nothing to configure). A fixed port keeps a
   * restarted runner's address, so its old entry is replaced at once instead of expiring.
   */
  readonly port?: number | undefined
  /** The address to listen on, when it differs from `host` (`Cluster:ListenHost`, e.g. `0.0.0.0`). */
  readonly listenHost?: string | undefined
  /** Shards per group (`Cluster:ShardsPerGroup`, default 300); the same on every runner. */
  readonly shardsPerGroup?: number | undefined
  /** `Cluster:ShardLockExpirationSeconds`, default 10: a dead runner's shards move after this. */
  readonly shardLockExpiration?: Duration.DurationInput | undefined
  /** `Cluster:ShardLockRefreshSeconds`, default 3 (heartbeat and lock refresh). */
  readonly shardLockRefreshInterval?: Duration.DurationInput | undefined
  /** `Cluster:RefreshAssignmentsSeconds`, default 1 (re-reading the runner table). */
  readonly refreshAssignmentsInterval?: Duration.DurationInput | undefined
  /**
   * `Cluster:MessagePollSeconds`, default 1: how often storage is polled for due and unprocessed
   * messages. A cluster cron job runs up to this late; keep it well below the shortest period.
   */
  readonly messagePollInterval?: Duration.DurationInput | undefined
  /** `Cluster:RunnerHealthCheckSeconds`, default 5: how often runners are pinged. */
  readonly runnerHealthCheckInterval?: Duration.DurationInput | undefined
  /**
   * `Cluster:EntityTerminationTimeoutSeconds`: how long requests in progress may finish at a
   * graceful leave; the rest are interrupted, stay stored and run again elsewhere. Default: the
   * larger of half the `shutdownTimeout` and `shutdownTimeout` − 5 s, at most 15 s. Must leave
   * 1 s of the `shutdownTimeout`.
   */
  readonly entityTerminationTimeout?: Duration.DurationInput | undefined
  /** SQLite's busy timeout (`Cluster:Sql:BusyTimeoutSeconds`, default 5). */
  readonly sqliteBusyTimeout?: Duration.DurationInput | undefined
  /** Any other `ShardingConfig` field, applied last (over the settings above). */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
  /** The readiness check `cluster`. Default `true`. */
  readonly health?: boolean | undefined
  /** The hosted service's name (logs, errors). Default `"HostCluster"`. */
  readonly name?: string | undefined
}

/**
 * The resolved settings of a member.
 *
 * @since 0.2.0
 * @category models
 */
export type Settings = config.Settings

/**
 * A layer that needs `Sharding` (an entity's `toLayer`, a `Singleton`, a cron job), built when
 * the member joins, released when it leaves.
 *
 * @since 0.2.0
 * @category models
 */
export interface Workload {
  readonly name: string
  readonly layer: Layer.Layer<never, unknown, Sharding.Sharding>
}

/**
 * The member, as the services listed after it see it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  readonly [TypeId]: TypeId
  /** The hosted service's name. */
  readonly serviceName: string
  readonly settings: Settings
  /** `Sharding`, once the member joined (waits for the join); fails once it left or failed. */
  readonly sharding: Effect.Effect<Sharding.Sharding["Type"], ClusterNotRunningError>
  readonly currentState: Effect.Effect<MemberState>
  readonly status: Effect.Effect<Status>
  /** What {@link workload} does: registers a layer to build when the member joins. */
  readonly addWorkload: (workload: Workload) => Effect.Effect<void, WorkloadError>
}

/**
 * The member's tag: `yield* HostCluster.HostCluster`, or the accessors
 * (`HostCluster.HostCluster.status`).
 *
 * @since 0.2.0
 * @category tags
 */
export class HostCluster extends Effect.Tag("effect-host/HostCluster")<HostCluster, Service>() {}

/**
 * The configuration keys, under the section `Cluster`.
 *
 * @since 0.2.0
 * @category constants
 */
export const configKeys: typeof config.configKeys = config.configKeys

/**
 * The host defaults.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaults: typeof config.defaults = config.defaults

/**
 * A runner: owns shards and runs the workloads, talks to the other runners over TCP
 * (`Cluster:Host`/`Cluster:Port`), keeps messages and runners in SQL.
 *
 * @since 0.2.0
 * @category layers
 * @example
 * ```ts
 * import { Host } from "effect-host"
 * import { ClusterScheduledService, HostCluster } from "effect-host/cluster"
 * import { Effect } from "effect"
 *
 * const Report = ClusterScheduledService.make("Report", {
 *   schedule: "0 * * * *",                    // every hour, once across the cluster
 *   run: (slot) => Effect.log(`report for ${slot.toString()}`)
 * })
 *
 * // SQLite in the content root by default; --Cluster:Sql:Url=postgres://… for many machines.
 * Host.launch([HostCluster.layer(), Report])
 * ```
 */
export const layer: (options?: Options) => Layer.Layer<HostCluster | Health.Registry, ConfigurationError, ApplicationLifetime> =
  internal.layer("runner")

/**
 * A member that sends to the cluster (enqueues durable tasks, calls entities) but owns no shards
 * and runs no workloads; it listens on no port.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerClient: (options?: Options) => Layer.Layer<HostCluster | Health.Registry, ConfigurationError, ApplicationLifetime> =
  internal.layer("client")

/**
 * One process owning every shard: messages in SQL (durable across restarts), no socket, no
 * runner table. Exactly one such process per database — two would both run everything.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerSingle: (options?: Options) => Layer.Layer<HostCluster | Health.Registry, ConfigurationError, ApplicationLifetime> =
  internal.layer("single")

/**
 * Everything in memory (`@effect/cluster`'s test runner): for tests of cluster workloads, also
 * under `TestClock` (the cluster's polls and `DeliverAt` times follow the `Clock`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTest: (options?: Options) => Layer.Layer<HostCluster | Health.Registry, ConfigurationError, ApplicationLifetime> =
  internal.layer("test")

/**
 * Registers a layer that needs `Sharding` (an `Entity`'s `toLayer`, a `Singleton`, a
 * `ClusterCron`) with the member, which builds it when it joins and releases it when it leaves.
 * Its other requirements come from the services listed before it.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * ```ts
 * import { Singleton } from "@effect/cluster"
 * import { Host } from "effect-host"
 * import { HostCluster } from "effect-host/cluster"
 * import { Effect } from "effect"
 *
 * const Leader = HostCluster.workload("Leader", Singleton.make("leader", Effect.log("leading")))
 * Host.launch([HostCluster.layer(), Leader])
 * ```
 */
export const workload: <E, R>(
  name: string,
  layer: Layer.Layer<never, E, R>
) => Layer.Layer<never, never, HostCluster | Exclude<R, Sharding.Sharding>> = internal.workload

/**
 * The member's `Sharding`, once it joined (waits for the join).
 *
 * @since 0.2.0
 * @category accessors
 */
export const sharding: Effect.Effect<Sharding.Sharding["Type"], ClusterNotRunningError, HostCluster> = internal.sharding

/**
 * The member's state, address, storage, owned shards and live runners.
 *
 * @since 0.2.0
 * @category accessors
 */
export const status: Effect.Effect<Status, never, HostCluster> = internal.status

/**
 * The readiness check's test, for a check of your own: fails with `ClusterMembershipError`
 * unless the member joined, is not leaving, and (a runner) has a fresh, healthy row in the runner
 * table.
 *
 * @since 0.2.0
 * @category accessors
 */
export const membership: (member: Service) => Effect.Effect<void, ClusterMembershipError> = internal.membership

/**
 * The SQLite client the cluster uses by default: `@effect/sql-sqlite-node` on `filename`, with
 * transactions that begin with `BEGIN IMMEDIATE` (so a writer waits up to `busyTimeout` for the
 * write lock instead of failing with "database is locked"), WAL and `synchronous = NORMAL`. Give
 * it as `sql` to share one file between the cluster and your own tables.
 *
 * @since 0.2.0
 * @category layers
 */
export const sqlite: (options: {
  readonly filename: string
  /** Default 5 seconds. */
  readonly busyTimeout?: Duration.DurationInput | undefined
}) => Layer.Layer<SqlClient.SqlClient, SqlError.SqlError | ClusterDriverMissingError> = sql.sqliteImmediate

/**
 * The PostgreSQL advisory lock key under which runners migrate the cluster tables.
 *
 * @since 0.2.0
 * @category constants
 */
export const migrationLockKey: number = runner.migrationLockKey

/**
 * Joining failed (after the retries of a transient failure); the host's start fails and rolls
 * back.
 *
 * @since 0.2.0
 * @category errors
 */
export const ClusterJoinError: typeof errors.ClusterJoinError = errors.ClusterJoinError

/**
 * @since 0.2.0
 * @category errors
 */
export type ClusterJoinError = errors.ClusterJoinError

/**
 * The storage's driver package (`@effect/sql-sqlite-node`, `@effect/sql-pg`) is not installed.
 *
 * @since 0.2.0
 * @category errors
 */
export const ClusterDriverMissingError: typeof errors.ClusterDriverMissingError = errors.ClusterDriverMissingError

/**
 * @since 0.2.0
 * @category errors
 */
export type ClusterDriverMissingError = errors.ClusterDriverMissingError

/**
 * A workload's layer failed to build: when the member joined, or at once when it was added after
 * the join. `workload` names it, `error` is what its layer failed with.
 *
 * @since 0.2.0
 * @category errors
 */
export const WorkloadError: typeof errors.WorkloadError = errors.WorkloadError

/**
 * @since 0.2.0
 * @category errors
 */
export type WorkloadError = errors.WorkloadError

/**
 * The cluster is not running on this process (not joined and will not, or left).
 *
 * @since 0.2.0
 * @category errors
 */
export const ClusterNotRunningError: typeof errors.ClusterNotRunningError = errors.ClusterNotRunningError

/**
 * @since 0.2.0
 * @category errors
 */
export type ClusterNotRunningError = errors.ClusterNotRunningError

/**
 * Why the readiness check `cluster` is unhealthy.
 *
 * @since 0.2.0
 * @category errors
 */
export const ClusterMembershipError: typeof errors.ClusterMembershipError = errors.ClusterMembershipError

/**
 * @since 0.2.0
 * @category errors
 */
export type ClusterMembershipError = errors.ClusterMembershipError
