/**
 * The HTTP server of an `HttpHost`: listens when told to (after every hosted service started)
 * and drains when told to (when the stop begins), in the order of DESIGN.md:
 *
 *   readiness fails (the health registry's own stopping callback, which runs first)
 *   -> every response asks for `Connection: close`
 *   -> drain delay (the load balancer notices the failing readiness)
 *   -> the listener closes; idle connections are closed at once
 *   -> in-flight requests finish, their connections close after their response
 *   -> at the deadline: the remaining requests are logged and interrupted, every connection destroyed
 *
 * The Node server itself comes from `NodeHttpServer.make` (so requests, WebSocket upgrades and
 * responses behave exactly as with `NodeHttpServer.layer`); this module adds the bookkeeping
 * that lets the stop be bounded (`Connections`).
 *
 * @internal
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Respondable from "@effect/platform/HttpServerRespondable"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import type { LazyArg } from "effect/Function"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type * as Http from "node:http"
import * as Metrics from "../metrics.js"
import { currentWatch } from "../watch.js"
import { Connections } from "./connections.js"
import { describeListenFailure, HttpListenError } from "./listenError.js"

export interface Settings {
  readonly name: string
  readonly port: number
  readonly host: string | undefined
  readonly drainDelay: Duration.Duration
  /** Budget of the whole HTTP stop (drain delay included), from the moment the stop begins. */
  readonly shutdownTimeout: Duration.Duration
  readonly createServer: LazyArg<Http.Server>
  /**
   * Answers some requests before the application (the health endpoints). Done in the same step
   * as the request tracking: this runs for every request, and every step costs.
   */
  readonly intercept?: ((request: HttpServerRequest.HttpServerRequest) => HttpApp.Default | undefined) | undefined
}

export interface Server {
  /** Starts listening; does nothing when the stop has already begun. */
  readonly listen: Effect.Effect<void, HttpListenError>
  /** The graceful, bounded stop. Never fails; idempotent. */
  readonly drain: Effect.Effect<void>
  /** Waits until the server listens; interrupted if it never will (listen failed, stopped first). */
  readonly address: Effect.Effect<HttpServer.Address>
  /** The address once listening. */
  readonly addressOption: Effect.Effect<Option.Option<HttpServer.Address>>
  /** The address once listening, synchronously (for `HttpServer.HttpServer#address`). */
  readonly unsafeAddress: () => HttpServer.Address | undefined
  /** Requests in flight now. */
  readonly inFlight: Effect.Effect<number>
}

/**
 * The address asked for: what `HttpServer#address` says until the server listens, and what a
 * failure to listen names. Every interface (no host, or `::`) reads `0.0.0.0`, as the platform
 * writes the bound address.
 */
export const requestedAddress = (settings: Pick<Settings, "host" | "port">): HttpServer.Address => ({
  _tag: "TcpAddress",
  hostname: settings.host === undefined || settings.host === "::" ? "0.0.0.0" : settings.host,
  port: settings.port
})

interface Listening {
  readonly node: Http.Server
  readonly connections: Connections
  readonly scope: Scope.CloseableScope
  readonly closed: Deferred.Deferred<void>
}

/**
 * Waits for `effect`, at most `millis` of real time, whatever the `Clock`: these waits only give
 * sockets a moment to flush, which needs I/O to happen, not (test) time to pass. Both sides are
 * made interruptible: the caller runs uninterruptibly, and a race's loser inherits that, so it
 * would otherwise be waited for instead of cut.
 */
const atMost = (effect: Effect.Effect<void>, millis: number) =>
  Effect.raceFirst(
    Effect.interruptible(effect),
    Effect.interruptible(Effect.async<void>((resume) => {
      const timer = setTimeout(() => resume(Effect.void), millis)
      return Effect.sync(() => clearTimeout(timer))
    }))
  )

const whenIdle = (connections: Connections) =>
  Effect.async<void>((resume) => Effect.sync(connections.onceIdle(() => resume(Effect.void))))

/**
 * Logs a request the application failed, when the server answers it with a 5xx of its own: a
 * defect, or a failure that is no `Respondable` (which the platform answers with a bare 500 and
 * logs nowhere). What the application answers itself (a `Respondable` error, `RouteNotFound`'s
 * 404) and a request cut by its client or by the stop are not failures of the application.
 */
