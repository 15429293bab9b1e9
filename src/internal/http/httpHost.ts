/**
 * HttpHost as a hosted service: reads its settings, builds the server of `server.ts` when the
 * host builds its services, and has it listen when the start ends and drain when the stop begins.
 * `layerServer` offers the same server as `@effect/platform`'s `HttpServer`.
 *
 * @internal
 */
import type * as Etag from "@effect/platform/Etag"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpMiddleware from "@effect/platform/HttpMiddleware"
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
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { ApplicationLifetime } from "../../ApplicationLifetime.js"
import type * as Health from "../../Health.js"
import type { HttpHost, Options, Provided } from "../../HttpHost.js"
import { port } from "../config/port.js"
import { seconds } from "../config/seconds.js"
import { register } from "../hostedService.js"
import * as HealthInternal from "./health.js"
import * as MetricsEndpoint from "./metrics.js"
import * as Server from "./server.js"

export const HttpHostTag: Context.Tag<HttpHost, HttpHost["Type"]> = Context.GenericTag("effect-host/HttpHost")

export const defaultPort = 3000

export const configKeys = {
  port: "Port",
  host: "Host",
  drainDelay: "DrainDelaySeconds",
  shutdownTimeout: "ShutdownTimeoutSeconds",
  metricsEnabled: "Metrics:Enabled",
  metricsPath: "Metrics:Path"
} as const

/** The HTTP settings of one section, as read from configuration (missing keys are `None`). */
export interface FromConfig {
  readonly port: Option.Option<number>
  readonly host: Option.Option<string>
  readonly drainDelay: Option.Option<Duration.Duration>
  readonly shutdownTimeout: Option.Option<Duration.Duration>
  readonly metrics: {
    readonly enabled: Option.Option<boolean>
    readonly path: Option.Option<string>
  }
}

export const config = (section = "Http"): Config.Config<FromConfig> =>
  Config.nested(
    Config.all({
      port: port(configKeys.port),
      host: Config.option(Config.string(configKeys.host)),
      drainDelay: seconds(configKeys.drainDelay),
      shutdownTimeout: seconds(configKeys.shutdownTimeout),
      metrics: Config.nested(
        Config.all({
          enabled: Config.option(Config.boolean("Enabled")),
          path: Config.option(Config.string("Path").pipe(
            Config.validate({ message: "Expected a path starting with /", validation: (path) => path.startsWith("/") })
          ))
        }),
        "Metrics"
      )
    }),
    section
  )

/** Where to listen: code wins over configuration. */
const resolveAddress = (options: Options, fromConfig: FromConfig): Pick<Server.Settings, "host" | "port"> => ({
  port: options.port ?? Option.getOrElse(fromConfig.port, () => defaultPort),
  host: options.host ?? Option.getOrUndefined(fromConfig.host)
})

const resolveSettings = (options: Options, fromConfig: FromConfig, hostShutdownTimeout: Duration.Duration): Server.Settings => ({
  name: options.name ?? "HttpHost",
  ...resolveAddress(options, fromConfig),
  drainDelay: options.drainDelay !== undefined
    ? Duration.decode(options.drainDelay)
    : Option.getOrElse(fromConfig.drainDelay, () => Duration.zero),
  shutdownTimeout: options.shutdownTimeout !== undefined
    ? Duration.decode(options.shutdownTimeout)
    : Option.getOrElse(fromConfig.shutdownTimeout, () => hostShutdownTimeout),
  createServer: options.createServer ?? (() => Http.createServer())
})

const spanOptions = { captureStackTrace: false } as const

const listen = Effect.fn("HttpHost.listen", spanOptions)(function*(server: Server.Server, name: string) {
  yield* Effect.annotateCurrentSpan("effect_host.service", name)
  yield* Effect.annotateLogs(server.listen, { service: name })
})

const drain = Effect.fn("HttpHost.drain", spanOptions)(function*(server: Server.Server, name: string) {
  yield* Effect.annotateCurrentSpan("effect_host.service", name)
  yield* Effect.annotateLogs(server.drain, { service: name })
})

