/**
 * HostCluster: a cluster member as a hosted service.
 *
 * - Build: the settings are read and validated (invalid `Cluster:*` keys are reported with every
 *   other invalid option, before any service starts); the member's handle is provided to the
 *   services listed after it, which register their cluster workloads (entities, singletons,
 *   cluster cron jobs) with it.
 * - `start` (after the services listed before it started): the member joins — SQL client,
 *   storage migrated under a lock, `Sharding`, then every registered workload, all in one scope.
 *   A retryable failure (the migration race, a busy SQLite file, a refused connection, a port
 *   lost to another process) closes what was built and tries again, a few times with backoff.
 * - `stop` (before the services listed before it stop): the member leaves, by closing that
 *   scope: entities get `entityTerminationTimeout` to finish their requests (the rest stay
 *   stored and run again elsewhere), the runner unregisters, its shard locks are released so the
 *   other runners take its shards at once, the SQL client closes. Bounded by the shutdown budget.
 * - Readiness: the check `cluster` (tag `ready`) fails until the member joined, from the moment it
 *   leaves, and while its row in the runner table is missing, stale or marked unhealthy.
 *
 * @internal
 */
import type * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as ShardId from "@effect/cluster/ShardId"
import { ShardingConfig as ShardingConfigTag } from "@effect/cluster/ShardingConfig"
import type * as Sharding from "@effect/cluster/Sharding"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type { ApplicationLifetime } from "../../ApplicationLifetime.js"
import type { ConfigurationError } from "../../ConfigurationError.js"
import type * as Health from "../../Health.js"
import type { HostCluster, Options, Service, Status, TypeId as TypeIdType, Workload } from "../../HostCluster.js"
import * as HostOptions from "../config/hostOptions.js"
import { awaitWithin, once } from "../grace.js"
import { currentHostContext, finalizationGrace } from "../hostContext.js"
import { register } from "../hostedService.js"
import * as HealthInternal from "../http/health.js"
import { HostEnvironmentTag } from "../tags.js"
import * as ClusterConfig from "./config.js"
import { ClusterJoinError, ClusterMembershipError, ClusterNotRunningError, type MemberState, WorkloadError } from "./errors.js"
import { isRetryable } from "./retry.js"
import * as Runner from "./runner.js"

export const TypeId: TypeIdType = Symbol.for("effect-host/HostCluster") as TypeIdType

export const HostClusterTag: Context.Tag<HostCluster, HostCluster["Type"]> = Context.GenericTag("effect-host/HostCluster")

/** The retries of a first start: about 15 s in all, then the start fails. */
const joinRetry = Schedule.exponential(Duration.millis(200), 2).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(3))),
  Schedule.intersect(Schedule.recurs(8))
)

/** How long a leave that the shutdown deadline cut short may go on before it is abandoned. */
const leaveGrace = Duration.times(finalizationGrace, 0.8)

/** A cluster member: its settings, state, the workloads to build when it joins, and what it built. */
class Member implements Service {
  readonly [TypeId]: TypeIdType = TypeId
  state: MemberState = "notJoined"
  built: Runner.Built | undefined
  scope: Scope.CloseableScope | undefined
  readonly workloads: Array<Workload> = []

  constructor(
    readonly settings: ClusterConfig.Settings,
    readonly joined: Deferred.Deferred<Runner.Built, ClusterNotRunningError>
  ) {}

  get serviceName(): string {
    return this.settings.name
  }

  get storage(): string {
    return ClusterConfig.describeStorage(this.settings.storage)
  }

  readonly sharding: Effect.Effect<Sharding.Sharding["Type"], ClusterNotRunningError> = Effect.suspend(() => {
    if (this.state === "leaving" || this.state === "left") {
      return Effect.fail(new ClusterNotRunningError({ state: this.state }))
    }
    return Effect.map(Deferred.await(this.joined), (built) => built.sharding)
  })

  readonly currentState: Effect.Effect<MemberState> = Effect.sync(() => this.state)

