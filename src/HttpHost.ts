/**
 * An `@effect/platform` HTTP application served as a hosted service, in the order a graceful
 * deployment needs (the .NET Generic Host with Kestrel, plus what Kubernetes asks for):
 *
 * - **Start**: the server listens only after every hosted service has started (it binds in an
 *   `ApplicationLifetime.onStarted` callback, after every `started` hook), so no request reaches
 *   a half-started application. The bound address is logged ("Now listening on: …") and
 *   available through the `HttpHost` tag.
 * - **Stop**: when the stop begins (an `onStopping` callback, before any `stopping` hook):
 *   readiness fails at once; responses carry `Connection: close`; after `drainDelay` the listener
 *   closes and idle keep-alive connections are closed at once; in-flight requests finish, each
 *   connection closing after its last response; requests still running at the deadline
 *   (`shutdownTimeout`) are logged and interrupted. Only then do the other hosted services stop.
 *
 * Health endpoints (`/health/live`, `/health/ready`, `/health/startup`, see `Health`) are
 * answered in front of the application.
 *
 * @since 0.1.0
 */
import type * as Etag from "@effect/platform/Etag"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpPlatform from "@effect/platform/HttpPlatform"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Config from "effect/Config"
import type { ConfigError } from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual, type LazyArg } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import { ApplicationLifetime } from "./ApplicationLifetime.js"
import * as Health from "./Health.js"
import * as HealthInternal from "./internal/http/health.js"
import * as Server from "./internal/http/server.js"
import { register } from "./internal/hostedService.js"
import { seconds } from "./internal/config/seconds.js"

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
  /** The configuration section of the keys above. Default `"Http"`. */
  readonly configSection?: string | undefined
  /** Creates the Node server (for example to set `requestTimeout` or use `https`). Default `http.createServer`. */
  readonly createServer?: LazyArg<Http.Server> | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultPort = 3000

/**
 * The configuration keys, under the section `Http` (`Http:Port`, env `Http__Port`).
 *
 * @since 0.1.0
 * @category constants
 */
export const configKeys = {
  port: "Port",
  host: "Host",
  drainDelay: "DrainDelaySeconds",
  shutdownTimeout: "ShutdownTimeoutSeconds"
} as const

/**
 * Reads the HTTP settings of one section; missing keys are `None`, invalid ones fail together.
 *
 * @since 0.1.0
 * @category config
 */
export const config = (section = "Http") =>
  Config.nested(
    Config.all({
      // Not `Config.port`: it refuses 0, which binds a free port.
      port: Config.option(Config.integer(configKeys.port).pipe(
        Config.validate({ message: "Expected a port between 0 and 65535", validation: (n) => n >= 0 && n <= 65535 })
      )),
      host: Config.option(Config.string(configKeys.host)),
      drainDelay: seconds(configKeys.drainDelay),
      shutdownTimeout: seconds(configKeys.shutdownTimeout)
    }),
    section
  )

/**
 * The running server of an `HttpHost.layer`.
 *
 * @since 0.1.0
 * @category tags
 */
