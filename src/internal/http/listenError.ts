/**
 * Why an HttpHost could not listen, in one line that names the address and the system's reason
 * (`HttpHost could not listen on 0.0.0.0:3000: address already in use (EADDRINUSE)`), instead of
 * the platform's `ServeError: An error has occurred` with the reason in a nested cause.
 *
 * @internal
 */
import type * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Predicate from "effect/Predicate"
import * as Util from "node:util"

export class HttpListenError extends Data.TaggedError("HttpListenError")<{
  /** The hosted service (`HttpHost.Options.name`). */
  readonly service: string
  /** The address it was asked to listen on. */
  readonly address: HttpServer.Address
  /** The system error code (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`), when there is one. */
  readonly code: string | undefined
  /** The reason in words (`address already in use`). */
  readonly reason: string
  /** The listen's own failure, as the platform reported it. */
  readonly cause: Cause.Cause<HttpServerError.ServeError>
}> {
  override get message(): string {
    return `${this.service} could not listen on ${formatAddress(this.address)}: ${this.reason}` +
      (this.code === undefined ? "" : ` (${this.code})`)
  }
}

/** `127.0.0.1:3000`, `[::1]:3000`, or a socket path. */
export const formatAddress = (address: HttpServer.Address): string => {
  if (address._tag === "UnixAddress") return address.path
  return address.hostname.includes(":") ? `[${address.hostname}]:${address.port}` : `${address.hostname}:${address.port}`
}

/** The code and reason of the system error under a `ServeError` (Node's `listen` error). */
export const describeListenFailure = (
  error: HttpServerError.ServeError
): { readonly code: string | undefined; readonly reason: string } => {
  const underlying: unknown = error.cause
  const code = Predicate.hasProperty(underlying, "code") && typeof underlying.code === "string"
    ? underlying.code
    : undefined
  // Node's `errno` is the negative libuv code; the map gives its description ("address already in use").
  const known = Predicate.hasProperty(underlying, "errno") && typeof underlying.errno === "number"
    ? Util.getSystemErrorMap().get(underlying.errno)?.[1]
    : undefined
  const message = underlying instanceof Error && underlying.message.length > 0 ? underlying.message : undefined
  return { code, reason: known ?? message ?? error.message }
}