  readonly status: Effect.Effect<Status> = Effect.suspend(() => {
    const built = this.built
    const base = { state: this.state, storage: this.storage, name: this.serviceName }
    if (built === undefined || this.state !== "joined") {
      return Effect.succeed<Status>({ ...base, address: Option.none(), ownedShards: 0, runners: Option.none() })
    }
    return Effect.gen(this, function*() {
      const config = Context.get(built.context, ShardingConfigTag)
      let owned = 0
      for (const group of config.assignedShardGroups) {
        for (let id = 1; id <= config.shardsPerGroup; id++) {
          if (built.sharding.hasShardId(ShardId.make(group, id))) owned++
        }
      }
      const runners = Option.isNone(built.runnerStorage) ? Option.none<number>() : yield* built.runnerStorage.value.getRunners.pipe(
        Effect.map((rows) => Option.some(rows.length)),
        Effect.catchAllCause((cause) =>
          Effect.as(Effect.logDebug("HostCluster: the runner table could not be read for the status", cause), Option.none<number>())
        )
      )
      return { ...base, address: Option.some(built.label), ownedShards: owned, runners } satisfies Status
    })
  })

  readonly addWorkload = (workload: Workload): Effect.Effect<void, WorkloadError> =>
    Effect.suspend(() => {
      const built = this.built
      const scope = this.scope
      if (this.state === "joined" && built !== undefined && scope !== undefined) {
        // Registered after the join (a layer built later, outside a host): built at once.
        return Effect.asVoid(buildWorkload(workload, built, scope))
      }
      if (this.state === "notJoined" || this.state === "joining") {
        this.workloads.push(workload)
        return Effect.void
      }
      return Effect.dieMessage(`${this.serviceName}: workload ${workload.name} registered after the cluster ${this.state}`)
    })
}

const buildWorkload = (workload: Workload, built: Runner.Built, scope: Scope.Scope) =>
  Layer.buildWithScope(workload.layer.pipe(Layer.provide(Layer.succeedContext(built.context))), scope).pipe(
    Effect.mapErrorCause((cause) => Cause.map(cause, (error) => new WorkloadError({ workload: workload.name, error })))
  )


/** The runner did not show up in the runner table in time. */
class RegistrationError extends Data.TaggedError("RegistrationError")<{ readonly address: string; readonly within: Duration.Duration }> {
  override get message() {
    return `runner ${this.address} did not appear in the runner table within ${Duration.format(this.within)}`
  }
}

/**
 * A runner has joined once its row is in the runner table (the other runners then count it in
 * their shard assignment): `Sharding` registers it from a background loop, so this waits for
 * the row, at most `within`.
 */
const awaitRegistration = (built: Runner.Built, within: Duration.Duration) => {
  if (Option.isNone(built.runnerStorage) || Option.isNone(built.runnerAddress)) return Effect.void
  const storage = built.runnerStorage.value
  const self = built.runnerAddress.value
  const registered = storage.getRunners.pipe(
    Effect.map((rows) => rows.some(([runner]) => Equal.equals(runner.address, self)))
  )
  return registered.pipe(
    Effect.repeat({ until: (found) => found, schedule: Schedule.spaced(Duration.millis(50)) }),
    Effect.timeoutFail({ duration: within, onTimeout: () => new RegistrationError({ address: built.label, within }) }),
    Effect.asVoid
  )
}

const formatMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)

