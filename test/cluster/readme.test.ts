/**
 * The README's scale-out example, in behaviour: a runner with a cluster cron job, a durable
 * queue's workers and an HTTP app that enqueues; the request's response comes once the task is
 * stored, the task runs, and /health/ready reports the check "cluster" healthy.
 */
import { HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { DateTime, Effect, Schedule, Schema } from "effect"
import { ClusterScheduledService, DurableTaskQueue, HostCluster } from "effect-host/cluster"
import { HttpHost } from "effect-host/http"
import * as path from "node:path"
import { hostOptions, startHost, tempDir } from "./util/cluster.js"

it.scopedLive("README: a runner with a cluster cron job, a durable queue and an HTTP app that enqueues", () =>
  Effect.gen(function*() {
    const sent: Array<string> = []
    const Invoices = ClusterScheduledService.make("Invoices", {
      schedule: "0 2 * * *",
      timeZone: "Europe/Berlin",
      run: (slot) => Effect.log(`invoicing ${DateTime.formatIsoDate(slot)}`)
    })
    const Emails = DurableTaskQueue.make("Emails", {
      payload: Schema.Struct({ id: Schema.String, to: Schema.String }),
      key: (email) => email.id,
      run: (email) => Effect.sync(() => void sent.push(`${email.id} to ${email.to}`))
    })
    const app = Effect.as(Emails.enqueue({ id: "welcome-42", to: "ada@example.com" }), HttpServerResponse.text("queued"))
    const { context } = yield* startHost(
      [HostCluster.layer({ sql: { filename: path.join(tempDir(), "cluster.db") } }), Invoices, Emails.layer, HttpHost.layer(app, { port: 0 })],
      hostOptions()
    )
    const address = yield* Effect.provide(HttpHost.address, context)
    const base = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : ""
    const response = yield* Effect.promise(() => fetch(`${base}/`).then((r) => r.text()))
    expect(response).toBe("queued")
    yield* Effect.suspend(() => (sent.length > 0 ? Effect.void : Effect.fail("not yet"))).pipe(
      Effect.retry(Schedule.spaced("50 millis")),
      Effect.timeout("15 seconds")
    )
    expect(sent).toEqual(["welcome-42 to ada@example.com"])
    const ready = yield* Effect.promise(() => fetch(`${base}/health/ready`).then(async (r) => ({ status: r.status, body: await r.json() as { checks: ReadonlyArray<{ name: string; status: string }> } })))
    expect(ready.status).toBe(200)
    expect(ready.body.checks).toEqual([expect.objectContaining({ name: "cluster", status: "Healthy" })])
  }))
