/**
 * Health checks and the health endpoints that Kubernetes' probes call (ASP.NET Core's health
 * checks, tied to the host's lifecycle).
 *
 * A check is a `Layer`: list it among the host's services. Each check carries tags saying which
 * probes run it. `/health/live`, `/health/ready` and `/health/startup` answer 200 when every check
 * of that probe is healthy and 503 otherwise, with a JSON body listing each check's status,
 * duration and error. Readiness also follows the host: it fails until `ApplicationLifetime.started`
 * and from the moment the stop begins (before the HTTP drain delay), while liveness stays up
 * while stopping — a stopping pod must leave the load balancer, not be restarted.
 *
 * @since 0.1.0
 */
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { ApplicationLifetime } from "./ApplicationLifetime.js"
import * as internal from "./internal/http/health.js"

/**
 * A probe: which Kubernetes probe (and endpoint) runs a check.
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = internal.Kind

/**
 * @since 0.1.0
 * @category models
 */
export type Status = internal.Status

/**
 * The host's state as the probes see it.
 *
 * @since 0.1.0
 * @category models
 */
export type Lifecycle = internal.Lifecycle

/**
 * A registered check.
 *
 * @since 0.1.0
 * @category models
 */
export type Check = internal.Check

/**
 * One check's outcome, as listed in the JSON body.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckResult = internal.CheckResult

/**
 * The answer of one probe; the endpoints send it as JSON:
 *
 * ```json
 * { "probe": "ready", "status": "Unhealthy", "lifecycle": "Started", "durationMs": 5001,
 *   "checks": [{ "name": "db", "status": "Unhealthy", "durationMs": 5000, "tags": ["ready"],
 *                "error": "timed out after 5s" }] }
 * ```
 *
 * When the host's state alone decides (readiness while starting or stopping), `reason` says why
 * and no check is run.
 *
 * @since 0.1.0
 * @category models
 */
export type Report = internal.Report

/**
 * Marks a `Health.Registry` value.
 *
 * @since 0.1.0
 * @category type ids
 */
export const RegistryTypeId: unique symbol = internal.RegistryTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type RegistryTypeId = typeof RegistryTypeId

/**
 * The checks of one host and the host's state. Every `Health.check` and the `HttpHost` of a host
 * share one registry (built once per host).
 *
 * @since 0.1.0
 * @category tags
 */
export class Registry extends Effect.Tag("effect-host/Health/Registry")<Registry, {
  readonly [RegistryTypeId]: RegistryTypeId
  /** Adds a check (what `Health.check` does). */
  readonly register: (check: Check) => Effect.Effect<void>
  /** The checks registered so far, in registration order. */
  readonly checks: Effect.Effect<ReadonlyArray<Check>>
  /** The host's state as the probes see it. */
  readonly lifecycle: Effect.Effect<Lifecycle>
  /** Runs the checks of one probe and reports (what `Health.report` does). */
  readonly report: (probe: Kind) => Effect.Effect<Report>
}>() {}

/**
 * The registry as a layer. Usually not needed: `check` and `HttpHost.layer` bring it along.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Registry, never, ApplicationLifetime> = internal.layer

/**
 * How long a check may run before it is reported unhealthy: 5 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = internal.defaultTimeout

/**
 * @since 0.1.0
 * @category models
 */
export interface CheckOptions {
  /** The probes that run this check. Default `["ready"]`. */
  readonly tags?: ReadonlyArray<Kind> | undefined
  /** A check still running after this is cut and reported unhealthy. Default 5 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Registers a health check: `effect` succeeds when healthy; a failure, a defect or the timeout
 * make it unhealthy (the error's message goes to the JSON, the full cause to the log when the
 * check turns unhealthy). The check runs each time a probe that lists one of its tags is called.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Host } from "effect-host"
 * import { Health, HttpHost } from "effect-host/http"
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const pingDb = Effect.void // e.g. `SELECT 1`
 * const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
 *
 * const program = Host.launch([
 *   Health.check("db", pingDb, { tags: ["ready"], timeout: "2 seconds" }),
 *   Health.check("event-loop", Effect.void, { tags: ["live"] }),
 *   HttpHost.layer(router)
 * ])
 * ```
 */
export const check: <A, E, R>(
  name: string,
  effect: Effect.Effect<A, E, R>,
  options?: CheckOptions
) => Layer.Layer<Registry, never, ApplicationLifetime | Exclude<R, Scope.Scope>> = internal.check

/**
 * Runs the checks of one probe and reports (readiness is gated by the host's state).
 *
 * @since 0.1.0
 * @category running
 */
export const report: (probe: Kind) => Effect.Effect<Report, never, Registry> = internal.report

/**
 * A report as an HTTP response: 200 when healthy, 503 otherwise, JSON body, never cached.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toResponse: (report: Report) => HttpServerResponse.HttpServerResponse = internal.toResponse

/**
 * The paths of the three endpoints.
 *
 * @since 0.1.0
 * @category models
 */
export type Paths = internal.Paths

/**
 * `/health/live`, `/health/ready`, `/health/startup`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPaths: Paths = internal.defaultPaths

/**
 * Answers `GET`/`HEAD` on the health paths in front of `app`; every other request goes to `app`.
 * `HttpHost.layer` does the same for you; use this to serve health with another server.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withEndpoints: {
  (paths?: Partial<Paths>): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R | Registry>
  <E, R>(app: HttpApp.Default<E, R>, paths?: Partial<Paths>): HttpApp.Default<E, R | Registry>
} = internal.withEndpoints
