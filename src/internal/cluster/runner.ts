/**
 * Building a cluster member from public `@effect/cluster` parts: the SQL client, the storage
 * (migrated under a PostgreSQL advisory lock), and `Sharding` for one of four roles:
 *
 * - `runner`: owns shards, listens on a TCP socket for the other runners (msgpack RPC), pings
 *   them for the health check; `Runners`/`RunnerStorage` in SQL.
 * - `client`: sends to the cluster, owns no shards, listens on nothing.
 * - `single`: one process owns every shard; messages in SQL (durable), runners in memory, no
 *   socket. Exactly one such process per database.
 * - `test`: everything in memory.
 *
 * The sharding configuration is built here from the settings, never from the environment:
 * `ShardingConfig.layerFromEnv` (which `NodeClusterSocket.layer` and `SingleRunner.layer` use)
 * reads `HOST`, `PORT`, `SHARD_LOCK_EXPIRATION` … in constant case, and an application's own
 * `PORT` would move the runner (or fail it, when not an integer).
 *
 * @internal
 */
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as RunnerStorage from "@effect/cluster/RunnerStorage"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as net from "node:net"
import type { Settings } from "./config.js"
import * as Sql from "./sql.js"

/**
 * The key of the session-level advisory lock under which a PostgreSQL runner migrates the
 * cluster tables. Two runners starting at the same instant on an empty database otherwise both
 * `CREATE TABLE` (the Migrator checks `'cluster_migrations'::regclass` first; `IF NOT EXISTS` is
 * not safe under concurrency in PostgreSQL) and one dies with `relation … already exists` or
 * `duplicate key value violates unique constraint "pg_type_typname_nsp_index"` (measured: 2 and
 * 6 of 10 starts; with the lock 0 of 10).
 */
export const migrationLockKey = 0x0c1a5e12

/** What a built member gives the rest of the cluster code. */
export interface Built {
  /** `Sharding` and what it was built with: `MessageStorage`, `Runners`, `ShardingConfig`. */
  readonly context: Context.Context<Sharding.Sharding | MessageStorage.MessageStorage | ShardingConfig.ShardingConfig>
  readonly sharding: Sharding.Sharding["Type"]
  /** The runner table, for the readiness check (runners in SQL only). */
  readonly runnerStorage: Option.Option<RunnerStorage.RunnerStorage["Type"]>
  /** This runner's address (`None` for a client). */
  readonly runnerAddress: Option.Option<RunnerAddress.RunnerAddress>
  /** How this member shows in logs: `host:port`, or the role. */
  readonly label: string
}

/** A free TCP port on `host` (the OS picks it; a runner that loses it to a race retries). */
export const freePort = (host: string): Effect.Effect<number, Error> =>
  Effect.async<number, Error>((resume) => {
    const server = net.createServer()
    server.once("error", (error) => resume(Effect.fail(error)))
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(port === 0 ? Effect.fail(new Error(`no free port on ${host}`)) : Effect.succeed(port)))
    })
  })

/** The sharding configuration of `settings` for this address. */
export const shardingConfigOf = (
  settings: Settings,
  runnerAddress: Option.Option<RunnerAddress.RunnerAddress>,
  runnerListenAddress: Option.Option<RunnerAddress.RunnerAddress>
): ShardingConfig.ShardingConfig["Type"] => ({
  ...ShardingConfig.defaults,
  runnerAddress,
  runnerListenAddress,
  shardsPerGroup: settings.shardsPerGroup,
  shardLockExpiration: settings.shardLockExpiration,
  shardLockRefreshInterval: settings.shardLockRefreshInterval,
  refreshAssignmentsInterval: settings.refreshAssignmentsInterval,
  entityMessagePollInterval: settings.entityMessagePollInterval,
  runnerHealthCheckInterval: settings.runnerHealthCheckInterval,
  entityTerminationTimeout: settings.entityTerminationTimeout,
  ...settings.shardingConfig
})

/**
 * The SQL storage (messages and runners), migrated once: on PostgreSQL under a session-level
 * advisory lock held on a reserved connection (see {@link migrationLockKey}); the next runner
 * waits on the lock, then finds every table migrated. SQLite serialises writers by itself.
 */
