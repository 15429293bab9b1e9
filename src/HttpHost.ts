/**
 * An `@effect/platform` HTTP application served as a hosted service, in the order a graceful
 * deployment needs (the .NET Generic Host with Kestrel, plus what Kubernetes asks for):
 *
 * - **Start**: the server listens only after every hosted service has started (binding is the
 *   last step of the start, after every `started` hook and before `ApplicationLifetime.started`),
 *   so no request reaches a half-started application. The bound address is logged ("Now
 *   listening on: …") and available through the `HttpHost` tag. A failure to bind fails the
 *   start (`HttpListenError`).
 * - **Stop**: when the stop begins (its first step, before any `stopping` hook):
 *   readiness fails at once; responses carry `Connection: close`; after `drainDelay` the listener
 *   closes and idle keep-alive connections are closed at once; in-flight requests finish, each
 *   connection closing after its last response; requests still running at the deadline
 *   (`shutdownTimeout`) are logged and interrupted. Only then do the other hosted services stop.
 * - **Interruption**: a request is interruptible, by the deadline or by its client going away,
 *   except a route declared `uninterruptible` (`HttpRouter.get(path, handler, { uninterruptible:
 *   true })`), which runs to its end as under `NodeHttpServer`. The deadline holds for it too:
 *   it is logged, its connection is closed, and the stop goes on while it runs (give such a
 *   route a timeout of its own). The router must be what is served for this: give it to
 *   `HttpHost.layer` as it is (with `HttpRouter.use` for middleware), or to
 *   `HttpServer.serve(router, middleware)` on `layerServer`; an app that only wraps a router is
 *   interruptible whole.
 *
 * Health endpoints (`/health/live`, `/health/ready`, `/health/startup`, see `Health`) are
 * answered in front of the application, and so is, when turned on (`metrics: true`, or
 * `Http:Metrics:Enabled=true`), a Prometheus endpoint (`/metrics`) with every metric of the
 * process. The server records `HostMetrics.httpInFlight` and `HostMetrics.httpDrainDuration`.
 *
 * @since 0.1.0
 */
import type * as Etag from "@effect/platform/Etag"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpPlatform from "@effect/platform/HttpPlatform"
import type * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import type * as Config from "effect/Config"
import type { ConfigError } from "effect/ConfigError"
import * as Effect from "effect/Effect"
import type * as Duration from "effect/Duration"
import type { LazyArg } from "effect/Function"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Http from "node:http"
import type { ApplicationLifetime } from "./ApplicationLifetime.js"
import type * as Health from "./Health.js"
import * as internal from "./internal/http/httpHost.js"
import * as internalListenError from "./internal/http/listenError.js"
import * as internalMetrics from "./internal/http/metrics.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The hosted service's name, in logs and errors. Default `"HttpHost"`. */
  readonly name?: string | undefined
  /** TCP port; `0` picks a free one (see `address`). Default 3000, config `Http:Port`. */
  readonly port?: number | undefined
  /** Interface to bind. Default: every interface (Node's default), config `Http:Host`. */
  readonly host?: string | undefined
  /**
   * How long to keep serving, with readiness failing, before the listener closes: the time a
   * load balancer needs to notice. Default 0, config `Http:DrainDelaySeconds`. On Kubernetes use
   * more than the readiness probe's `periodSeconds` × `failureThreshold` (e.g. 5 s for a 2 s
   * period), and keep `drainDelay` + the longest request + the other services' stop below
   * `terminationGracePeriodSeconds`.
   */
  readonly drainDelay?: Duration.DurationInput | undefined
  /**
   * Budget of the whole HTTP stop (drain delay included), from the moment the stop begins; at
   * this deadline the requests still running are logged and interrupted. Default: the host's
   * `shutdownTimeout` (then such a request makes the host finish with `ShutdownTimeoutError`);
   * set it lower to leave the other services time to stop. Config `Http:ShutdownTimeoutSeconds`.
   */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Paths of the health endpoints, or `false` to serve none. Default `Health.defaultPaths`. */
  readonly health?: Partial<Health.Paths> | false | undefined
  /**
   * A Prometheus endpoint: every metric of the process (`HostMetrics.prometheus`: the host's
   * metrics, yours, Effect's runtime metrics if enabled) as text, answered to `GET`/`HEAD` in
   * front of the application, like the health endpoints. Off by default. `true` serves it at
   * `/metrics` (or config `Http:Metrics:Path`), `{ path }` at `path`, `false` never (whatever the
   * configuration says). Config `Http:Metrics:Enabled=true` turns it on when this is not given.
   * It is unauthenticated: bind it to an internal interface, or keep it off and serve
   * `HostMetrics.prometheus` from a route of your own.
   */
  readonly metrics?: boolean | { readonly path?: string | undefined } | undefined
  /** The configuration section of the keys above. Default `"Http"`. */
  readonly configSection?: string | undefined
  /** Creates the Node server (for example to set `requestTimeout` or use `https`). Default `http.createServer`. */
  readonly createServer?: LazyArg<Http.Server> | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultPort: number = internal.defaultPort

/**
 * The configuration keys, under the section `Http` (`Http:Port`, env `Http__Port`;
 * `Http:Metrics:Enabled`, env `Http__Metrics__Enabled`).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys: typeof internal.configKeys = internal.configKeys

/**
 * Reads the HTTP settings of one section; missing keys are `None`, invalid ones fail together.
 *
 * @since 0.1.0
 * @category config
 */
