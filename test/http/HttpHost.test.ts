/**
 * HttpHost over real sockets on 127.0.0.1: when it listens, the stop order (readiness, drain
 * delay, listener, in-flight requests, then the other services), idle keep-alive connections,
 * the deadline, configuration and a port already in use.
 *
 * Real sockets need the live clock; every wait is tiny and only lets I/O happen.
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpMiddleware,
  HttpRouter,
  HttpServer,
  HttpServerRespondable as Respondable,
  HttpServerResponse
} from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Context, Deferred, Effect, Exit, Fiber, Layer, Option, Schema, Stream } from "effect"
import { ApplicationLifetime, Host, HostedService, HostError } from "effect-host"
import { HttpHost } from "effect-host/http"
import * as Http from "node:http"
import * as Net from "node:net"
import * as HttpHostInternal from "../../src/internal/http/httpHost.js"
import {
  attempt,
  baseUrl,
  captureLogs,
  eventually,
  freePort,
  get,
  getEffect,
  portOf,
  probe,
  probeEffect
} from "../fixtures/http/client.js"

const hello = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

/**
 * Builds and starts `Host.make(services)` in the test's scope (closing it stops the host) and
 * returns the host's context: its lifetime and the services' outputs (the HttpHost tag).
 */
const buildHost = <const S extends ReadonlyArray<Layer.Layer.Any>>(
  services: S,
  options?: Host.Options,
  logs = captureLogs()
) => Effect.map(Layer.build(Host.make(services, options)).pipe(Effect.provide(logs.layer)), (context) => ({ context }))

/** The HttpHost from a host's context. */
const httpHostOf = (context: Context.Context<HttpHost.HttpHost>) => Context.get(context, HttpHost.HttpHost)

/** Runs `Host.launch` in a fiber and hands back the fiber and the host's lifetime. */
const launch = <const S extends ReadonlyArray<Layer.Layer.Any>>(services: S, options?: Host.Options) =>
  Effect.gen(function*() {
    const lifetime = yield* Deferred.make<ApplicationLifetime["Type"]>()
    const Grab = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (l) => Deferred.succeed(lifetime, l)))
    const fiber = yield* Effect.fork(Host.launch([Grab, ...services], options))
    const handle = { fiber, lifetime: yield* Deferred.await(lifetime) }
    // `started` fires after the lifetime callbacks, the server's listen among them.
    yield* handle.lifetime.started
    return handle
  })

/** Requests a stop and waits until it has finished. */
const stopHost = (context: Context.Context<ApplicationLifetime>) =>
  Effect.gen(function*() {
    const lifetime = Context.get(context, ApplicationLifetime)
    yield* lifetime.stopApplication
    yield* lifetime.stopped
  })

