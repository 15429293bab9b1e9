/**
 * Connection and request bookkeeping for one Node HTTP server, so that a stop can be graceful
 * AND bounded. Node's `server.close()` alone is neither: it waits for keep-alive sockets whose
 * last response went out before the close (until their keep-alive timeout) and for connections
 * that never sent a request (with no bound at all, since closing also stops Node's timeout
 * checks), and it does not ask clients of in-flight requests to go away.
 *
 * The listeners here are attached before the platform's request handler, so they run first.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import type * as MetricLabel from "effect/MetricLabel"
import type * as Http from "node:http"
import type * as Net from "node:net"
import * as Tls from "node:tls"
import { httpInFlight } from "../metrics.js"

export interface InFlight {
  readonly request: Http.IncomingMessage
  /** Absent for upgraded connections (WebSockets). */
  readonly response: Http.ServerResponse | undefined
  /** Wall-clock start, for the log line of a request cut at the deadline. */
  readonly startedAt: number
  /** The fiber running the application for this request, once it has started. */
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
}

export class Connections {
  /** Every open connection. */
  private readonly sockets = new Set<Net.Socket>()
  /** Requests in progress per connection; a connection absent here is idle. */
  private readonly busy = new Map<Net.Socket, number>()
  readonly requests = new Map<Http.IncomingMessage, InFlight>()
  /** Responses from now on carry `Connection: close`. */
  private preferClose = false
  /** The listener is closed: idle connections are closed at once, busy ones after their last response. */
  private closing = false
  private readonly idleWaiters = new Set<() => void>()

  /**
   * `labels`: the in-flight gauge's labels (made once per server: an update is then a cached
   * lookup, see internal/metrics.ts). The gauge moves by one per request and per response closed.
   */
  constructor(server: Http.Server, private readonly labels: ReadonlyArray<MetricLabel.MetricLabel>) {
    const closed = (request: Http.IncomingMessage) => this.onResponseClosed(request, request.socket)
    this.onResponseClose = function(this: Http.ServerResponse) {
      closed(this.req)
    }
    // For TLS the request's socket is the TLS socket, not the raw TCP one of "connection".
    const connectionEvent = server instanceof Tls.Server ? "secureConnection" : "connection"
    server.on(connectionEvent, (socket: Net.Socket) => this.onConnection(socket))
    server.on("request", (request: Http.IncomingMessage, response: Http.ServerResponse) => this.onRequest(request, response))
    server.on("upgrade", (request: Http.IncomingMessage) => this.onUpgrade(request))
  }

  get size(): number {
    return this.requests.size
  }

  private onConnection(socket: Net.Socket) {
    if (this.closing) {
      // Accepted in the same tick as the close: nothing was asked of it yet.
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    socket.once("close", () => {
      this.sockets.delete(socket)
      this.busy.delete(socket)
    })
  }

  private onRequest(request: Http.IncomingMessage, response: Http.ServerResponse) {
    const socket = request.socket
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1)
    this.requests.set(request, { request, response, startedAt: Date.now(), fiber: undefined })
    httpInFlight.unsafeModify(1, this.labels)
    if (this.preferClose) response.setHeader("connection", "close")
    // One shared listener, not a closure per request: this runs for every request.
    response.on("close", this.onResponseClose)
  }

  /** "close" fires after "finish" and also when the client went away mid-response. */
  private readonly onResponseClose: (this: Http.ServerResponse) => void

  private onResponseClosed(request: Http.IncomingMessage, socket: Net.Socket) {
    if (this.requests.delete(request)) httpInFlight.unsafeModify(-1, this.labels)
    const left = (this.busy.get(socket) ?? 1) - 1
    if (left > 0) {
      this.busy.set(socket, left)
    } else {
      this.busy.delete(socket)
      // A response whose headers went out before the close said keep-alive: end it here
      // (after flushing) instead of waiting for the keep-alive timeout.
      if (this.closing) socket.destroySoon()
    }
    this.notifyIfIdle()
  }

  private onUpgrade(request: Http.IncomingMessage) {
    // An upgraded connection counts as a request in flight until its socket closes.
    const socket = request.socket
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1)
    this.requests.set(request, { request, response: undefined, startedAt: Date.now(), fiber: undefined })
    httpInFlight.unsafeModify(1, this.labels)
    socket.once("close", () => {
      if (this.requests.delete(request)) httpInFlight.unsafeModify(-1, this.labels)
      this.notifyIfIdle()
    })
  }

  /** Called from inside the application's fiber, so that the deadline can interrupt it. */
  attachFiber(request: Http.IncomingMessage, fiber: Fiber.RuntimeFiber<unknown, unknown>) {
    const entry = this.requests.get(request)
    if (entry !== undefined) entry.fiber = fiber
  }

  /** From now on, and for every response not yet started, ask the client to close the connection. */
  askClientsToClose() {
    this.preferClose = true
    for (const { response } of this.requests.values()) {
      if (response !== undefined && !response.headersSent) response.setHeader("connection", "close")
    }
  }

  /** The listener was closed: close idle connections now, busy ones after their last response. */
  closeIdle() {
    this.askClientsToClose()
    this.closing = true
    for (const socket of this.sockets) {
      if (!this.busy.has(socket)) socket.destroy()
    }
  }

  /** Interrupts the application fibers of every request still in flight. */
  interruptAll(by: FiberId.FiberId) {
    for (const { fiber } of this.requests.values()) fiber?.unsafeInterruptAsFork(by)
  }

  /** The last resort at the deadline: every connection is destroyed. */
  destroyAll() {
    this.closing = true
    for (const socket of this.sockets) socket.destroy()
    for (const { request } of this.requests.values()) request.socket.destroy()
  }

  /** Calls `callback` once no request is in flight; returns a function that cancels the wait. */
  onceIdle(callback: () => void): () => void {
    if (this.requests.size === 0) {
      callback()
      return () => {}
    }
    this.idleWaiters.add(callback)
    return () => void this.idleWaiters.delete(callback)
  }

  private notifyIfIdle() {
    // Nobody waits but the drain: this runs at every response, most often with no waiter.
    if (this.idleWaiters.size === 0 || this.requests.size > 0) return
    const waiters = [...this.idleWaiters]
    this.idleWaiters.clear()
    for (const waiter of waiters) waiter()
  }
}
