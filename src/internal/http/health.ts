/**
 * Health checks: a registry shared by every check and endpoint of one host, the lifecycle gate
 * (readiness follows `ApplicationLifetime`), and the run of one probe with per-check timeouts.
 *
 * @internal
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type { ApplicationLifetime } from "../../ApplicationLifetime.js"
import type * as HealthTypes from "../../Health.js"
import type { CheckOptions, Registry } from "../../Health.js"
import { currentHostContext } from "../hostContext.js"
import { ApplicationLifetimeTag } from "../tags.js"
import { prettyCause } from "../writable.js"

/** Which probe a check belongs to (Kubernetes' liveness, readiness and startup probes). */
export type Kind = "live" | "ready" | "startup"

/** The state of the host, as the probes see it. */
export type Lifecycle = "Starting" | "Started" | "Stopping"

export type Status = "Healthy" | "Unhealthy"

export interface Check {
  readonly name: string
  readonly tags: ReadonlyArray<Kind>
  readonly timeout: Duration.Duration
  /** Succeeds when healthy; any failure, defect or the timeout makes the check unhealthy. */
  readonly run: Effect.Effect<unknown, unknown>
}

export interface CheckResult {
  readonly name: string
  readonly status: Status
  readonly durationMs: number
  readonly tags: ReadonlyArray<Kind>
  readonly error?: string
}

export interface Report {
  readonly probe: Kind
  readonly status: Status
  readonly lifecycle: Lifecycle
  readonly durationMs: number
  /** Set when the host's state alone decided the answer (then no check was run). */
  readonly reason?: string
  readonly checks: ReadonlyArray<CheckResult>
}

/** The tag of `Health.Registry`, for internal code (same key). */
export const RegistryTag: Context.Tag<Registry, Registry["Type"]> = Context.GenericTag("effect-host/Health/Registry")

/** The service of `Health.Registry`. */
export type RegistryService = Registry["Type"]

export const RegistryTypeId: HealthTypes.RegistryTypeId = Symbol.for("effect-host/Health/Registry") as HealthTypes.RegistryTypeId

export const defaultTimeout: Duration.Duration = Duration.seconds(5)

const spanOptions = { captureStackTrace: false } as const

/**
 * The registry of one host: its checks, the host's state as the probes see it, and each check's
 * last status (so that only transitions are logged). Everything it knows lives on the value.
 */
class RegistryImpl implements RegistryService {
  readonly [RegistryTypeId]: HealthTypes.RegistryTypeId = RegistryTypeId
  readonly registered: Array<Check> = []
  /** The last status of each check that ran, by name. */
  readonly lastStatus = new Map<string, Status>()
  started = false
  stopping = false

  constructor(
    /** True from the first instant of the host's stop. */
    readonly hostStopping: () => boolean
  ) {}

  readonly register = (check: Check): Effect.Effect<void> => Effect.sync(() => void this.registered.push(check))
  readonly checks: Effect.Effect<ReadonlyArray<Check>> = Effect.sync(() => [...this.registered])
  readonly lifecycle: Effect.Effect<Lifecycle> = Effect.sync(() => this.lifecycleNow())
  readonly report = (probe: Kind): Effect.Effect<Report> => runReport(this, probe)

  lifecycleNow(): Lifecycle {
    return this.stopping || this.hostStopping() ? "Stopping" : this.started ? "Started" : "Starting"
  }
}

/**
 * One registry per host: the layer is a module constant, so the host's memo map builds it once
 * and every check, and the `HttpHost`, share it.
 *
 * "Stopping" is read from the host itself (`isStopping`, true from the first instant of the
 * stop), not only from an `onStopping` callback, which would run after any callback registered
 * before it: readiness must fail before anything else happens.
 */
export const layer: Layer.Layer<Registry, never, ApplicationLifetime> = Layer.effect(
  RegistryTag,
  Effect.gen(function*() {
    const lifetime = yield* ApplicationLifetimeTag
    const host = Option.getOrUndefined(yield* FiberRef.get(currentHostContext))
    const registry = new RegistryImpl(() => host?.isStopping() === true)
    yield* lifetime.onStarted(Effect.sync(() => {
      registry.started = true
    }))
    yield* lifetime.onStopping(Effect.sync(() => {
      registry.stopping = true
    }))
    return registry
  })
)

/** A short, single-line description of why a check failed (the full cause goes to the log). */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return describeError(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return describeError(defect.value)
  return Cause.isInterruptedOnly(cause) ? "interrupted" : prettyCause(cause).split("\n")[0] ?? "failed"
}