/** `app` is served as it is: `Server.interruptible` is the caller's to apply. */
const build = <E, R>(app: HttpApp.Default<E, R>, options: Options) =>
  Effect.gen(function*() {
    const name = options.name ?? "HttpHost"
    const fromConfig = yield* config(options.configSection)
    const platform = yield* Layer.build(NodeHttpServer.layerContext)
    const context = yield* Effect.context<Exclude<R, Provided> | Health.Registry>()
    const registry = yield* HealthInternal.RegistryTag
    const endpoint = options.health === false ? undefined : HealthInternal.endpoint(options.health)
    const health = endpoint === undefined ? undefined : (request: HttpServerRequest.HttpServerRequest) => {
      const answer = endpoint(request)
      return answer === undefined ? undefined : Effect.provideService(answer, HealthInternal.RegistryTag, registry)
    }
    const metricsPath = MetricsEndpoint.resolvePath(options.metrics, fromConfig.metrics)
    const metrics = metricsPath === undefined ? undefined : MetricsEndpoint.endpoint(metricsPath)
    // One function in front of every request: no extra step when only one (or none) is served.
    const intercept = metrics === undefined
      ? health
      : health === undefined
      ? metrics
      : (request: HttpServerRequest.HttpServerRequest) => health(request) ?? metrics(request)
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
          // Binding is the last step of the start, after every `started` hook and before
          // `ApplicationLifetime.started`: a port in use fails the start (rollback, exit 1).
          yield* host.onStarted(name, listen(made, name))
          // The first step of the stop: the other services stop only after the server closed.
          yield* host.onStopping(name, drain(made, name))
          return {}
        })),
      yield* Effect.scope
    )
    const awaitServer = Deferred.await(server)
    const handle = HttpHostTag.of({
      serviceName: name,
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
    const requested = Server.requestedAddress(resolveAddress(options, fromConfig))
    return {
      handle,
      platform,
      currentAddress: () => instance?.unsafeAddress() ?? requested
    }
  })

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
    Layer.scoped(HttpHostTag, Effect.map(build(Server.interruptible(app), options), ({ handle }) => handle)).pipe(
      Layer.provideMerge(HealthInternal.layer)
    )
)

const notServed = Effect.succeed(HttpServerResponse.empty({ status: 404 }))

/**
 * HttpHost's server as `@effect/platform`'s `HttpServer`, built whole: its address is the one
 * asked for until the server listens, the bound one from then on (port 0 becomes a real port).
 */
class HostedHttpServer implements HttpServer.HttpServer {
  readonly [HttpServer.TypeId]: HttpServer.TypeId = HttpServer.TypeId

  constructor(
    readonly serve: HttpServer.HttpServer["serve"],
    private readonly currentAddress: () => HttpServer.Address
  ) {}

  get address(): HttpServer.Address {
    return this.currentAddress()
  }
}

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
    const serve = (
      app: HttpApp.Default<unknown, unknown>,
      middleware?: HttpMiddleware.HttpMiddleware
    ): Effect.Effect<void, never, Scope.Scope> =>
      Effect.gen(function*() {
        if (served !== undefined) {
          return yield* Effect.dieMessage(`${handle.serviceName} serves one app: HttpServer.serve was called a second time`)
        }
        // The app runs on the server's runtime; what it needs comes from where it was served.
        const context = yield* Effect.context<never>()
        // The middleware runs as it does under `NodeHttpServer` (uninterruptibly, around the
        // app); the app itself is opened as `HttpHost.layer`'s is.
        const opened = Server.interruptible(app)
        served = Effect.provide(middleware === undefined ? opened : middleware(opened), context) as HttpApp.Default<unknown>
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            served = undefined
          })
        )
      })
    return Context.make(HttpHostTag, handle).pipe(
      Context.add(HttpServer.HttpServer, new HostedHttpServer(serve, currentAddress)),
      Context.merge(platform)
    )
  })).pipe(Layer.provideMerge(HealthInternal.layer))
