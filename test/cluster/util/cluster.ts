/**
 * Helpers for the cluster tests: temporary directories, a fresh PostgreSQL database per test
 * (on the server of test/cluster/setup/postgres.ts or .ci/run), and hosts built in a scope of
 * the test's own with the live clock (the cluster's polls and leases run on real time).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { Host } from "effect-host"
import { tempDir as makeTempDir } from "../../util/tempDir.js"

/** A fresh directory (a SQLite file's, a content root), removed after the test file. */
export const tempDir = (prefix = "effect-host-cluster-"): string => makeTempDir(prefix)

/** The PostgreSQL server's URL (database `postgres`), or undefined when there is none. */
export const postgresUrl: string | undefined = process.env["EFFECT_HOST_POSTGRES_URL"]

/** `describe`, or `describe.skip` with the reason in its name when there is no PostgreSQL. */
export const describePostgres = (name: string, body: () => void) =>
  postgresUrl === undefined
    ? describe.skip(`${name} (skipped: ${process.env["EFFECT_HOST_POSTGRES_SKIP"] ?? "EFFECT_HOST_POSTGRES_URL is not set"})`, body)
    : describe(name, body)

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

let counter = 0

/** Runs `statement` on the server's `postgres` database. */
export const adminQuery = (statement: string) =>
  Effect.gen(function*() {
    if (postgresUrl === undefined) return yield* Effect.dieMessage("no PostgreSQL server")
    const sql = yield* SqlClient.SqlClient
    return yield* sql.unsafe(statement)
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(postgresUrl ?? ""), maxConnections: 1 })),
    Effect.orDie
  )

/** A new, empty database on the test server; its URL. */
export const freshDatabase = (prefix: string) =>
  Effect.gen(function*() {
    if (postgresUrl === undefined) return yield* Effect.dieMessage("no PostgreSQL server")
    const name = `eh_${prefix}_${process.pid}_${Date.now()}_${counter++}`.toLowerCase().replace(/[^a-z0-9_]/g, "_")
    yield* adminQuery(`CREATE DATABASE ${name}`)
    return withDatabase(postgresUrl, name)
  })

/** Queries a database of the test server. */
export const queryDatabase = <A extends object = Record<string, unknown>>(url: string, statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return (yield* sql.unsafe(statement)) as ReadonlyArray<A>
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)

/** Host options for a test: its own content root, nothing read from the process, quiet logs. */
export const hostOptions = (
  values: Readonly<Record<string, unknown>> = {},
  options: Host.Options = {}
): Host.Options => ({
  shutdownTimeout: "10 seconds",
  ...options,
  configuration: {
    env: {},
    args: [],
    contentRoot: tempDir(),
    values: { "Logging:LogLevel:Default": "Warning", ...values }
  }
})

/** A host built in a scope of its own: started when this returns, stopped by `stop`. */
export const startHost = <const S extends Host.Services>(services: S, options: Host.Options) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(Host.make(services, options), scope).pipe(
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    return { context, stop: Scope.close(scope, Exit.void) }
  })