/** The hooks of the member's hosted service. */
const hooks = (member: Member) =>
  Effect.gen(function*() {
    const settings = member.settings
    const name = settings.name

    const attempt = (n: number) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const port = settings.role === "runner" && settings.port === 0
          ? yield* Runner.freePort(Option.getOrElse(settings.listenHost, () => settings.host))
          : settings.port === 0
          ? 34431
          : settings.port
        return yield* Effect.gen(function*() {
          const built = yield* Runner.build(settings, port, scope)
          yield* awaitRegistration(built, settings.shardLockExpiration)
          for (const workload of member.workloads) yield* buildWorkload(workload, built, scope)
          return { built, scope }
        }).pipe(
          Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit))),
          Effect.annotateLogs({ attempt: n })
        )
      })

    const join = Effect.gen(function*() {
      member.state = "joining"
      const startedAt = yield* Clock.currentTimeMillis
      let attempts = 0
      const exit = yield* Effect.suspend(() => attempt(++attempts)).pipe(
        Effect.sandbox,
        Effect.tapError((cause) =>
          isRetryable(cause)
            ? Effect.logWarning(`${name}: joining failed (attempt ${attempts}), trying again`, cause)
            : Effect.void
        ),
        Effect.retry({ while: isRetryable, schedule: joinRetry }),
        Effect.exit
      )
      if (Exit.isFailure(exit)) {
        // The sandboxed cause of the last attempt (or the interruption of the start itself).
        const cause = Cause.flatten(exit.cause)
        member.state = "failed"
        const notRunning = new ClusterNotRunningError({ state: "failed", cause })
        yield* Deferred.fail(member.joined, notRunning)
        if (Cause.isInterruptedOnly(cause)) return yield* Effect.failCause(cause)
        const address = settings.role === "runner" ? `${settings.host}:${settings.port === 0 ? "(free port)" : settings.port}` : settings.role
        return yield* Effect.fail(
          new ClusterJoinError({ address, storage: ClusterConfig.storageKind(settings.storage), attempts, cause })
        )
      }
      member.built = exit.value.built
      member.scope = exit.value.scope
      member.state = "joined"
      yield* Deferred.succeed(member.joined, exit.value.built)
      const elapsed = (yield* Clock.currentTimeMillis) - startedAt
      yield* Effect.logInfo(
        `${name}: joined the cluster as ${exit.value.built.label} (${member.storage}; ` +
          `${member.workloads.length} workload(s)) in ${formatMs(elapsed)}`
      )
    }).pipe(Effect.annotateLogs({ service: name }))

    /** Closes the member's scope in a fiber of its own, so that the stop can be interrupted. */
    const closeScope = Effect.suspend(() => {
      const scope = member.scope
      member.scope = undefined
      if (scope === undefined) return Effect.succeed(undefined)
      return Effect.map(Effect.forkDaemon(Scope.close(scope, Exit.void)), (fiber) => fiber)
    })

    let closing: Fiber.RuntimeFiber<void> | undefined

    const leave = Effect.gen(function*() {
      if (member.state !== "joined") return
      member.state = "leaving"
      const startedAt = yield* Clock.currentTimeMillis
      closing = yield* closeScope
      if (closing !== undefined) yield* Fiber.join(closing)
      member.state = "left"
      const elapsed = (yield* Clock.currentTimeMillis) - startedAt
      yield* Effect.logInfo(`${name}: left the cluster in ${formatMs(elapsed)}`)
    }).pipe(
      Effect.onInterrupt(() => cutOffOnce),
      Effect.annotateLogs({ service: name })
    )

    /**
     * The shutdown deadline cut the leave short, or the stop never reached this service (the
     * layer is released): the scope is closed if it still is open, and the leave is given
     * `leaveGrace` (real time) before the host moves on. A runner abandoned that way leaves its
     * shard locks to expire (`Cluster:ShardLockExpirationSeconds`); its stored messages are safe.
     */
    const cutOff = Effect.gen(function*() {
      if (member.state === "notJoined" || member.state === "joining") {
        yield* Deferred.fail(member.joined, new ClusterNotRunningError({ state: "left" }))
      }
      const fiber = closing ?? (yield* closeScope)
      if (fiber === undefined) return
      member.state = member.state === "failed" ? "failed" : "leaving"
      if (yield* awaitWithin(Fiber.await(fiber), leaveGrace)) {
        member.state = "left"
        return
      }
      yield* Effect.logWarning(
        `${name}: the leave was cut short; the other runners take this runner's shards once its locks ` +
          `expire (${Duration.format(settings.shardLockExpiration)})`
      )
    }).pipe(Effect.annotateLogs({ service: name }))

    // Once: the interrupted leave and the layer's release both come here, and the leave is given
    // its grace once. Not the engine's concurrent cut-off at the deadline (no `cutOff` in the
    // registration): what the other services do when cut off (a queue's onUnprocessed handing
    // its tasks to a DurableTaskQueue) may still need the runner, so it leaves after them.
    const cutOffOnce = yield* once(cutOff)
    yield* Effect.addFinalizer(() => cutOffOnce)
    return { start: join, stop: leave }
  })

