/**
 * The cluster's SQLite client (`HostCluster.sqlite`): transactions begin with BEGIN IMMEDIATE.
 * Observable on real files with a second connection, as a second process would hold it:
 * - while a transaction of this client is open, the other connection cannot write (the write
 *   lock was taken at BEGIN); with the plain client it can, and the transaction's own write then
 *   fails with "database is locked" (a stale read snapshot cannot be upgraded);
 * - when the other connection holds the write lock, the transaction fails with "database is
 *   locked" (the error its callers retry), not with the error of a ROLLBACK of a transaction that
 *   never began.
 */
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Fiber, Layer } from "effect"
import { HostCluster } from "effect-host/cluster"
import * as path from "node:path"
import { tempDir } from "./util/cluster.js"

const clientOf = <E>(layer: Layer.Layer<SqlClient.SqlClient, E>) => Effect.flatMap(Layer.build(layer), (ctx) => Effect.provide(SqlClient.SqlClient, ctx))

/**
 * A transaction that reads, lets `between` run on another connection, then writes. `between`
 * runs outside the transaction's context (`@effect/sql` finds the transaction's connection in
 * the context, whichever client runs a statement).
 */
const readThenWrite = <E>(sql: SqlClient.SqlClient, between: Effect.Effect<void, E>) =>
  sql.withTransaction(Effect.gen(function*() {
    yield* sql.unsafe("SELECT count(*) FROM t")
    yield* Effect.mapInputContext(between, (context: Context.Context<never>) => Context.omit(SqlClient.TransactionConnection)(context))
    yield* sql.unsafe("INSERT INTO t (v) VALUES ('mine')")
  }))

describe("HostCluster.sqlite: transactions begin with BEGIN IMMEDIATE", () => {
  it.scopedLive("another connection cannot write during the transaction; with the plain client the transaction fails", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "t.db")
      const immediate = yield* clientOf(HostCluster.sqlite({ filename, busyTimeout: Duration.millis(20) }))
      const other = yield* clientOf(SqliteClient.layer({ filename }))
      yield* other.unsafe("PRAGMA busy_timeout = 0")
      yield* other.unsafe("CREATE TABLE t (v TEXT)")

      // This client: the other connection's write is refused while the transaction is open,
      // and the transaction commits.
      const refused: Array<string> = []
      yield* readThenWrite(
        immediate,
        other.unsafe("INSERT INTO t (v) VALUES ('theirs')").pipe(
          Effect.catchAll((error) => Effect.sync(() => void refused.push(String(error.cause))))
        )
      )
      expect(refused).toHaveLength(1)
      expect(refused[0]).toContain("database is locked")
      expect(yield* other.unsafe<{ v: string }>("SELECT v FROM t")).toEqual([{ v: "mine" }])

      // The plain client (deferred BEGIN): the other connection writes in between, and the
      // transaction's own write fails at once although the other connection is idle again.
      const plain = yield* clientOf(SqliteClient.layer({ filename }))
      yield* plain.unsafe("PRAGMA busy_timeout = 1000")
      const error = yield* Effect.flip(readThenWrite(plain, Effect.asVoid(other.unsafe("INSERT INTO t (v) VALUES ('theirs')"))))
      expect(String(error.cause)).toMatch(/database is locked|SQLITE_BUSY/)
    }))

  it.scopedLive("a transaction that cannot take the write lock fails with \"database is locked\"", () =>
    Effect.gen(function*() {
      const filename = path.join(tempDir(), "t.db")
      const immediate = yield* clientOf(HostCluster.sqlite({ filename, busyTimeout: Duration.millis(20) }))
      const other = yield* clientOf(SqliteClient.layer({ filename }))
      yield* other.unsafe("CREATE TABLE t (v TEXT)")
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(other.withTransaction(Effect.gen(function*() {
        yield* other.unsafe("INSERT INTO t (v) VALUES ('theirs')")
        yield* Deferred.succeed(locked, undefined)
        yield* Deferred.await(release)
      })))
      yield* Deferred.await(locked)
      const error = yield* Effect.flip(immediate.withTransaction(immediate.unsafe("INSERT INTO t (v) VALUES ('mine')")))
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      expect(error._tag).toBe("SqlError")
      expect(String(error.cause)).toContain("database is locked")
      // The client is usable afterwards: the next transaction commits.
      yield* immediate.withTransaction(immediate.unsafe("INSERT INTO t (v) VALUES ('mine')"))
      expect((yield* other.unsafe<{ v: string }>("SELECT v FROM t ORDER BY v")).map((r) => r.v)).toEqual(["mine", "theirs"])
    }))
})
