/**
 * HostCluster in one process, on real storage: a SQLite file and a PostgreSQL database. It joins
 * in the host's start (its row in the runner table, the shards it takes), reports its membership
 * in readiness, leaves in the stop (row and shard locks gone, so other runners take over at
 * once), and validates its `Cluster:*` keys before any service starts.
 */
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, type Context, Duration, Effect, Exit, Option, Schedule } from "effect"
import { ConfigurationError, type Host, HostedService } from "effect-host"
import { HostCluster } from "effect-host/cluster"
import { Health } from "effect-host/http"
import * as path from "node:path"
import { describePostgres, freshDatabase, hostOptions, queryDatabase, startHost, tempDir } from "./util/cluster.js"

/** Rows of a SQLite file, read through a connection of its own (as another process would). */
const sqliteRows = (filename: string, statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.unsafe<Record<string, unknown>>(statement)
  }).pipe(Effect.provide(SqliteClient.layer({ filename })), Effect.orDie)

const eventually = <A, E>(check: Effect.Effect<A, E>, timeout: Duration.DurationInput = "15 seconds") =>
  check.pipe(Effect.retry(Schedule.spaced("100 millis")), Effect.timeout(timeout))

const readiness = (context: Context.Context<Health.Registry>) =>
  Effect.map(Effect.provide(Health.report("ready"), context), (report) => report.checks.find((c) => c.name === "cluster"))

