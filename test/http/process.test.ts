/**
 * HttpHost in a real process under `NodeHost.runMain`, stopped by a real SIGTERM while real
 * clients talk to it over 127.0.0.1.
 */
import { afterEach, describe, expect, it } from "vitest"
import * as Http from "node:http"
import * as Net from "node:net"
import { attempt, get, probe } from "../fixtures/http/client.js"
import { killLeftovers, outOfOrder, start } from "../fixtures/http/child.js"

const listening = /Now listening on: http:\/\/127\.0\.0\.1:(\d+)/

const portOf = (match: RegExpExecArray): number => Number(match[1])

const until = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((r) => setTimeout(r, 10))
  }
}

afterEach(killLeftovers)

describe("HttpHost in a process", () => {
  it("SIGTERM during a 2-second request: readiness 503, listener closed after the drain delay, the request completes with Connection: close, the other service stops after the server, exit 0", async () => {
    const app = start("server.ts", { Http__DrainDelaySeconds: "0.5" })
    const port = portOf(await app.waitFor(listening))
    const url = `http://127.0.0.1:${port}`
    expect((await get(`${url}/health/ready`)).status).toBe(200)

    const slow = get(`${url}/slow`)
    await app.waitFor(/slow: begin/)
    const signalledAt = Date.now()
    app.child.kill("SIGTERM")
    await app.waitFor(/Draining: readiness is failing/)

    // The drain delay: still accepting, readiness failing, liveness fine.
    expect((await get(`${url}/health/ready`)).status).toBe(503)
    expect((await get(`${url}/health/live`)).status).toBe(200)

    // Then new connections are refused, while the slow request is still running.
    await until(async () => (await probe(port)) === "ECONNREFUSED")
    const refusedAfter = Date.now() - signalledAt
    expect(refusedAfter).toBeGreaterThanOrEqual(450)
    expect(app.output()).not.toMatch(/slow: end/)

    const answer = await slow
    expect(answer).toMatchObject({ status: 200, body: "slow done", headers: { connection: "close" } })
    expect(await app.exited).toBe(0)
    expect(outOfOrder(app.output(), [
      /Other\.start/,
      listening,
      /slow: begin/,
      /Draining: readiness is failing/,
      /No longer accepting connections; waiting for 1 request/,
      /slow: end/,
      /HTTP server stopped/,
      /Other\.stop/
    ])).toBeUndefined()
  })

  it("an idle keep-alive connection does not delay the exit (Node's keep-alive timeout is 5 s)", async () => {
    const app = start("server.ts")
    const port = portOf(await app.waitFor(listening))
    const agent = new Http.Agent({ keepAlive: true })
    const answer = await get(`http://127.0.0.1:${port}/`, agent)
    expect(answer.headers.connection).toBe("keep-alive")
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1)

    const signalledAt = Date.now()
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(0)
    const elapsed = Date.now() - signalledAt
    agent.destroy()
    // Process teardown included; waiting for the keep-alive timeout would take over 5 s.
    expect(elapsed).toBeLessThan(2_500)
  })

  it("a handler that never ends is interrupted and logged at the host's deadline: exit 124", async () => {
    const app = start("server.ts", { shutdownTimeoutSeconds: "1" })
    const port = portOf(await app.waitFor(listening))
    const never = attempt(`http://127.0.0.1:${port}/never`)
    await app.waitFor(/never: begin/)
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(124)
    expect(app.output()).toMatch(/Interrupting GET \/never: still running after \d+ms at the host's shutdown deadline/)
    const answered = await never
    expect("error" in answered || answered.status === 503).toBe(true)
  })

  it("with Http:ShutdownTimeoutSeconds below the host's budget the request is cut, the others stop gracefully: exit 0", async () => {
    const app = start("server.ts", { Http__ShutdownTimeoutSeconds: "0.5", shutdownTimeoutSeconds: "10" })
    const port = portOf(await app.waitFor(listening))
    const never = attempt(`http://127.0.0.1:${port}/never`)
    await app.waitFor(/never: begin/)
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(0)
    expect(await never).toMatchObject({ status: 503, headers: { connection: "close" } })
    expect(outOfOrder(app.output(), [
      /Interrupting GET \/never: still running after \d+ms at the HTTP shutdown deadline of 500ms/,
      /HTTP server stopped/,
      /Other\.stop/
    ])).toBeUndefined()
  })

  it("a port already in use fails the start: exit 1, one line naming the address and EADDRINUSE, never \"Application started\", the other service rolled back", async () => {
    const blocker = Net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    try {
      const address = blocker.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const app = start("port-in-use.ts", { Http__Port: String(port) })
      expect(await app.exited).toBe(1)
      const lines = app.stderr().split("\n").filter((line) => line.includes("EADDRINUSE"))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(`HttpHost could not listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`)
      expect(app.stdout().split("\n").filter((line) => line.includes("EADDRINUSE"))).toEqual([])
      expect(app.output()).not.toMatch(/Application started/)
      expect(outOfOrder(app.stdout(), [/Other\.start/, /Other\.stop/])).toBeUndefined()
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()))
    }
  })
})
