/**
 * Type tests, checked by `tsc --noEmit` (part of `npm test`): types that say what the code does.
 * A `@ts-expect-error` that stops erroring fails the typecheck.
 */
import { Context, Effect, Schema } from "effect"
import { ApplicationLifetime, Host, HostedService, Settings } from "effect-host"
import { HostCluster } from "effect-host/cluster"
import { NodeHost } from "effect-host/node"
import { expectTypeOf } from "vitest"

// A hook's Scope is the host's to give: it is not a requirement of the service (or of the app).
const Pool = HostedService.make("Pool", {
  start: Effect.acquireRelease(Effect.log("open"), () => Effect.log("close")),
  stop: Effect.log("stop")
})
expectTypeOf(Pool).toEqualTypeOf<HostedService.HostedService<never, never>>()
export const runPool = () => Host.launch([Pool]).pipe(NodeHost.runMain)

// The codes runMain ends a process with: 128 + a signal's number, never 128 itself.
const onSigterm: NodeHost.ExitCode = 143
const onSigint: NodeHost.ExitCode = 130
// @ts-expect-error 128 is the base of the signal codes, not a code
const base: NodeHost.ExitCode = 128
export const codes = [onSigterm, onSigint, base]

// A settings schema may decode more than the service declares.
class Db extends Context.Tag("types/truth/Db")<Db, { readonly Port: number }>() {}
export const DbLive = Settings.layer(Db, "Db", Schema.Struct({ Port: Schema.Number, Host: Schema.String }))
// @ts-expect-error a field of the wrong type is still a mismatch
export const DbWrong = Settings.layer(Db, "Db", Schema.Struct({ Port: Schema.String }))

// The cluster's storage is one of PostgreSQL or a SQLite file, not both.
export const both = HostCluster.layer({
  // @ts-expect-error url and filename together: which one would win?
  sql: { url: "postgres://db/app", filename: "cluster.db" }
})
export const sqlite = HostCluster.layer({ sql: { filename: "cluster.db" } })

// A workload that fails to build is named in a typed error.
declare const member: HostCluster.Service
expectTypeOf(member.addWorkload).returns.toEqualTypeOf<Effect.Effect<void, HostCluster.WorkloadError>>()

// A lifetime callback may return anything and fail; one that needs a service the host does not
// provide is rejected, the error naming it ("Type 'Db' is not assignable to type 'never'").
export const callbacks = Effect.flatMap(ApplicationLifetime, (lifetime) =>
  Effect.all([
    lifetime.onStarted(Effect.succeed(42)),
    lifetime.onStopping(Effect.fail("no")),
    // @ts-expect-error Db is not provided to the callback
    lifetime.onStopped(Effect.flatMap(Db, (db) => Effect.succeed(db.Port)))
  ]))