describe("HostCluster on SQLite", () => {
  it.scopedLive("joins in the start, reports membership in readiness, leaves in the stop (row and locks gone)", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "cluster.db")
      const { context, stop } = yield* startHost([HostCluster.layer({ sql: { filename } })], hostOptions())
      const status = yield* Effect.provide(HostCluster.status, context)
      expect(status.state).toBe("joined")
      expect(Option.getOrThrow(status.address)).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(status.storage).toBe(`SQLite ${filename}`)
      // Registered before the start returned: another process sees it in the runner table.
      const rows = yield* sqliteRows(filename, "SELECT address FROM cluster_runners")
      expect(rows.map((r) => r["address"])).toEqual([Option.getOrThrow(status.address)])
      // Alone, it takes every shard.
      yield* eventually(Effect.flatMap(Effect.provide(HostCluster.status, context), (s) =>
        s.ownedShards === 300 ? Effect.void : Effect.fail("not yet")))
      expect((yield* readiness(context))?.status).toBe("Healthy")

      yield* stop
      expect(yield* sqliteRows(filename, "SELECT address FROM cluster_runners")).toEqual([])
      expect(yield* sqliteRows(filename, "SELECT shard_id FROM cluster_locks")).toEqual([])
    }))

  it.scopedLive("embedded default: a SQLite file cluster.db in the content root", () =>
    Effect.gen(function*() {
      const options = hostOptions()
      const root = options.configuration !== undefined && options.configuration !== false && "contentRoot" in options.configuration
        ? String(options.configuration.contentRoot)
        : ""
      const { context } = yield* startHost([HostCluster.layer()], options)
      const status = yield* Effect.provide(HostCluster.status, context)
      expect(status.storage).toBe(`SQLite ${path.join(root, "cluster.db")}`)
      expect(yield* sqliteRows(path.join(root, "cluster.db"), "SELECT count(*) AS n FROM cluster_runners")).toEqual([{ n: 1 }])
    }))

  it.scopedLive("readiness names a runner that lost its row, and recovers when the runner registers again", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "cluster.db")
      const { context } = yield* startHost([HostCluster.layer({ sql: { filename } })], hostOptions())
      expect((yield* readiness(context))?.status).toBe("Healthy")
      yield* sqliteRows(filename, "DELETE FROM cluster_runners")
      const lost = yield* readiness(context)
      expect(lost?.status).toBe("Unhealthy")
      expect(lost?.error).toMatch(/ClusterMembershipError: runner 127\.0\.0\.1:\d+: not registered in the runner table/)
      // The runner re-registers at its next assignment refresh (Cluster:RefreshAssignmentsSeconds).
      yield* eventually(Effect.flatMap(readiness(context), (c) => c?.status === "Healthy" ? Effect.void : Effect.fail("not yet")))
    }))

  it.scopedLive("a workload's dependencies start before the join; the workload runs from the join to the leave", () =>
    Effect.gen(function*() {
      const trace: Array<string> = []
      const Db = HostedService.make("Db", {
        start: Effect.sync(() => void trace.push("Db.start")),
        stop: Effect.sync(() => void trace.push("Db.stop"))
      })
      const Work = HostCluster.workload(
        "Work",
        HostedService.scoped(
          "inner",
          Effect.acquireRelease(Effect.sync(() => void trace.push("work.up")), () => Effect.sync(() => void trace.push("work.down")))
        )
      )
      const { stop } = yield* startHost(
        [Db, HostCluster.layer({ sql: { filename: path.join(tempDir(), "c.db") } }), Work],
        hostOptions()
      )
      expect(trace).toEqual(["Db.start", "work.up"])
      yield* stop
      expect(trace).toEqual(["Db.start", "work.up", "work.down", "Db.stop"])
    }))

  it.scopedLive("the single-process and test variants join and leave without a socket or runner table", () =>
    Effect.gen(function*() {
      for (const make of [HostCluster.layerSingle({ sql: { filename: path.join(tempDir(), "s.db") } }), HostCluster.layerTest()]) {
        const { context, stop } = yield* startHost([make], hostOptions())
        const status = yield* Effect.provide(HostCluster.status, context)
        expect(status.state).toBe("joined")
        expect(Option.isNone(status.runners)).toBe(true)
        yield* eventually(Effect.flatMap(Effect.provide(HostCluster.status, context), (s) =>
          s.ownedShards === 300 ? Effect.void : Effect.fail("not yet")))
        expect((yield* readiness(context))?.status).toBe("Healthy")
        yield* stop
        expect((yield* Effect.provide(HostCluster.status, context)).state).toBe("left")
      }
    }))

  it.scopedLive("a storage that cannot be opened fails the start with ClusterJoinError naming the address and storage", () =>
    Effect.gen(function*() {
      // A directory where the database file should be: SQLite cannot open it (not retryable).
      const dir = tempDir()
      const exit = yield* Effect.exit(startHost([HostCluster.layer({ sql: { filename: dir } })], hostOptions()))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(String(error)).toMatch(/HostCluster: joining the cluster as 127\.0\.0\.1:\(free port\) \(storage: sqlite\) failed after 1 attempt/)
    }))
})

describePostgres("HostCluster on PostgreSQL", () => {
  it.scopedLive("joins, takes every shard, reports ready, and leaves with its row and advisory locks released", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase("join")
      const { context, stop } = yield* startHost([HostCluster.layer({ sql: { url } })], hostOptions())
      const status = yield* Effect.provide(HostCluster.status, context)
      expect(status.state).toBe("joined")
      expect(status.storage).toMatch(/^PostgreSQL 127\.0\.0\.1:\d+\/eh_join_/)
      yield* eventually(Effect.flatMap(Effect.provide(HostCluster.status, context), (s) =>
        s.ownedShards === 300 ? Effect.void : Effect.fail("not yet")))
      expect((yield* readiness(context))?.status).toBe("Healthy")
      const locks = (url: string) =>
        queryDatabase(
          url,
          // pg_locks is server-wide: count this database's locks only (other test files hold theirs).
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
      expect((yield* locks(url))[0]).toEqual({ n: 300 })
      yield* stop
      expect(yield* queryDatabase(url, "SELECT address FROM cluster_runners")).toEqual([])
      expect((yield* locks(url))[0]).toEqual({ n: 0 })
    }))

  it.scopedLive("two members joining at the same instant on an empty database both join (migrations under a lock)", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase("race")
      const [a, b] = yield* Effect.all([
        startHost([HostCluster.layer({ sql: { url } })], hostOptions()),
        startHost([HostCluster.layer({ sql: { url } })], hostOptions())
      ], { concurrency: 2 })
      for (const member of [a, b]) expect((yield* Effect.provide(HostCluster.status, member.context)).state).toBe("joined")
      const runners = yield* queryDatabase(url, "SELECT address FROM cluster_runners")
      expect(runners).toHaveLength(2)
    }))
})

