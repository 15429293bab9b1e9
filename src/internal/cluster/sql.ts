/**
 * The SQL clients the cluster stores its messages and runners in: SQLite (one machine, any
 * number of processes) and PostgreSQL (many machines). Their driver packages are optional peer
 * dependencies, loaded when a cluster that needs one joins: an application on PostgreSQL does not
 * need better-sqlite3 installed, and one on SQLite does not need pg.
 *
 * @internal
 */
import type * as Reactivity from "@effect/experimental/Reactivity"
import type * as Connection from "@effect/sql/SqlConnection"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import * as Cause from "effect/Cause"
import type { ConfigError } from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Storage } from "./config.js"
import { ClusterDriverMissingError, type StorageKind } from "./errors.js"

const load = <M>(storage: StorageKind, packageName: string, importer: () => Promise<M>) =>
  Effect.tryPromise({
    try: importer,
    catch: (error) => new ClusterDriverMissingError({ storage, packageName, cause: Cause.fail(error) })
  })

const loadReactivity = (storage: StorageKind) =>
  load(storage, "@effect/experimental", (): Promise<typeof Reactivity> => import("@effect/experimental/Reactivity"))

const begin = "BEGIN IMMEDIATE"
const rollback = "ROLLBACK"

/**
 * The connection of one transaction, unchanged except that a `ROLLBACK` after a `BEGIN` that
 * failed is not sent. `@effect/sql` rolls back whenever a transaction's effect fails, the `BEGIN`
 * included; a `BEGIN IMMEDIATE` that found the database locked leaves no transaction, SQLite
 * fails that `ROLLBACK` ("cannot rollback - no transaction is active"), and that error (a defect)
 * would replace the one that matters, "database is locked", which the callers retry. The
 * connection is the transaction's alone while it is held (the client's semaphore), so the flag
 * is the transaction's.
 */
const withoutRollbackAfterFailedBegin = (connection: Connection.Connection): Connection.Connection => {
  let began = false
  return {
    ...connection,
    executeUnprepared: (sql, params, transformRows) => {
      if (sql === begin) {
        return Effect.tap(connection.executeUnprepared(sql, params, transformRows), () => {
          began = true
        })
      }
      if (sql === rollback && !began) return Effect.succeed([])
      return connection.executeUnprepared(sql, params, transformRows)
    }
  }
}

/**
 * The SQLite client of the cluster: `@effect/sql-sqlite-node`'s client on `filename`, whose
 * transactions begin with `BEGIN IMMEDIATE` instead of a plain (deferred) `BEGIN`.
 *
 * Why: the cluster's storage transactions read, then write. With a deferred `BEGIN`, a process
 * whose read snapshot went stale because another process committed in between cannot upgrade
 * to a writer, and SQLite fails that at once with SQLITE_BUSY ("database is locked") without
 * waiting for the busy timeout — measured with two runners and a producer on one file: 30 of 600
 * sends failed. `BEGIN IMMEDIATE` takes the write lock up front, waiting up to `busyTimeout`
 * for it: 0 failures, and twice the send rate.
 *
 * How: `SqliteClient.make` has no option for the statement that begins a transaction, so the
 * client is made again with `SqlClient.make` (public API of `@effect/sql`) around the SQLite
 * client's own connection: `reserve` (its single connection behind its semaphore, held for a
 * transaction's scope, exactly as the SQLite client itself does), the SQLite statement compiler,
 * and `beginTransaction: "BEGIN IMMEDIATE"` (with the connection of a transaction wrapped so that a
 * failed `BEGIN IMMEDIATE` is not followed by a `ROLLBACK`: see `withoutRollbackAfterFailedBegin`). Also set: WAL (the client's default),
 * `busy_timeout` and `synchronous = NORMAL` (safe with WAL; a commit does not wait for fsync of
 * the WAL). better-sqlite3 is synchronous: a busy wait blocks the event loop up to `busyTimeout`.
 *
 * Tested in test/cluster/sqlite.test.ts on real SQLite files (a second connection cannot write
 * while a transaction of this client is open; with the plain client the same interleaving fails
 * the transaction).
 */
export const sqliteImmediate = (options: {
  readonly filename: string
  readonly busyTimeout?: Duration.DurationInput | undefined
}): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError | ClusterDriverMissingError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const SqliteClient = yield* load(
      "sqlite",
      "@effect/sql-sqlite-node",
      () => import("@effect/sql-sqlite-node/SqliteClient")
    )
    const ReactivityModule = yield* loadReactivity("sqlite")
    return Layer.scoped(
      SqlClient.SqlClient,
      Effect.gen(function*() {
        yield* Effect.sync(() => fs.mkdirSync(path.dirname(options.filename), { recursive: true }))
        const base = yield* SqliteClient.make({ filename: options.filename })
        const busyTimeout = Duration.decode(options.busyTimeout ?? Duration.seconds(5))
        yield* base.unsafe(`PRAGMA busy_timeout = ${Math.round(Duration.toMillis(busyTimeout))}`)
        yield* base.unsafe("PRAGMA synchronous = NORMAL")
        return yield* SqlClient.make({
          acquirer: Effect.scoped(base.reserve),
          transactionAcquirer: Effect.map(base.reserve, withoutRollbackAfterFailedBegin),
          compiler: Statement.makeCompilerSqlite(),
          beginTransaction: begin,
          rollback,
          spanAttributes: [["db.system.name", "sqlite"]]
        })
      })
    ).pipe(Layer.provide(ReactivityModule.layer))
  }))

/** The PostgreSQL client of the cluster (`@effect/sql-pg`). */
export const postgres = (
  url: Redacted.Redacted
): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError | ClusterDriverMissingError | ConfigError> =>
  Layer.unwrapEffect(Effect.map(
    load("postgres", "@effect/sql-pg", () => import("@effect/sql-pg/PgClient")),
    (PgClient) => PgClient.layer({ url, maxConnections: 10, applicationName: "effect-host-cluster" })
  ))

/** The client for the configured storage (none for the in-memory test cluster). */
export const layerFor = (storage: Storage): Layer.Layer<SqlClient.SqlClient, unknown> | undefined => {
  switch (storage.kind) {
    case "sqlite":
      return sqliteImmediate(storage)
    case "postgres":
      return postgres(storage.url)
    case "provided":
      return storage.layer
    case "memory":
      return undefined
  }
}