const describeError = (error: unknown): string => {
  const message = Predicate.hasProperty(error, "message") && typeof error.message === "string" && error.message.length > 0
    ? error.message
    : undefined
  if (Predicate.hasProperty(error, "_tag") && typeof error._tag === "string") {
    return message === undefined ? error._tag : `${error._tag}: ${message}`
  }
  if (error instanceof Error) return message === undefined ? error.name : `${error.name}: ${message}`
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

/** The timeout of a check, told apart from a check that failed on its own. */
class CheckTimedOut extends Data.TaggedError("CheckTimedOut")<{ readonly check: string; readonly timeout: Duration.Duration }> {
  override get message() {
    return `health check ${this.check} timed out after ${Duration.format(this.timeout)}`
  }
}

/**
 * Runs one check. The check is disconnected before the timeout so that a check which ignores
 * interruption cannot hold the probe's answer: it is cut at the timeout and finishes in the
 * background.
 */
const runCheck = Effect.fn("Health.check", spanOptions)(
  function*(check: Check, lastStatus: Map<string, Status>) {
    yield* Effect.annotateCurrentSpan("health.check", check.name)
    const startedAt = yield* Clock.currentTimeMillis
    const exit = yield* check.run.pipe(
      Effect.disconnect,
      Effect.timeoutFail({ duration: check.timeout, onTimeout: () => new CheckTimedOut({ check: check.name, timeout: check.timeout }) }),
      // HTTP handlers run uninterruptibly (`HttpApp.toHandled`): without this the timeout could
      // not cut the check and would wait for it.
      Effect.interruptible,
      Effect.exit
    )
    const durationMs = (yield* Clock.currentTimeMillis) - startedAt
    const base = { name: check.name, durationMs, tags: check.tags }
    const previous = lastStatus.get(check.name)
    if (Exit.isSuccess(exit)) {
      lastStatus.set(check.name, "Healthy")
      if (previous === "Unhealthy") yield* Effect.logInfo(`Health check ${check.name} is healthy again`)
      return { ...base, status: "Healthy" } satisfies CheckResult
    }
    const timedOut = Option.exists(Cause.failureOption(exit.cause), (e) => e instanceof CheckTimedOut)
    const error = timedOut ? `timed out after ${Duration.format(check.timeout)}` : describeCause(exit.cause)
    lastStatus.set(check.name, "Unhealthy")
    // Logged on the transition only: probes run every few seconds and would flood the log.
    if (previous !== "Unhealthy") {
      yield* Effect.logWarning(`Health check ${check.name} is unhealthy: ${error}`, exit.cause)
    }
    return { ...base, status: "Unhealthy", error } satisfies CheckResult
  }
)

/** Whether the host's state alone decides the probe (the checks are not run). */
const gate = (probe: Kind, lifecycle: Lifecycle): string | undefined => {
  switch (probe) {
    case "live":
      // Liveness says "do not restart me": true while starting and while stopping.
      return undefined
    case "ready":
      return lifecycle === "Started" ? undefined : lifecycle === "Starting" ? "the host is starting" : "the host is stopping"
    case "startup":
      return lifecycle === "Starting" ? "the host is starting" : undefined
  }
}

const runReport = Effect.fn("Health.report", spanOptions)(
  function*(registry: RegistryImpl, probe: Kind) {
    yield* Effect.annotateCurrentSpan("health.probe", probe)
    const startedAt = yield* Clock.currentTimeMillis
    const lifecycle = registry.lifecycleNow()
    const reason = gate(probe, lifecycle)
    if (reason !== undefined) {
      return { probe, status: "Unhealthy", lifecycle, durationMs: 0, reason, checks: [] } satisfies Report
    }
    const checks = registry.registered.filter((c) => c.tags.includes(probe))
    const results = yield* Effect.forEach(checks, (c) => runCheck(c, registry.lastStatus), { concurrency: "unbounded" })
    const durationMs = (yield* Clock.currentTimeMillis) - startedAt
    const status: Status = results.every((r) => r.status === "Healthy") ? "Healthy" : "Unhealthy"
    return { probe, status, lifecycle, durationMs, checks: results } satisfies Report
  }
)

export const report = (probe: Kind): Effect.Effect<Report, never, Registry> =>
  Effect.flatMap(RegistryTag, (registry) => registry.report(probe))

export const toResponse = (report: Report): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(report, {
    status: report.status === "Healthy" ? 200 : 503,
    headers: { "cache-control": "no-store" }
  })

export interface Paths {
  readonly live: string
  readonly ready: string
  readonly startup: string
}

export const defaultPaths: Paths = { live: "/health/live", ready: "/health/ready", startup: "/health/startup" }

/**
 * The health response for `request` if it asks for a health endpoint, else `undefined`. This runs
 * in front of every request of the application, hence plain string comparisons.
 */
export const endpoint = (paths: Partial<Paths> = {}) => {
  const { live, ready, startup } = { ...defaultPaths, ...paths }
  return (request: HttpServerRequest.HttpServerRequest): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Registry> | undefined => {
    const url = request.url
    const query = url.indexOf("?")
    const path = query === -1 ? url : url.slice(0, query)
    const probe: Kind | undefined = path === ready ? "ready" : path === live ? "live" : path === startup ? "startup" : undefined
    if (probe === undefined) return undefined
    const method = request.method
    return method === "GET" || method === "HEAD" ? Effect.map(report(probe), toResponse) : undefined
  }
}

export const check = <A, E, R>(
  name: string,
  effect: Effect.Effect<A, E, R>,
  options: CheckOptions = {}
): Layer.Layer<Registry, never, ApplicationLifetime | Exclude<R, Scope.Scope>> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const registry = yield* RegistryTag
    const context = yield* Effect.context<Exclude<R, Scope.Scope>>()
    yield* registry.register({
      name,
      tags: options.tags ?? ["ready"],
      timeout: options.timeout === undefined ? defaultTimeout : Duration.decode(options.timeout),
      run: Effect.provide(Effect.scoped(effect), context)
    })
  })).pipe(Layer.provideMerge(layer))

export const withEndpoints: {
  (paths?: Partial<Paths>): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R | Registry>
  <E, R>(app: HttpApp.Default<E, R>, paths?: Partial<Paths>): HttpApp.Default<E, R | Registry>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <E, R>(app: HttpApp.Default<E, R>, paths: Partial<Paths> = {}): HttpApp.Default<E, R | Registry> => {
    const answer = endpoint(paths)
    return Effect.flatMap(
      HttpServerRequest.HttpServerRequest,
      (request): HttpApp.Default<E, R | Registry> => answer(request) ?? app
    )
  }
)