describe("HostCluster settings", () => {
  const settingsOf = (values: Record<string, unknown>, options: HostCluster.Options = {}, host: Host.Options = {}) =>
    Effect.gen(function*() {
      const { context } = yield* startHost([HostCluster.layerTest(options)], hostOptions(values, host))
      return (yield* Effect.provide(HostCluster.HostCluster, context)).settings
    })

  it.scopedLive("host defaults: fail-over in about 10 s, termination within the shutdown budget", () =>
    Effect.gen(function*() {
      const settings = yield* settingsOf({})
      expect(Duration.toSeconds(settings.shardLockExpiration)).toBe(10)
      expect(Duration.toSeconds(settings.shardLockRefreshInterval)).toBe(3)
      expect(Duration.toSeconds(settings.refreshAssignmentsInterval)).toBe(1)
      expect(Duration.toSeconds(settings.entityMessagePollInterval)).toBe(1)
      expect(Duration.toSeconds(settings.runnerHealthCheckInterval)).toBe(5)
      // shutdownTimeout 10 s (hostOptions): the larger of half of it and it less 5 s.
      expect(Duration.toSeconds(settings.entityTerminationTimeout)).toBe(5)
      const longer = yield* settingsOf({}, {}, { shutdownTimeout: "60 seconds" })
      expect(Duration.toSeconds(longer.entityTerminationTimeout)).toBe(15)
    }))

  it.scopedLive("Cluster:* keys configure it; code wins over configuration", () =>
    Effect.gen(function*() {
      const settings = yield* settingsOf(
        {
          "Cluster:ShardLockExpirationSeconds": 20,
          "Cluster:ShardLockRefreshSeconds": 4,
          "Cluster:MessagePollSeconds": 0.5,
          "Cluster:Host": "10.0.0.7",
          "Cluster:Port": 35000
        },
        { port: 36000 }
      )
      expect(Duration.toSeconds(settings.shardLockExpiration)).toBe(20)
      expect(Duration.toSeconds(settings.shardLockRefreshInterval)).toBe(4)
      expect(Duration.toMillis(settings.entityMessagePollInterval)).toBe(500)
      expect(settings.host).toBe("10.0.0.7")
      expect(settings.port).toBe(36000)
    }))

  it.scopedLive("every invalid key and option is reported at once, with its source, before any service starts", () =>
    Effect.gen(function*() {
      const started: Array<string> = []
      const exit = yield* Effect.exit(startHost(
        [
          HostedService.make("Before", { start: Effect.sync(() => void started.push("Before")) }),
          HostCluster.layer({ shardsPerGroup: 0 })
        ],
        hostOptions({
          "Cluster:Port": 70000,
          "Cluster:ShardLockRefreshSeconds": 12,
          "Cluster:EntityTerminationTimeoutSeconds": 30,
          "Cluster:Sql:Url": "mysql://nope"
        })
      ))
      expect(started).toEqual([])
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error).toBeInstanceOf(ConfigurationError)
      const keys = (error as ConfigurationError).issues.map((i) => i.key).sort()
      expect(keys).toEqual([
        "Cluster:EntityTerminationTimeoutSeconds",
        "Cluster:Port",
        "Cluster:ShardLockRefreshSeconds",
        "Cluster:Sql:Url",
        "HostCluster: shardsPerGroup"
      ])
      const message = (error as ConfigurationError).message
      expect(message).toContain("must be less than the shard lock expiration (10 s)")
      expect(message).toContain("must leave at least 1 s of the host's shutdownTimeout (10 s)")
    }))
})