describe("HttpHost", () => {
  it.scopedLive("listens only after every other hosted service has started", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const seen: Array<string> = []
      // Registered after HttpHost, and its `started` hook is the last hook of the start.
      const Probe = HostedService.make("Probe", {
        start: Effect.promise(() => probe(port)).pipe(Effect.map((r) => seen.push(`start: ${r}`))),
        started: Effect.promise(() => probe(port)).pipe(Effect.map((r) => seen.push(`started: ${r}`)))
      })
      const { context } = yield* buildHost([HttpHost.layer(hello, { port, host: "127.0.0.1" }), Probe])
      expect(seen).toEqual(["start: ECONNREFUSED", "started: ECONNREFUSED"])
      const address = yield* httpHostOf(context).address
      expect(portOf(address)).toBe(port)
      const answer = yield* getEffect(`${baseUrl(address)}/`)
      expect(answer).toMatchObject({ status: 200, body: "hello" })
    }))

  it.scopedLive("port 0 binds a free port, exposed through the HttpHost tag and logged", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const { context } = yield* buildHost([HttpHost.layer(hello, { port: 0, host: "127.0.0.1" })], {}, logs)
      const address = yield* httpHostOf(context).address
      expect(portOf(address)).toBeGreaterThan(0)
      expect(logs.lines.map((l) => l.message)).toContain(`Now listening on: ${baseUrl(address)}`)
      expect((yield* getEffect(`${baseUrl(address)}/`)).status).toBe(200)
    }))

  it.scopedLive("a handler that dies or fails unhandled: answered 500 and logged with its cause; a 404 and a Respondable error are the app's answers, not logged", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      class Teapot extends Schema.TaggedError<Teapot>()("Teapot", {}) {
        [Respondable.symbol]() {
          return HttpServerResponse.empty({ status: 418 })
        }
      }
      const app = HttpRouter.empty.pipe(
        HttpRouter.get("/throw", Effect.sync((): HttpServerResponse.HttpServerResponse => {
          throw new Error("handler-defect")
        })),
        HttpRouter.get("/typed", Effect.fail(new Error("handler-failure"))),
        HttpRouter.get("/teapot", Effect.fail(new Teapot()))
      )
      const { context } = yield* buildHost([HttpHost.layer(app, { port: 0, host: "127.0.0.1" })], {}, logs)
      const url = baseUrl(yield* httpHostOf(context).address)
      const statuses = []
      for (const path of ["/throw", "/typed", "/teapot", "/missing"]) statuses.push((yield* getEffect(`${url}${path}`)).status)
      expect(statuses).toEqual([500, 500, 418, 404])
      const errors = logs.lines.filter((l) => l.level === "ERROR")
      expect(errors.map((l) => l.message)).toEqual(["HTTP GET /throw failed; answered 500", "HTTP GET /typed failed; answered 500"])
      expect(errors[0]?.cause).toContain("handler-defect")
      expect(errors[1]?.cause).toContain("handler-failure")
      // A request's lines name the HttpHost serving it, and no phase of the host (the listen
      // step's "started" was carried into every request).
      expect(errors[0]?.annotations).toMatchObject({ service: "HttpHost" })
      expect(errors[0]?.annotations).not.toHaveProperty("phase")
    }))

  it.scopedLive("stop: readiness fails, drain delay, listener closes, in-flight request ends with Connection: close, then the other services stop", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const order: Array<string> = []
      const router = hello.pipe(
        HttpRouter.get(
          "/slow",
          Deferred.await(release).pipe(
            Effect.tap(() => order.push("handler done")),
            Effect.as(HttpServerResponse.text("slow done"))
          )
        )
      )
      let port = 0
      // Registered first, so it would stop last anyway: the point is that it stops after the
      // server has closed, whatever the order.
      const Other = HostedService.make("Other", {
        stopping: Effect.promise(() => probe(port)).pipe(Effect.map((r) => order.push(`Other.stopping (new connection: ${r})`)))
      })
      const { context } = yield* buildHost([
        Other,
        HttpHost.layer(router, { port: 0, host: "127.0.0.1", drainDelay: "400 millis" })
      ])
      const host = httpHostOf(context)
      const url = baseUrl(yield* host.address)
      port = portOf(yield* host.address)

      // A request in flight, on a keep-alive connection.
      const agent = new Http.Agent({ keepAlive: true })
      const slow = get(`${url}/slow`, agent)
      yield* eventually(Effect.map(host.inFlight, (n) => n === 1))

      const lifetime = Context.get(context, ApplicationLifetime)
      yield* lifetime.stopApplication
      // From the signal on: readiness 503, liveness 200, new requests still served (drain delay)
      // but asked to close their connection.
      yield* eventually(Effect.map(Effect.promise(() => get(`${url}/health/ready`)), (a) => a.status === 503))
      const live = yield* getEffect(`${url}/health/live`)
      expect(live.status).toBe(200)
      const during = yield* getEffect(`${url}/`)
      expect(during).toMatchObject({ status: 200, body: "hello" })
      expect(during.headers.connection).toBe("close")

      // After the drain delay the listener is closed; the slow request is still running and the
      // other service has not begun to stop.
      yield* eventually(Effect.map(probeEffect(port), (r) => r === "ECONNREFUSED"))
      expect(order).toEqual([])

      yield* Deferred.succeed(release, undefined)
      const answer = yield* Effect.promise(() => slow)
      expect(answer).toMatchObject({ status: 200, body: "slow done" })
      expect(answer.headers.connection).toBe("close")
      yield* lifetime.stopped
      // The response was written and its connection closed before the other service began to stop.
      expect(order).toEqual(["handler done", "Other.stopping (new connection: ECONNREFUSED)"])
      agent.destroy()
    }))

  it.scopedLive("an idle keep-alive connection and a silent connection do not delay the stop", () =>
    Effect.gen(function*() {
      const { context } = yield* buildHost([HttpHost.layer(hello, { port: 0, host: "127.0.0.1" })])
      const address = yield* httpHostOf(context).address
      const agent = new Http.Agent({ keepAlive: true })
      const answer = yield* getEffect(`${baseUrl(address)}/`, agent)
      expect(answer.headers.connection).toBe("keep-alive")
      const closed: Array<string> = []
      const sockets = Object.values(agent.freeSockets).flat()
      expect(sockets.length).toBe(1)
      sockets[0]?.once("close", () => closed.push("keep-alive"))
      // A connection that never sends a request: Node's own close would wait for it forever.
      const silent = Net.connect(portOf(address), "127.0.0.1")
      silent.on("error", () => {})
      silent.once("close", () => closed.push("silent"))
      yield* Effect.promise(() => new Promise((resolve) => silent.once("connect", resolve)))

      const startedAt = Date.now()
      yield* stopHost(context)
      const elapsed = Date.now() - startedAt
      yield* eventually(Effect.sync(() => closed.length === 2))
      expect(closed.sort()).toEqual(["keep-alive", "silent"])
      // Node's keep-alive timeout is 5 s; a stop that waited for it would take at least that.
      expect(elapsed).toBeLessThan(2_500)
      agent.destroy()
    }))

  it.scopedLive("a response whose headers went out before the stop (keep-alive) still closes its connection when it ends", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const router = hello.pipe(HttpRouter.get(
        "/stream",
        Effect.succeed(HttpServerResponse.stream(
          Stream.concat(
            Stream.make(new TextEncoder().encode("first ")),
            Stream.fromEffect(Effect.as(Deferred.await(release), new TextEncoder().encode("last")))
          )
        ))
      ))
      const { context } = yield* buildHost([HttpHost.layer(router, { port: 0, host: "127.0.0.1" })])
      const url = baseUrl(yield* httpHostOf(context).address)
      const agent = new Http.Agent({ keepAlive: true })
      const headers = yield* Effect.promise(() =>
        new Promise<{ connection: string | undefined; body: Promise<string>; socketClosed: Promise<void> }>((resolve) => {
          Http.get(`${url}/stream`, { agent }, (response) => {
            let body = ""
            response.setEncoding("utf8")
            response.on("data", (chunk: string) => (body += chunk))
            resolve({
              connection: response.headers.connection,
              body: new Promise((r) => response.on("end", () => r(body))),
              socketClosed: new Promise((r) => response.socket.once("close", () => r()))
            })
          })
        })
      )
      expect(headers.connection).toBe("keep-alive")
      const lifetime = Context.get(context, ApplicationLifetime)
      yield* lifetime.stopApplication
      yield* eventually(Effect.map(probeEffect(portOf(yield* httpHostOf(context).address)), (r) => r === "ECONNREFUSED"))
      const startedAt = Date.now()
      yield* Deferred.succeed(release, undefined)
      expect(yield* Effect.promise(() => headers.body)).toBe("first last")
      yield* Effect.promise(() => headers.socketClosed)
      yield* lifetime.stopped
      // Without closing it, the connection would stay open for Node's 5 s keep-alive timeout.
      expect(Date.now() - startedAt).toBeLessThan(2_500)
      agent.destroy()
    }))

  describe("at the deadline", () => {
    /** A route that never answers; records when it begins and when it is interrupted. */
    const never = (seen: Array<string>) =>
      hello.pipe(HttpRouter.get(
        "/never",
        Effect.sync(() => seen.push("handler began")).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Effect.sync(() => seen.push("handler interrupted")))
        )
      ))

    it.scopedLive("HttpHost's own shutdownTimeout interrupts and logs the request; the others then stop gracefully", () =>
      Effect.gen(function*() {
        const logs = captureLogs()
        const port = yield* Effect.promise(freePort)
        const seen: Array<string> = []
        const Other = HostedService.make("Other", { stop: Effect.sync(() => seen.push("Other.stop")) })
        const host = yield* launch([
          Other,
          HttpHost.layer(never(seen), { port, host: "127.0.0.1", shutdownTimeout: "300 millis" })
        ]).pipe(Effect.provide(logs.layer))
        const answer = attempt(`http://127.0.0.1:${port}/never`)
        yield* eventually(Effect.sync(() => seen.includes("handler began")))

        yield* host.lifetime.stopApplication
        const exit = yield* Fiber.await(host.fiber)

        expect(Exit.isSuccess(exit)).toBe(true)
        // The interrupted handler still answered: 503, and the connection closes.
        expect(yield* Effect.promise(() => answer)).toMatchObject({ status: 503, headers: { connection: "close" } })
        expect(seen).toEqual(["handler began", "handler interrupted", "Other.stop"])
        const errors = logs.lines.filter((l) => l.level === "ERROR").map((l) => l.message)
        expect(errors).toEqual([
          expect.stringMatching(/^Interrupting GET \/never: still running after \d+ms at the HTTP shutdown deadline of 300ms$/)
        ])
      }))

    it.scopedLive("by default the host's shutdownTimeout bounds the requests: interrupted, logged, ShutdownTimeoutError", () =>
      Effect.gen(function*() {
        const logs = captureLogs()
        const port = yield* Effect.promise(freePort)
        const seen: Array<string> = []
        const host = yield* launch([HttpHost.layer(never(seen), { port, host: "127.0.0.1" })], {
          shutdownTimeout: "300 millis"
        }).pipe(Effect.provide(logs.layer))
        const answer = attempt(`http://127.0.0.1:${port}/never`)
        yield* eventually(Effect.sync(() => seen.includes("handler began")))

        yield* host.lifetime.stopApplication
        const exit = yield* Fiber.await(host.fiber)

        expect(exit).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "ShutdownTimeoutError" } } })
        // The host does not wait for the cleanup after its deadline; it follows at once.
        yield* eventually(Effect.sync(() => seen.includes("handler interrupted")))
        const answered = yield* Effect.promise(() => answer)
        expect("error" in answered || answered.status === 503).toBe(true)
        yield* eventually(Effect.map(probeEffect(port), (r) => r === "ECONNREFUSED"))
        expect(logs.lines.map((l) => l.message)).toContainEqual(
          expect.stringMatching(/^Interrupting GET \/never: still running after \d+ms at the host's shutdown deadline$/)
        )
      }))
    it.scopedLive("HttpHost's own deadline holds for a route declared uninterruptible: logged, its connection closed, the others stop; the route runs on", () =>
      Effect.gen(function*() {
        const logs = captureLogs()
        const port = yield* Effect.promise(freePort)
        const seen: Array<string> = []
        const release = yield* Deferred.make<void>()
        const Other = HostedService.make("Other", { stop: Effect.sync(() => seen.push("Other.stop")) })
        const app = hello.pipe(HttpRouter.get(
          "/kept",
          Effect.sync(() => seen.push("handler began")).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.zipRight(Effect.sync(() => seen.push("handler ended"))),
            Effect.as(HttpServerResponse.text("kept"))
          ),
          { uninterruptible: true }
        ))
        const host = yield* launch([Other, HttpHost.layer(app, { port, host: "127.0.0.1", shutdownTimeout: "200 millis" })])
          .pipe(Effect.provide(logs.layer))
        const answer = attempt(`http://127.0.0.1:${port}/kept`)
        yield* eventually(Effect.sync(() => seen.includes("handler began")))

        yield* host.lifetime.stopApplication
        const exit = yield* Fiber.await(host.fiber)

        expect(Exit.isSuccess(exit)).toBe(true)
        expect(seen).toEqual(["handler began", "Other.stop"])
        expect(logs.lines.map((l) => l.message)).toContainEqual(expect.stringMatching(/^Interrupting GET \/kept: still running after \d+ms at the HTTP shutdown deadline of 200ms$/))
        expect(yield* Effect.promise(() => answer)).toHaveProperty("error")
        yield* Deferred.succeed(release, undefined)
        yield* eventually(Effect.sync(() => seen.includes("handler ended")))
      }))

    it.scopedLive("a route declared uninterruptible is not interrupted, and the host's deadline still bounds the stop", () =>
      Effect.gen(function*() {
        const logs = captureLogs()
        const port = yield* Effect.promise(freePort)
        const seen: Array<string> = []
        const release = yield* Deferred.make<void>()
        const app = hello.pipe(HttpRouter.get(
          "/kept",
          Effect.sync(() => seen.push("handler began")).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.onInterrupt(() => Effect.sync(() => seen.push("handler interrupted"))),
            Effect.as(HttpServerResponse.text("kept"))
          ),
          { uninterruptible: true }
        ))
        const host = yield* launch([HttpHost.layer(app, { port, host: "127.0.0.1" })], {
          shutdownTimeout: "300 millis"
        }).pipe(Effect.provide(logs.layer))
        const answer = attempt(`http://127.0.0.1:${port}/kept`)
        yield* eventually(Effect.sync(() => seen.includes("handler began")))

        yield* host.lifetime.stopApplication
        const exit = yield* Fiber.await(host.fiber)

        expect(exit).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "ShutdownTimeoutError" } } })
        expect(seen).toEqual(["handler began"])
        yield* Deferred.succeed(release, undefined)
        yield* Effect.promise(() => answer)
      }))

    it.scopedLive("a bare HttpApp (not a router) that never answers is interrupted too", () =>
      Effect.gen(function*() {
        const logs = captureLogs()
        const seen: Array<string> = []
        const app = Effect.sync(() => seen.push("handler began")).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Effect.sync(() => seen.push("handler interrupted"))),
          Effect.as(HttpServerResponse.text("unreachable"))
        )
        const { context } = yield* buildHost([HttpHost.layer(app, { port: 0, host: "127.0.0.1", shutdownTimeout: "200 millis" })], {}, logs)
        const address = yield* httpHostOf(context).address
        const answer = attempt(`${baseUrl(address)}/anything`)
        yield* eventually(Effect.sync(() => seen.includes("handler began")))
        yield* stopHost(context)
        expect(seen).toEqual(["handler began", "handler interrupted"])
        expect(yield* Effect.promise(() => answer)).toMatchObject({ status: 503 })
      }))
  })

  describe("a client that goes away interrupts its route, except a route declared uninterruptible, which runs to its end as under NodeHttpServer", () => {
    const scenario = (serve: (app: HttpRouter.HttpRouter<never, never>) => Layer.Layer<HttpHost.HttpHost, unknown, ApplicationLifetime>) =>
      Effect.gen(function*() {
        const seen: Array<string> = []
        const release = yield* Deferred.make<void>()
        const route = (name: string) =>
          Effect.sync(() => seen.push(`${name} began`)).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.zipRight(Effect.sync(() => seen.push(`${name} ended`))),
            Effect.onInterrupt(() => Effect.sync(() => seen.push(`${name} interrupted`))),
            Effect.as(HttpServerResponse.text(name))
          )
        const app = hello.pipe(
          HttpRouter.get("/plain", route("plain")),
          HttpRouter.get("/kept", route("kept"), { uninterruptible: true })
        )
        const { context } = yield* buildHost([serve(app)])
        const url = baseUrl(yield* httpHostOf(context).address)
        for (const path of ["/plain", "/kept"]) {
          const request = Http.get(`${url}${path}`)
          request.on("error", () => {})
          yield* eventually(Effect.sync(() => seen.includes(`${path.slice(1)} began`)))
          request.destroy()
          // The server saw the connection close: the platform interrupts a request's fiber then.
          yield* eventually(Effect.map(httpHostOf(context).inFlight, (n) => n === 0))
        }
        yield* eventually(Effect.sync(() => seen.includes("plain interrupted")))
        yield* Deferred.succeed(release, undefined)
        yield* eventually(Effect.sync(() => seen.includes("kept ended")))
        expect(seen.filter((line) => line.startsWith("plain"))).toEqual(["plain began", "plain interrupted"])
        expect(seen.filter((line) => line.startsWith("kept"))).toEqual(["kept began", "kept ended"])
      })

    it.scopedLive("a router given to HttpHost.layer", () => scenario((app) => HttpHost.layer(app, { port: 0, host: "127.0.0.1" })))

    it.scopedLive("a router with a mounted app", () =>
      scenario((app) => HttpHost.layer(HttpRouter.mountApp(app, "/mounted", HttpServerResponse.text("mounted")), { port: 0, host: "127.0.0.1" })))

    it.scopedLive("a router served with a middleware on layerServer", () =>
      scenario((app) =>
        HttpServer.serve(app, HttpMiddleware.logger).pipe(Layer.provideMerge(HttpHost.layerServer({ port: 0, host: "127.0.0.1" })))
      ))
  })

  it.scopedLive("a router's mounted app that never answers is interrupted at the deadline too", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const mounted = Effect.sync(() => seen.push("handler began")).pipe(
        Effect.zipRight(Effect.never),
        Effect.onInterrupt(() => Effect.sync(() => seen.push("handler interrupted"))),
        Effect.as(HttpServerResponse.text("unreachable"))
      )
      const app = hello.pipe(HttpRouter.mountApp("/mounted", mounted))
      const { context } = yield* buildHost([HttpHost.layer(app, { port: 0, host: "127.0.0.1", shutdownTimeout: "200 millis" })])
      const answer = attempt(`${baseUrl(yield* httpHostOf(context).address)}/mounted/x`)
      yield* eventually(Effect.sync(() => seen.includes("handler began")))
      yield* stopHost(context)
      expect(seen).toEqual(["handler began", "handler interrupted"])
      expect(yield* Effect.promise(() => answer)).toMatchObject({ status: 503 })
    }))

  describe("configuration", () => {
    it.scopedLive("Http:Port, Http:Host and Http:DrainDelaySeconds come from configuration; code wins", () =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(freePort)
        const provider = ConfigProvider.fromJson({ Http: { Port: port, Host: "127.0.0.1", DrainDelaySeconds: 0.2 } })
        const logs = captureLogs()
        const { context } = yield* buildHost([HttpHost.layer(hello)], {}, logs).pipe(Effect.withConfigProvider(provider))
        expect(yield* httpHostOf(context).address).toEqual({
          _tag: "TcpAddress",
          hostname: "127.0.0.1",
          port
        })
        yield* stopHost(context)
        expect(logs.lines.map((l) => l.message)).toContain("Draining: readiness is failing; closing the listener in 200ms")

        const { context: second } = yield* buildHost([HttpHost.layer(hello, { port: 0 })]).pipe(
          Effect.withConfigProvider(provider)
        )
        expect(portOf(yield* httpHostOf(second).address)).not.toBe(port)
      }))

    it.effect("invalid keys fail the build with every key named, before anything listens", () =>
      Effect.gen(function*() {
        const provider = ConfigProvider.fromJson({ Http: { Port: 70000, DrainDelaySeconds: "soon" } })
        const exit = yield* Host.launch([HttpHost.layer(hello)]).pipe(
          Effect.withConfigProvider(provider),
          Effect.provide(captureLogs().layer),
          Effect.exit
        )
        expect(exit._tag).toBe("Failure")
        const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
        expect(message).toMatch(/Http.Port/)
        expect(message).toMatch(/Http.DrainDelaySeconds/)
      }))

    it.effect("an empty, blank or hexadecimal Http:Port is invalid (it was port 0, a random free port, or 8080), 0 itself is a free port", () =>
      Effect.gen(function*() {
        for (const value of ["", " ", "0x1F90", "80.5", "1e3"]) {
          const provider = ConfigProvider.fromMap(new Map([["Http.Port", value]]))
          const exit = yield* Host.launch([HttpHost.layer(hello)]).pipe(
            Effect.withConfigProvider(provider),
            Effect.provide(captureLogs().layer),
            Effect.exit
          )
          const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "succeeded"
          expect(message, JSON.stringify(value)).toMatch(/Http.Port: Expected a port between 0 and 65535 \(0: a free port\), actual/)
        }
        const read = (value: string) =>
          Effect.withConfigProvider(HttpHostInternal.config(), ConfigProvider.fromMap(new Map([["Http.Port", value]])))
        expect(yield* read(" 8080 ")).toMatchObject({ port: Option.some(8080) })
        expect(yield* read("0")).toMatchObject({ port: Option.some(0) })
      }))
  })

  describe("a port already in use", () => {
    /** Listens on a free port of 127.0.0.1 with a plain `net` server (closed with the test's scope). */
    const occupyPort = Effect.gen(function*() {
      const blocker = Net.createServer()
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))),
        () => Effect.promise(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
      )
      const address = blocker.address()
      return typeof address === "object" && address !== null ? address.port : 0
    })

    it.scopedLive("fails the start: HostStartError naming HttpHost and the address, every other service rolled back, ApplicationLifetime.started never fires", () =>
      Effect.gen(function*() {
        // A first host holds the port.
        const { context: first } = yield* buildHost([HttpHost.layer(hello, { port: 0, host: "127.0.0.1" })])
        const port = portOf(yield* httpHostOf(first).address)

        const logs = captureLogs()
        const seen: Array<string> = []
        const lifetime = yield* Deferred.make<ApplicationLifetime["Type"]>()
        const Grab = Layer.effectDiscard(Effect.flatMap(ApplicationLifetime, (l) => Deferred.succeed(lifetime, l)))
        const Other = HostedService.make("Other", {
          start: Effect.sync(() => seen.push("Other.start")),
          started: Effect.sync(() => seen.push("Other.started")),
          stop: Effect.sync(() => seen.push("Other.stop"))
        })
        // Like the example's banner: a program's callback that waits for the address to print it.
        const Banner = Layer.effectDiscard(Effect.gen(function*() {
          const http = yield* HttpHost.HttpHost
          yield* ApplicationLifetime.onStarted(Effect.flatMap(http.address, (a) => Effect.sync(() => seen.push(`banner ${portOf(a)}`))))
        }))
        const Http = HttpHost.layer(hello, { port, host: "127.0.0.1" })
        const exit = yield* Host.launch([Grab, Other, Layer.provideMerge(Banner, Http)]).pipe(
          Effect.provide(logs.layer),
          // Fails the test instead of hanging it if the failed start waited for the banner.
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("Host.launch did not end") }),
          Effect.exit
        )

        expect(exit).toMatchObject({
          _tag: "Failure",
          cause: { _tag: "Fail", error: { _tag: "HostStartError", failures: [{ service: "HttpHost", phase: "started" }] } }
        })
        const hostError = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
        if (!(hostError instanceof HostError.HostStartError)) return expect.fail(`expected a HostStartError: ${String(hostError)}`)
        const listenError = Option.getOrUndefined(Cause.failureOption(hostError.failures[0]?.cause ?? Cause.empty))
        if (!(listenError instanceof HttpHost.HttpListenError)) return expect.fail(`expected an HttpListenError: ${String(listenError)}`)
        expect(listenError).toMatchObject({
          _tag: "HttpListenError",
          service: "HttpHost",
          address: { _tag: "TcpAddress", hostname: "127.0.0.1", port },
          code: "EADDRINUSE",
          reason: "address already in use",
          message: `HttpHost could not listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`
        })
        // The original failure is kept.
        expect(Option.getOrUndefined(Cause.failureOption(listenError.cause))).toMatchObject({ _tag: "ServeError" })
        // Rolled back: the other service started and was stopped; the banner never printed.
        expect(seen).toEqual(["Other.start", "Other.started", "Other.stop"])
        const host = yield* Deferred.await(lifetime)
        expect(Option.isNone(yield* Effect.timeoutOption(host.started, "50 millis"))).toBe(true)
        yield* host.stopped
        // Reported once, by the host, as the start step of HttpHost.
        const messages = logs.lines.map((l) => l.message)
        expect(messages.filter((m) => m.includes("HttpHost failed"))).toEqual(["HttpHost failed in the started event"])
        expect(messages.filter((m) => /background/i.test(m))).toEqual([])
        // The first host is untouched.
        expect(yield* getEffect(`http://127.0.0.1:${port}/`)).toMatchObject({ status: 200, body: "hello" })
      }))

    it.scopedLive("fails the start under backgroundServiceExceptionBehavior Ignore too: it is not a background failure", () =>
      Effect.gen(function*() {
        const port = yield* occupyPort
        const exit = yield* Host.launch([HttpHost.layer(hello, { port, host: "127.0.0.1", name: "Api" })], {
          backgroundServiceExceptionBehavior: "Ignore"
        }).pipe(Effect.provide(captureLogs().layer), Effect.exit)
        expect(exit).toMatchObject({
          _tag: "Failure",
          cause: { _tag: "Fail", error: { _tag: "HostStartError", failures: [{ service: "Api", phase: "started" }] } }
        })
        expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain(
          `Api could not listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`
        )
      }))
  })

  it.scopedLive("a stop requested during the start: the server never listens", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const port = yield* Effect.promise(freePort)
      const Quitter = HostedService.make("Quitter", { start: ApplicationLifetime.stopApplication })
      const exit = yield* Host.launch([HttpHost.layer(hello, { port, host: "127.0.0.1" }), Quitter]).pipe(
        Effect.provide(logs.layer),
        Effect.exit
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(yield* probeEffect(port)).toBe("ECONNREFUSED")
      expect(logs.lines.map((l) => l.message).filter((m) => m.includes("listening"))).toEqual([])
    }))

  describe("layerServer (an HttpServer for HttpRouter.Default.serve(), HttpApiBuilder.serve(), ...)", () => {
    it.scopedLive("serves the platform's served app, with health endpoints, in the same order", () =>
      Effect.gen(function*() {
        const logs = captureLogs()
        const Routes = HttpRouter.Default.use((router) => router.get("/", HttpServerResponse.text("from the router")))
        const seen: Array<string> = []
        let port = 0
        const Other = HostedService.make("Other", {
          started: Effect.promise(() => probe(port)).pipe(Effect.map((r) => seen.push(`Other.started: ${r}`))),
          stop: Effect.promise(() => probe(port)).pipe(Effect.map((r) => seen.push(`Other.stop: ${r}`)))
        })
        port = yield* Effect.promise(freePort)
        const Http = HttpRouter.Default.serve().pipe(
          Layer.provide(Routes),
          Layer.provideMerge(HttpHost.layerServer({ port, host: "127.0.0.1" }))
        )
        const { context } = yield* buildHost([Http, Other], {}, logs)
        const server = Context.get(context, HttpServer.HttpServer)
        expect(server.address).toEqual({ _tag: "TcpAddress", hostname: "127.0.0.1", port })
        const url = baseUrl(yield* httpHostOf(context).address)
        expect(yield* getEffect(`${url}/`)).toMatchObject({ status: 200, body: "from the router" })
        expect((yield* getEffect(`${url}/health/ready`)).status).toBe(200)
        expect((yield* getEffect(`${url}/nothing`)).status).toBe(404)
        yield* stopHost(context)
        expect(seen).toEqual(["Other.started: ECONNREFUSED", "Other.stop: ECONNREFUSED"])
      }))

    it.scopedLive("with port 0 the HttpServer address is the requested one until the server listens, the bound one from then on", () =>
      Effect.gen(function*() {
        const seen: Array<HttpServer.Address> = []
        // A service's start runs before the server listens; it reads the same HttpServer value.
        const Reader = Layer.unwrapEffect(Effect.map(HttpServer.HttpServer, (server) =>
          HostedService.make("Reader", {
            start: Effect.sync(() => seen.push(server.address)),
            started: Effect.sync(() => seen.push(server.address))
          })))
        const Http = Layer.merge(HttpServer.serve(hello), Reader).pipe(
          Layer.provideMerge(HttpHost.layerServer({ port: 0, host: "127.0.0.1" }))
        )
        const { context } = yield* buildHost([Http])
        const server = Context.get(context, HttpServer.HttpServer)
        expect(seen).toEqual([
          { _tag: "TcpAddress", hostname: "127.0.0.1", port: 0 },
          { _tag: "TcpAddress", hostname: "127.0.0.1", port: 0 }
        ])
        const bound = yield* httpHostOf(context).address
        expect(portOf(bound)).toBeGreaterThan(0)
        expect(server.address).toEqual(bound)
        expect(yield* getEffect(`${baseUrl(bound)}/`)).toMatchObject({ status: 200, body: "hello" })
      }))

    it.scopedLive("serves an HttpApi through HttpApiBuilder.serve()", () =>
      Effect.gen(function*() {
        const Api = HttpApi.make("api").add(
          HttpApiGroup.make("greetings").add(HttpApiEndpoint.get("hello", "/hello").addSuccess(Schema.String))
        )
        const GreetingsLive = HttpApiBuilder.group(Api, "greetings", (handlers) => handlers.handle("hello", () => Effect.succeed("hi")))
        const Http = HttpApiBuilder.serve().pipe(
          Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(GreetingsLive))),
          Layer.provideMerge(HttpHost.layerServer({ port: 0, host: "127.0.0.1" }))
        )
        const { context } = yield* buildHost([Http])
        const url = baseUrl(yield* httpHostOf(context).address)
        expect(yield* getEffect(`${url}/hello`)).toMatchObject({ status: 200, body: "\"hi\"" })
        expect((yield* getEffect(`${url}/health/live`)).status).toBe(200)
      }))
  })
})