export class HttpHost extends Context.Tag("effect-host/http/HttpHost")<HttpHost, {
  readonly name: string
  /** Waits until the server listens (after every hosted service started), then its address. */
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
export const address: Effect.Effect<HttpServer.Address, never, HttpHost> = Effect.flatMap(HttpHost, (h) => h.address)

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

const resolveSettings = (
  options: Options,
  fromConfig: Config.Config.Success<ReturnType<typeof config>>,
  hostShutdownTimeout: Duration.Duration
): Server.Settings => ({
  name: options.name ?? "HttpHost",
  port: options.port ?? Option.getOrElse(fromConfig.port, () => defaultPort),
  host: options.host ?? Option.getOrUndefined(fromConfig.host),
  drainDelay: options.drainDelay !== undefined
    ? Duration.decode(options.drainDelay)
    : Option.getOrElse(fromConfig.drainDelay, () => Duration.zero),
  shutdownTimeout: options.shutdownTimeout !== undefined
    ? Duration.decode(options.shutdownTimeout)
    : Option.getOrElse(fromConfig.shutdownTimeout, () => hostShutdownTimeout),
  createServer: options.createServer ?? (() => Http.createServer())
})

/** The address asked for, until the server has bound one (port 0 becomes a real port then). */
const requestedAddress = (options: Options, fromConfig: Config.Config.Success<ReturnType<typeof config>>): HttpServer.Address => {
  const { host, port } = resolveSettings(options, fromConfig, Duration.zero)
  return { _tag: "TcpAddress", hostname: host === undefined || host === "::" ? "0.0.0.0" : host, port }
}

const build = <E, R>(app: HttpApp.Default<E, R>, options: Options) =>
  Effect.gen(function*() {
    const name = options.name ?? "HttpHost"
    const fromConfig = yield* config(options.configSection)
    const lifetime = yield* ApplicationLifetime
    const platform = yield* Layer.build(NodeHttpServer.layerContext)
    const context = yield* Effect.context<Exclude<R, Provided> | Health.Registry>()
    const registry = yield* Health.Registry
    const endpoint = options.health === false ? undefined : HealthInternal.endpoint(options.health)
    const intercept = endpoint === undefined ? undefined : (request: HttpServerRequest.HttpServerRequest) => {
      const answer = endpoint(request)
      return answer === undefined ? undefined : Effect.provideService(answer, Health.Registry, registry)
    }
    const server = yield* Deferred.make<Server.Server>()
    let instance: Server.Server | undefined
    yield* Layer.buildWithScope(
      register(name, (host) =>
        Effect.gen(function*() {
          const settings = { ...resolveSettings(options, fromConfig, host.options.shutdownTimeout), intercept }
          // Cast: TypeScript cannot reduce `Exclude<R, Provided>` plus what is provided here back
          // to `R`; `Provided` lists exactly what the platform adds per request or here.
          const made = yield* Server.make(app, settings).pipe(
            Effect.provide(Context.merge(context, platform))
          ) as Effect.Effect<Server.Server>
          instance = made
          yield* Deferred.succeed(server, made)
          // Listening is the last step of the start: `started` hooks have all run.
          yield* lifetime.onStarted(made.listen.pipe(
            Effect.catchAllCause((cause) =>
              Effect.zipRight(
                Effect.logError(`Could not listen on port ${settings.port}`, cause),
                host.reportBackgroundFailure(name, cause)
              )
            ),
            Effect.annotateLogs({ service: name }),
            Effect.withSpan("HttpHost.listen", { attributes: { "hosted_service.name": name } })
          ))
          // The first step of the stop: the other services stop only after the server closed.
          yield* lifetime.onStopping(made.drain.pipe(
            Effect.annotateLogs({ service: name }),
            Effect.withSpan("HttpHost.drain", { attributes: { "hosted_service.name": name } })
          ))
          return {}
        })),
      yield* Effect.scope
    )
    const awaitServer = Deferred.await(server)
    const handle = HttpHost.of({
      name,
      address: Effect.flatMap(awaitServer, (s) => s.address),
      addressOption: Effect.flatMap(Deferred.poll(server), Option.match({
        onNone: () => Effect.succeedNone,
        onSome: (s) => Effect.flatMap(s, (made) => made.addressOption)
      })),
      inFlight: Effect.flatMap(Deferred.poll(server), Option.match({
        onNone: () => Effect.succeed(0),
        onSome: (s) => Effect.flatMap(s, (made) => made.inFlight)
      }))
    })
    const requested = requestedAddress(options, fromConfig)
    return {
      handle,
      platform,
      currentAddress: () => instance?.unsafeAddress() ?? requested
    }
  })

/**
 * Serves `app` (an `HttpRouter`, an `HttpApi` app, any `HttpApp`) as a hosted service. Give it to
 * `Host.launch`/`Host.make` with the other services; where it appears in the list does not
 * matter: it always listens last and stops first.
 *
 * The layer also provides the host's `Health.Registry`. A failure to listen (port in use) is
 * reported like a failing background service: the host stops with `BackgroundServiceError`
 * (under `backgroundServiceExceptionBehavior: "Ignore"` it keeps running without HTTP).
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
} = dual(
  (args) => Effect.isEffect(args[0]),
  <E, R>(
    app: HttpApp.Default<E, R>,
    options: Options = {}
  ): Layer.Layer<HttpHost | Health.Registry, ConfigError, ApplicationLifetime | Exclude<R, Provided>> =>
    Layer.scoped(HttpHost, Effect.map(build(app, options), ({ handle }) => handle)).pipe(
      Layer.provideMerge(Health.layer)
    )
)

/**
 * The same as `layer`, named like `HostedService.make`: an HTTP app as a hosted service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: typeof layer = layer

const notServed = Effect.succeed(HttpServerResponse.empty({ status: 404 }))

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
export const layerServer = (options: Options = {}): Layer.Layer<
  | HttpServer.HttpServer
  | HttpHost
  | Health.Registry
  | HttpPlatform.HttpPlatform
  | Etag.Generator
  | NodeContext.NodeContext,
  ConfigError,
  ApplicationLifetime
> =>
  Layer.scopedContext(Effect.gen(function*() {
    let served: HttpApp.Default<unknown> | undefined
    const { currentAddress, handle, platform } = yield* build(Effect.suspend(() => served ?? notServed), options)
    const server = HttpServer.make({
      address: currentAddress(),
      serve: (app, middleware) =>
        Effect.gen(function*() {
          if (served !== undefined) {
            return yield* Effect.dieMessage(`${handle.name} serves one app: HttpServer.serve was called a second time`)
          }
          // The app runs on the server's runtime; what it needs comes from where it was served.
          const context = yield* Effect.context<never>()
          served = Effect.provide(middleware === undefined ? app : middleware(app), context) as HttpApp.Default<unknown>
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              served = undefined
            })
          )
        })
    })
    // The platform's server has a fixed address; this one learns its port when it listens.
    Object.defineProperty(server, "address", { get: currentAddress, enumerable: true })
    return Context.make(HttpHost, handle).pipe(
      Context.add(HttpServer.HttpServer, server),
      Context.merge(platform)
    )
  })).pipe(Layer.provideMerge(Health.layer))
