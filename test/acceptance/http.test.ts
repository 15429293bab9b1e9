/**
 * Acceptance, black-box: HttpHost and Health (DESIGN.md, "HTTP and health"), on a real port.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ApplicationLifetime, Host, HostedService } from "effect-host"
import { Health, HttpHost } from "effect-host/http"

describe("acceptance: HttpHost + Health", () => {
  it.live("serves the app and the health endpoints once every other service started; stops last", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
      const Worker = HostedService.make("Worker", {
        start: Effect.sync(() => void log.push("Worker.start")),
        stop: Effect.sync(() => void log.push("Worker.stop"))
      })
      const results = yield* Effect.gen(function*() {
        yield* ApplicationLifetime.started
        const { port } = (yield* HttpHost.address) as { port: number }
        const get = (p: string) =>
          Effect.promise(async () => {
            const res = await fetch(`http://127.0.0.1:${port}${p}`)
            return { status: res.status, body: await res.text() }
          })
        return {
          root: yield* get("/"),
          live: yield* get("/health/live"),
          ready: yield* get("/health/ready"),
          startup: yield* get("/health/startup")
        }
      }).pipe(
        Effect.provide(Host.make([
          Worker,
          Health.check("db", Effect.fail(new Error("db down")), { tags: ["ready"] }),
          HttpHost.layer(router, { port: 0, host: "127.0.0.1" })
        ], { configuration: false, logger: false })),
        Effect.orDie
      )
      expect(results.root).toStrictEqual({ status: 200, body: "hello" })
      expect(results.live.status).toBe(200)
      expect(results.startup.status).toBe(200)
      expect(results.ready.status).toBe(503)
      expect(results.ready.body).toContain("db")
      expect(() => JSON.parse(results.ready.body) as unknown).not.toThrow()
      expect(log).toStrictEqual(["Worker.start", "Worker.stop"])
    }))
})
