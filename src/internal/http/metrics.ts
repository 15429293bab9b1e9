/**
 * HttpHost's `/metrics` endpoint: every metric of the process (Effect's registry) in the
 * Prometheus text format, answered in front of the application like the health endpoints. Off
 * by default; on with `HttpHost.layer(app, { metrics: true })` or `Http:Metrics:Enabled=true`.
 *
 * @internal
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Options } from "../../HttpHost.js"
import * as Prometheus from "../prometheus.js"

export const defaultPath = "/metrics"

const scrape: HttpApp.Default = Effect.map(Prometheus.text, (body) =>
  HttpServerResponse.text(body, { contentType: Prometheus.contentType, headers: { "cache-control": "no-store" } }))

/**
 * Where to serve the metrics, or `undefined` for nowhere. Code wins over configuration: `false`
 * turns the endpoint off whatever the configuration says, `true` or `{ path }` turns it on.
 */
export const resolvePath = (
  option: Options["metrics"],
  fromConfig: { readonly enabled: Option.Option<boolean>; readonly path: Option.Option<string> }
): string | undefined => {
  if (option === false) return undefined
  if (option === undefined && !Option.getOrElse(fromConfig.enabled, () => false)) return undefined
  const path = typeof option === "object" ? option.path : undefined
  return path ?? Option.getOrElse(fromConfig.path, () => defaultPath)
}

/** The metrics response for a `GET`/`HEAD` of `path`, else `undefined` (the application answers). */
export const endpoint = (path: string) => (request: HttpServerRequest.HttpServerRequest): HttpApp.Default | undefined => {
  const url = request.url
  const query = url.indexOf("?")
  if ((query === -1 ? url : url.slice(0, query)) !== path) return undefined
  const method = request.method
  return method === "GET" || method === "HEAD" ? scrape : undefined
}
