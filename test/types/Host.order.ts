/**
 * Type tests, checked by `tsc --noEmit` (part of `npm test`): `Host.launch`/`Host.make`/
 * `TestHost.start` read the list in order. A `@ts-expect-error` that stops erroring fails the
 * typecheck, so the rejected orders stay rejected.
 */
import { Config, Context, Effect, Layer, type Scope } from "effect"
import { ApplicationLifetime, type ConfigurationError, Host, HostedService, type HostError } from "effect-host"
import { TestHost } from "effect-host/testing"
import { expectTypeOf } from "vitest"

class Cache extends Context.Tag("types/Cache")<Cache, { readonly get: Effect.Effect<string> }>() {}
class Db extends Context.Tag("types/Db")<Db, { readonly query: Effect.Effect<number> }>() {}

const CacheLive = Layer.succeed(Cache, { get: Effect.succeed("hit") })
const DbLive = Layer.succeed(Db, { query: Effect.succeed(1) })
/** Needs the cache. */
const Worker = HostedService.make("Worker", { start: Effect.flatMap(Cache, (cache) => cache.get) })
/** Needs the database and the host's lifetime (which the host provides). */
const Reporter = HostedService.make("Reporter", {
  start: Effect.flatMap(Db, (db) => db.query),
  stop: ApplicationLifetime.stopApplication
})

// Accepted: providers first. Nothing is left for the caller.
const _right = Host.launch([CacheLive, Worker])
expectTypeOf<Effect.Effect.Context<typeof _right>>().toEqualTypeOf<never>()
const _rightLayer = Host.make([CacheLive, DbLive, Worker, Reporter])
expectTypeOf<Layer.Layer.Context<typeof _rightLayer>>().toEqualTypeOf<never>()
expectTypeOf<Layer.Layer.Success<typeof _rightLayer>>().toEqualTypeOf<Host.Provided | Cache | Db>()

// Accepted: what no member provides is the caller's, and the compiler says what.
const open = Host.launch([Worker, Reporter])
expectTypeOf<Effect.Effect.Context<typeof open>>().toEqualTypeOf<Cache | Db>()
Effect.provide(open, Layer.merge(CacheLive, DbLive)) satisfies Effect.Effect<void, unknown, never>

// Accepted: a single service, and an empty list.
expectTypeOf<Effect.Effect.Context<ReturnType<typeof Host.launch<typeof Worker>>>>().toEqualTypeOf<Cache>()
expectTypeOf<Effect.Effect.Context<ReturnType<typeof Host.launch<readonly []>>>>().toEqualTypeOf<never>()

// Rejected: Worker needs Cache, which only a service listed after it provides.
// @ts-expect-error the list is in the wrong order
Host.launch([Worker, CacheLive])
// @ts-expect-error the same for the host as a layer
Host.make([DbLive, Worker, Reporter, CacheLive])
// @ts-expect-error and for TestHost
TestHost.start([Reporter, DbLive])

// A plain array's order is unknown to the compiler: no member counts as provided to another.
const _list: Array<typeof CacheLive | typeof Worker> = [CacheLive, Worker]
expectTypeOf<Effect.Effect.Context<ReturnType<typeof Host.launch<typeof _list>>>>().toEqualTypeOf<Cache>()
// Unannotated, the same array is typed by one element type: TypeScript's subtype reduction
// drops CacheLive (a Layer<Cache> is a subtype of a layer that needs Cache). So only `Cache`, for
// the caller, is left: the README's reason to write `as const`.
const _plain = [CacheLive, Worker]
expectTypeOf<Effect.Effect.Context<ReturnType<typeof Host.launch<typeof _plain>>>>().toEqualTypeOf<Cache>()
// `as const` keeps the order, and then the providers count.
const _listed = [CacheLive, Worker] as const
expectTypeOf<Effect.Effect.Context<ReturnType<typeof Host.launch<typeof _listed>>>>().toEqualTypeOf<never>()

// What the compiler shows for a wrong order: a `WrongOrder` naming the service provided too late.
expectTypeOf<Host.CheckOrder<[typeof Worker, typeof CacheLive]>>().toEqualTypeOf<Host.WrongOrder<Cache>>()
expectTypeOf<Host.CheckOrder<[typeof Reporter, typeof Worker, typeof DbLive, typeof CacheLive]>>()
  .toEqualTypeOf<Host.WrongOrder<Cache | Db>>()
expectTypeOf<Host.CheckOrder<[typeof CacheLive, typeof Worker]>>().toEqualTypeOf<unknown>()

// A misspelt hook next to a real one is rejected (it would never run).
// @ts-expect-error "stpo" is not a hook
HostedService.make("Typo", { start: Effect.void, stpo: Effect.void })
// @ts-expect-error "onStop" is not a hook
HostedService.make("Typo", { started: Effect.void, onStop: Effect.void })
const _allHooks = HostedService.make("All", {
  starting: Effect.void,
  start: Effect.flatMap(Cache, (cache) => cache.get),
  started: Effect.void,
  stopping: Effect.void,
  stop: Effect.void,
  stopped: Effect.void
})
expectTypeOf<Layer.Layer.Context<typeof _allHooks>>().toEqualTypeOf<Cache>()

// A member that reads `Config` while it is built: the host reports its `ConfigError` as a
// `ConfigurationError`, so the error type does not carry `ConfigError`.
const PortLive = Layer.effect(Cache, Effect.map(Config.integer("Cache:Port"), () => ({ get: Effect.succeed("x") })))
const _configured = Host.launch([PortLive, Worker])
expectTypeOf<Effect.Effect.Error<typeof _configured>>().toEqualTypeOf<HostError.HostError | ConfigurationError>()

// A spread in the list: its members need what is listed before the spread (or the caller).
const workers: ReadonlyArray<typeof Worker> = [Worker]
const _spread = Host.launch([CacheLive, ...workers])
expectTypeOf<Effect.Effect.Context<typeof _spread>>().toEqualTypeOf<never>()
const _spreadMissing = Host.launch([DbLive, ...workers])
expectTypeOf<Effect.Effect.Context<typeof _spreadMissing>>().toEqualTypeOf<Cache>()
const _spreadMiddle = Host.make([CacheLive, ...workers, Reporter])
expectTypeOf<Layer.Layer.Context<typeof _spreadMiddle>>().toEqualTypeOf<Db>()
const _spreadTest = TestHost.start([DbLive, ...workers])
expectTypeOf<Effect.Effect.Context<typeof _spreadTest>>().toEqualTypeOf<Cache | Scope.Scope>()