/** The readiness check: joined, not leaving, and (runners in SQL) registered and healthy. */
export const membership = (member: Service): Effect.Effect<void, ClusterMembershipError> =>
  Effect.suspend(() => {
    if (!(member instanceof Member)) return Effect.void
    const label = member.built?.label ?? member.settings.role
    const fail = (reason: string, cause?: Cause.Cause<unknown>) =>
      Effect.fail(new ClusterMembershipError({ address: label, reason, cause }))
    const built = member.built
    if (member.state !== "joined" || built === undefined) {
      return fail(member.state === "failed" ? "joining the cluster failed" : `not a member of the cluster (${member.state})`)
    }
    return Effect.gen(function*() {
      if (yield* built.sharding.isShutdown) return yield* fail("leaving the cluster")
      if (Option.isNone(built.runnerStorage) || Option.isNone(built.runnerAddress)) return
      const self: RunnerAddress.RunnerAddress = built.runnerAddress.value
      const rows = yield* built.runnerStorage.value.getRunners.pipe(
        Effect.catchAllCause((cause) => fail("the runner table could not be read", cause))
      )
      const row = rows.find(([runner]) => Equal.equals(runner.address, self))
      if (row === undefined) {
        return yield* fail(
          "not registered in the runner table: its heartbeat is older than the shard lock expiration " +
            `(${Duration.format(member.settings.shardLockExpiration)}), or it was removed`
        )
      }
      if (!row[1]) return yield* fail("marked unhealthy: the other runners could not reach it")
    })
  })

/** HostCluster's layer for one role. */
export const layer = (role: ClusterConfig.Role) =>
(options: Options = {}): Layer.Layer<HostCluster | Health.Registry, ConfigurationError, ApplicationLifetime> => {
  const memberLayer = Layer.scoped(
    HostClusterTag,
    Effect.gen(function*() {
      const host = yield* FiberRef.get(currentHostContext)
      const environment = yield* Effect.serviceOption(HostEnvironmentTag)
      const settings = yield* ClusterConfig.resolve(role, options, {
        contentRoot: Option.match(environment, { onNone: () => process.cwd(), onSome: (env) => env.contentRootPath }),
        shutdownTimeout: Option.match(host, {
          onNone: () => HostOptions.defaults.shutdownTimeout,
          onSome: (h) => h.options.shutdownTimeout
        })
      })
      const member = new Member(settings, yield* Deferred.make<Runner.Built, ClusterNotRunningError>())
      yield* Layer.buildWithScope(register(settings.name, () => hooks(member)), yield* Effect.scope)
      return member
    })
  )
  const withHealth = options.health === false
    ? Layer.merge(memberLayer, HealthInternal.layer)
    : HealthInternal.check("cluster", Effect.flatMap(HostClusterTag, membership), { tags: ["ready"] }).pipe(
      Layer.provideMerge(memberLayer)
    )
  return withHealth
}

/** `HostCluster.workload`: a layer that needs `Sharding`, built when the member joins. */
export const workload = <E, R>(
  name: string,
  workloadLayer: Layer.Layer<never, E, R>
): Layer.Layer<never, never, HostCluster | Exclude<R, Sharding.Sharding>> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const member = yield* HostClusterTag
    const context = yield* Effect.context<Exclude<R, Sharding.Sharding>>()
    // Sharding (and what it was built with) comes from the member when it joins; the rest from here.
    const provided = workloadLayer.pipe(Layer.provide(Layer.succeedContext(context))) as Layer.Layer<never, unknown, Sharding.Sharding>
    yield* Effect.orDie(member.addWorkload({ name, layer: provided }))
  }))

export const sharding: Effect.Effect<Sharding.Sharding["Type"], ClusterNotRunningError, HostCluster> = Effect.flatMap(
  HostClusterTag,
  (member) => member.sharding
)

export const status: Effect.Effect<Status, never, HostCluster> = Effect.flatMap(HostClusterTag, (member) => member.status)