const logUnhandled = (request: HttpServerRequest.HttpServerRequest, cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Cause.isInterruptedOnly(cause)
    ? Effect.void
    : Effect.flatMap(HttpServerError.causeResponse(cause), ([response]) =>
      response.status === 500 && (Cause.isDie(cause) || !Cause.failures(cause).pipe(Chunk.some(Respondable.isRespondable)))
        ? Effect.logError(`HTTP ${request.method} ${request.url} failed; answered ${response.status}`, cause)
        : Effect.void)

/**
 * Opens the app to interruption (the deadline's, a client that went away):
 * `HttpApp.toHandled` runs the whole app uninterruptibly, and a bare `HttpApp` would otherwise
 * outlive the deadline. A router is not wrapped: it re-opens each route itself, except the routes
 * declared `uninterruptible`, which stay so as under `NodeHttpServer` (wrapped, they would not),
 * and the request costs two steps less. A router runs its mounted apps as they are called, so
 * each of those is opened here, the router rebuilt with the same routes.
 */
export const interruptible = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => {
  const router = asRouter(app)
  if (router === undefined) return Effect.interruptible(app)
  if (Chunk.isEmpty(router.mounts)) return app
  const rebuilt = Chunk.reduce(
    router.mounts,
    HttpRouter.fromIterable(router.routes),
    // A mount's prefix is kept as `mountApp` took it, which takes `/`-paths only.
    (acc, [prefix, mounted, options]) => HttpRouter.mountApp(acc, prefix as `/${string}`, Effect.interruptible(mounted), options)
  )
  // The same routes and mounts as `app`, so the same errors and requirements.
  return rebuilt as unknown as HttpApp.Default<E, R>
}

const asRouter = (app: unknown): HttpRouter.HttpRouter<unknown, unknown> | undefined =>
  typeof app === "object" && app !== null && HttpRouter.TypeId in app && "mounts" in app && Chunk.isChunk(app.mounts)
    ? (app as HttpRouter.HttpRouter<unknown, unknown>)
    : undefined

/**
 * Registers the request's fiber (for the deadline), answers what `intercept` answers, and logs
 * what the application failed to answer (`logUnhandled`). `app` is already `interruptible`.
 */
const tracked = <E, R>(
  app: HttpApp.Default<E, R>,
  connections: Connections,
  intercept: Settings["intercept"]
): HttpApp.Default<E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    connections.attachFiber(NodeHttpServerRequest.toIncomingMessage(request), fiber)
    const answer = intercept?.(request)
    return Effect.tapErrorCause(answer === undefined ? app : Effect.interruptible(answer), (cause) => logUnhandled(request, cause))
  })

/**
 * The fiber refs without those at their initial value (they read the same without an entry):
 * the request handler's runtime is taken from these, and a request's fiber copies its refs map
 * several times (forked, provided, spanned), so every entry costs on every request. The host's
 * build leaves some behind (refs set with `locally`, then restored).
 */
const withoutIdleRefs = (_: FiberId.Runtime, refs: FiberRefs.FiberRefs): FiberRefs.FiberRefs => {
  const none = FiberRefs.empty()
  let kept = refs
  for (const ref of FiberRefs.fiberRefs(refs)) {
    // A ref's initial value is what an empty set of refs reads.
    if (FiberRefs.getOrDefault(refs, ref) === FiberRefs.getOrDefault(none, ref)) kept = FiberRefs.delete(kept, ref)
  }
  return kept
}