const sqlStorage = (
  sql: SqlClient.SqlClient,
  config: ShardingConfig.ShardingConfig["Type"],
  scope: Scope.Scope
) => {
  const storages = Layer.mergeAll(SqlMessageStorage.layer, SqlRunnerStorage.layer).pipe(
    Layer.provide(ShardingConfig.layer(config)),
    Layer.provide(Layer.succeed(SqlClient.SqlClient, sql))
  )
  return sql.onDialectOrElse({
    pg: () =>
      Effect.scoped(Effect.gen(function*() {
        const connection = yield* sql.reserve
        yield* Effect.acquireRelease(
          connection.executeRaw(`SELECT pg_advisory_lock(${migrationLockKey})`, []),
          () =>
            connection.executeRaw(`SELECT pg_advisory_unlock(${migrationLockKey})`, []).pipe(
              Effect.catchAllCause((cause) => Effect.logWarning("HostCluster: could not release the migration lock", cause))
            )
        )
        return yield* Layer.buildWithScope(storages, scope)
      })),
    orElse: () => Layer.buildWithScope(storages, scope)
  })
}

/** The SQL client of the settings' storage, built in `scope`. */
const sqlClient = (settings: Settings, scope: Scope.Scope) =>
  Effect.gen(function*() {
    const layer = Sql.layerFor(settings.storage)
    if (layer === undefined) return yield* Effect.dieMessage("HostCluster: this role needs SQL storage")
    const context = yield* Layer.buildWithScope(layer, scope)
    return Context.get(context, SqlClient.SqlClient)
  })

/**
 * Builds the member in `scope` (closing it leaves the cluster: entities stop, the runner
 * unregisters, the shard locks are released, the SQL client closes). `port` is the port to
 * listen on (already picked when the settings say 0).
 */
export const build = (settings: Settings, port: number, scope: Scope.Scope): Effect.Effect<Built, unknown> =>
  Effect.gen(function*() {
    const serialization = RpcSerialization.layerMsgPack
    switch (settings.role) {
      case "runner": {
        const runnerAddress = RunnerAddress.make(settings.host, port)
        const listen = Option.map(settings.listenHost, (host) => RunnerAddress.make(host, port))
        const config = shardingConfigOf(settings, Option.some(runnerAddress), listen)
        const sql = yield* sqlClient(settings, scope)
        const storage = yield* sqlStorage(sql, config, scope)
        const base = Layer.mergeAll(ShardingConfig.layer(config), serialization, Layer.succeedContext(storage))
        const protocol = NodeClusterSocket.layerClientProtocol
        const health = RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(protocol))
        const runner = SocketRunner.layer.pipe(
          Layer.provide([NodeClusterSocket.layerSocketServer, protocol, health]),
          Layer.provideMerge(base)
        )
        const context = yield* Layer.buildWithScope(runner, scope)
        return {
          context,
          sharding: Context.get(context, Sharding.Sharding),
          runnerStorage: Option.some(Context.get(storage, RunnerStorage.RunnerStorage)),
          runnerAddress: Option.some(runnerAddress),
          label: `${settings.host}:${port}`
        }
      }
      case "client": {
        const config = shardingConfigOf(settings, Option.none(), Option.none())
        const sql = yield* sqlClient(settings, scope)
        const storage = yield* sqlStorage(sql, config, scope)
        const base = Layer.mergeAll(ShardingConfig.layer(config), serialization, Layer.succeedContext(storage))
        const client = SocketRunner.layerClientOnly.pipe(
          Layer.provide(NodeClusterSocket.layerClientProtocol),
          Layer.provideMerge(base)
        )
        const context = yield* Layer.buildWithScope(client, scope)
        return {
          context,
          sharding: Context.get(context, Sharding.Sharding),
          runnerStorage: Option.none(),
          runnerAddress: Option.none(),
          label: "client"
        }
      }
      case "single":
      case "test": {
        const runnerAddress = RunnerAddress.make(settings.host, port)
        const config = shardingConfigOf(settings, Option.some(runnerAddress), Option.none())
        const messages = settings.role === "single"
          ? Layer.unwrapEffect(Effect.map(
            sqlClient(settings, scope),
            (sql) =>
              SqlMessageStorage.layer.pipe(
                Layer.provide(ShardingConfig.layer(config)),
                Layer.provide(Layer.succeed(SqlClient.SqlClient, sql))
              )
          ))
          : MessageStorage.layerMemory.pipe(Layer.provide(ShardingConfig.layer(config)))
        const member = Sharding.layer.pipe(
          Layer.provideMerge(Runners.layerNoop),
          Layer.provideMerge(messages),
          Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
          Layer.provideMerge(ShardingConfig.layer(config))
        )
        const context = yield* Layer.buildWithScope(member, scope)
        return {
          context,
          sharding: Context.get(context, Sharding.Sharding),
          runnerStorage: Option.none(),
          runnerAddress: Option.some(runnerAddress),
          label: settings.role
        }
      }
    }
  })