export const config: (section?: string) => Config.Config<{
  readonly port: Option.Option<number>
  readonly host: Option.Option<string>
  readonly drainDelay: Option.Option<Duration.Duration>
  readonly shutdownTimeout: Option.Option<Duration.Duration>
  readonly metrics: {
    readonly enabled: Option.Option<boolean>
    readonly path: Option.Option<string>
  }
}> = internal.config

/**
 * Where the metrics endpoint answers when it is on and no path is given: `/metrics`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMetricsPath: string = internalMetrics.defaultPath

/**
 * The running server of an `HttpHost.layer` (or `layerServer`), with its accessors
 * (`HttpHost.HttpHost.address`, `…addressOption`, `…inFlight`).
 *
 * @since 0.1.0
 * @category tags
 */
export class HttpHost extends Effect.Tag("effect-host/HttpHost")<HttpHost, {
  /** The hosted service's name (`Options.name`), as in logs and errors. */
  readonly serviceName: string
  /**
   * Waits until the server listens (after every hosted service started), then its address.
   * Interrupted if the server never listens (it could not bind, or the host stopped first).
   */
  readonly address: Effect.Effect<HttpServer.Address>
  /** The address if the server listens (or listened). */
  readonly addressOption: Effect.Effect<Option.Option<HttpServer.Address>>
  /** Requests (and upgraded connections) in flight now. */
  readonly inFlight: Effect.Effect<number>
}>() {}

/**
 * Waits until the server listens and returns the bound address (useful with port 0).
 *
 * @since 0.1.0
 * @category accessors
 */
export const address: Effect.Effect<HttpServer.Address, never, HttpHost> = HttpHost.address

/**
 * The server could not listen: names the service, the address asked for and the system's reason
 * (`HttpHost could not listen on 0.0.0.0:3000: address already in use (EADDRINUSE)`), and
 * carries the platform's `ServeError` as its cause. It fails the host's start.
 *
 * @since 0.1.0
 * @category errors
 */
export const HttpListenError: typeof internalListenError.HttpListenError = internalListenError.HttpListenError

/**
 * @since 0.1.0
 * @category errors
 */
export type HttpListenError = internalListenError.HttpListenError

/**
 * What `layer` provides to the application itself, like `NodeHttpServer.layer` does.
 *
 * @since 0.1.0
 * @category models
 */
export type Provided =
  | HttpServerRequest.HttpServerRequest
  | Scope.Scope
  | HttpPlatform.HttpPlatform
  | Etag.Generator
  | NodeContext.NodeContext
  | Health.Registry

/**
 * Serves `app` (an `HttpRouter`, an `HttpApi` app, any `HttpApp`) as a hosted service. Give it to
 * `Host.launch`/`Host.make` with the other services; where it appears in the list does not
 * matter: it always listens last and stops first.
 *
 * The layer also provides the host's `Health.Registry`. A failure to listen (port in use) fails
 * the start like a failing hook of the service: `ApplicationLifetime.started` never fires, every
 * started service is rolled back, and the host fails with `HostStartError` naming the service
 * (phase `started`), its cause an `HttpListenError` naming the address and the reason
 * (`NodeHost.runMain` exits with 1).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Host } from "effect-host"
 * import { Health, HttpHost } from "effect-host/http"
 * import { NodeHost } from "effect-host/node"
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.get("/", HttpServerResponse.text("hello"))
 * )
 *
 * Host.launch([
 *   Health.check("db", Effect.void, { tags: ["ready"] }),
 *   HttpHost.layer(router, { port: 8080, drainDelay: "5 seconds" })
 * ]).pipe(NodeHost.runMain)
 * ```
 */
export const layer: {
  (options?: Options): <E, R>(
    app: HttpApp.Default<E, R>
  ) => Layer.Layer<HttpHost | Health.Registry, ConfigError, ApplicationLifetime | Exclude<R, Provided>>
  <E, R>(
    app: HttpApp.Default<E, R>,
    options?: Options
  ): Layer.Layer<HttpHost | Health.Registry, ConfigError, ApplicationLifetime | Exclude<R, Provided>>
} = internal.layer

/**
 * HttpHost as an `HttpServer.HttpServer`: a drop-in replacement for `NodeHttpServer.layer` under
 * the layers that serve through the platform's server — `HttpApiBuilder.serve()`,
 * `HttpRouter.Default.serve()`, `HttpServer.serve(app)`. The app given to `serve` is what
 * HttpHost serves, with the same start and stop order as `layer`. It also provides what
 * `NodeHttpServer.layer` provides (`HttpPlatform`, `Etag.Generator`, `NodeContext`), the
 * `HttpHost` tag and the `Health.Registry`.
 *
 * One app per server: a second `serve` is a defect. Middleware given to `serve` wraps the app
 * (after the health endpoints). Until the server listens, `HttpServer#address` is the address
 * asked for (with port 0 as given); from then on the bound one.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { Host } from "effect-host"
 * import { HttpHost } from "effect-host/http"
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * const Routes = HttpRouter.Default.use((router) =>
 *   router.get("/", HttpServerResponse.text("hello"))
 * )
 *
 * const Http = HttpRouter.Default.serve().pipe(
 *   Layer.provide(Routes),
 *   Layer.provide(HttpHost.layerServer({ port: 8080 }))
 * )
 *
 * Host.launch([Http])
 * ```
 */
export const layerServer: (options?: Options) => Layer.Layer<
  | HttpServer.HttpServer
  | HttpHost
  | Health.Registry
  | HttpPlatform.HttpPlatform
  | Etag.Generator
  | NodeContext.NodeContext,
  ConfigError,
  ApplicationLifetime
> = internal.layerServer