/** `app` must be `interruptible` already (done once where it is known, not per request). */
export const make = <E, R>(app: HttpApp.Default<E, R>, settings: Settings): Effect.Effect<Server, never, R> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<R>()
    const listened = yield* Deferred.make<HttpServer.Address>()
    // Serializes listen and drain: a stop that begins while `listen` runs waits for it.
    const lock = yield* Effect.makeSemaphore(1)
    let stopRequested = false
    let current: Listening | undefined
    let boundAddress: HttpServer.Address | undefined
    const inFlightLabels = Metrics.labels(["service", settings.name])
    // The series exists from the start, at 0.
    Metrics.httpInFlight.unsafeModify(0, inFlightLabels)
    const drainLabels = {
      graceful: Metrics.labels(["service", settings.name], ["outcome", "graceful"]),
      deadline: Metrics.labels(["service", settings.name], ["outcome", "deadline"])
    }

    const listen: Effect.Effect<void, HttpListenError> = lock.withPermits(1)(Effect.gen(function*() {
      if (stopRequested || current !== undefined) return
      const scope = yield* Scope.make()
      const node = settings.createServer()
      const connections = new Connections(node, inFlightLabels)
      const closed = yield* Deferred.make<void>()
      node.once("close", () => Deferred.unsafeDone(closed, Exit.void))
      const server = yield* NodeHttpServer.make(() => node, { port: settings.port, host: settings.host }).pipe(
        Scope.extend(scope),
        Effect.tapErrorCause((cause) => Scope.close(scope, Exit.failCause(cause))),
        Effect.catchAllCause((cause) =>
          Either.match(Cause.failureOrCause(cause), {
            onLeft: (error) =>
              Effect.fail(
                new HttpListenError({
                  service: settings.name,
                  address: requestedAddress(settings),
                  ...describeListenFailure(error),
                  cause
                })
              ),
            onRight: Effect.failCause
          })
        )
      )
      // The handler's runtime is taken from here: without the `HttpHost.listen` span (every
      // request would otherwise become its child) and with interruption enabled.
      // `HttpServer.serve` erases the app's requirements; they are provided right here.
      const served = tracked(app, connections, settings.intercept) as HttpApp.Default<unknown>
      // A request is in no phase of the host: its lines would otherwise carry the listen step's
      // `phase: "started"` (they keep `service`, the HttpHost serving them).
      const serve = Effect.locallyWith(server.serve(served), FiberRef.currentLogAnnotations, HashMap.remove("phase"))
      // Without the runner's watch too (a host a request would build is none of the runner's):
      // set to its initial value for the serve only, it is dropped with the idle refs, and the
      // listen step's fiber (which runs the other `started` callbacks) gets it back.
      yield* Effect.zipRight(Effect.updateFiberRefs(withoutIdleRefs), serve).pipe(
        Effect.locally(currentWatch, Option.none()),
        Effect.mapInputContext((ctx: Context.Context<R | Scope.Scope>) => Context.omit(Tracer.ParentSpan)(ctx)),
        Effect.provide(context),
        Scope.extend(scope),
        Effect.interruptible
      )
      current = { node, connections, scope, closed }
      boundAddress = server.address
      yield* Deferred.succeed(listened, server.address)
      yield* Effect.logInfo(`Now listening on: ${HttpServer.formatAddress(server.address)}`)
    })).pipe(
      // It never will: whoever waits for the address (an `onStarted` callback printing it) ends
      // instead of holding the failed start.
      Effect.tapErrorCause(() => Deferred.interrupt(listened)),
      Effect.uninterruptible
    )

    /** Closes the listener (no new connections) and the idle connections. */
    const closeListener = (live: Listening) => {
      if (live.node.listening) live.node.close()
      live.connections.closeIdle()
    }

    const abort = (live: Listening, reason: string) =>
      Effect.gen(function*() {
        closeListener(live)
        const now = Date.now()
        // Logged first: at the host's deadline the process may end right after this.
        for (const { request, startedAt } of live.connections.requests.values()) {
          yield* Effect.logError(
            `Interrupting ${request.method ?? "?"} ${request.url ?? "?"}: still running after ${now - startedAt}ms at ${reason}`
          )
        }
        live.connections.interruptAll(yield* Effect.fiberId)
        // Interrupted handlers answer 503 (with Connection: close) if they had not answered yet.
        // A request that ignores interruption (a route declared `uninterruptible`) is not waited
        // for: its fiber may be waiting for a write to a client that does not read (the platform
        // writes a response uninterruptibly), and the deadline must hold.
        yield* atMost(whenIdle(live.connections), 100)
        live.connections.destroyAll()
        yield* atMost(Deferred.await(live.closed), 1000)
        yield* Scope.close(live.scope, Exit.void)
      }).pipe(Effect.uninterruptible)

    const runDrain = Effect.gen(function*() {
      stopRequested = true
      const live = yield* lock.withPermits(1)(Effect.sync(() => current))
      if (live === undefined) {
        // Stopped before it listened: it never will.
        yield* Deferred.interrupt(listened)
        return
      }
      const startedAt = yield* Clock.currentTimeMillis
      // Keep-alive clients re-resolve (and leave this instance) as soon as they can.
      live.connections.askClientsToClose()
      let aborted = false
      const recordDrain = Effect.map(Clock.currentTimeMillis, (now) =>
        Metrics.httpDrainDuration.unsafeUpdate((now - startedAt) / 1000, aborted ? drainLabels.deadline : drainLabels.graceful))
      const abortOnce = (reason: string) =>
        Effect.suspend(() => {
          if (aborted) return Effect.void
          aborted = true
          return abort(live, reason)
        })
      const graceful = Effect.gen(function*() {
        if (Duration.greaterThan(settings.drainDelay, Duration.zero)) {
          yield* Effect.logInfo(`Draining: readiness is failing; closing the listener in ${Duration.format(settings.drainDelay)}`)
          yield* Effect.sleep(settings.drainDelay)
        }
        closeListener(live)
        const pending = live.connections.size
        yield* Effect.logInfo(
          pending > 0
            ? `No longer accepting connections; waiting for ${pending} request(s) in flight`
            : "No longer accepting connections"
        )
        yield* Deferred.await(live.closed)
      })
      const finished = yield* graceful.pipe(
        Effect.timeoutOption(settings.shutdownTimeout),
        // The host's own deadline interrupts this callback without waiting for it.
        Effect.onInterrupt(() => Effect.zipRight(abortOnce("the host's shutdown deadline"), recordDrain))
      )
      if (Option.isNone(finished)) {
        yield* abortOnce(`the HTTP shutdown deadline of ${Duration.format(settings.shutdownTimeout)}`)
      } else {
        yield* Scope.close(live.scope, Exit.void)
      }
      yield* recordDrain
      yield* Effect.logInfo("HTTP server stopped")
    })

    // Once per server: later callers wait for the first drain.
    const drain = yield* Effect.cached(runDrain)

    return {
      listen,
      drain,
      address: Deferred.await(listened),
      addressOption: Deferred.poll(listened).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.succeedNone, onSome: Effect.asSome }))
      ),
      unsafeAddress: () => boundAddress,
      inFlight: Effect.sync(() => current?.connections.size ?? 0)
    } satisfies Server
  })
