/**
 * systemd's notification protocol without a process: reading NOTIFY_SOCKET / WATCHDOG_USEC /
 * WATCHDOG_PID as sd_watchdog_enabled(3) does, taking them out of the environment, and the
 * queue in front of the sender (order, one sender at a time, coalescing, a missing sender warned
 * about once). The messages on a real socket are in systemd.process.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Systemd from "../../src/internal/node/systemd.js"

describe("Systemd.settings", () => {
  it("nothing without NOTIFY_SOCKET (or with it empty), whatever the watchdog variables say", () => {
    expect(Systemd.settings({ WATCHDOG_USEC: "1000000" }, 42)).toBeUndefined()
    expect(Systemd.settings({ NOTIFY_SOCKET: "" }, 42)).toBeUndefined()
  })

  it("the socket, and pings every WATCHDOG_USEC / 2 when WATCHDOG_PID is unset or ours", () => {
    expect(Systemd.settings({ NOTIFY_SOCKET: "/run/systemd/notify" }, 42)).toEqual({
      socket: "/run/systemd/notify",
      watchdogIntervalMs: undefined
    })
    expect(Systemd.settings({ NOTIFY_SOCKET: "@sd", WATCHDOG_USEC: "10000000" }, 42)).toEqual({ socket: "@sd", watchdogIntervalMs: 5000 })
    expect(Systemd.settings({ NOTIFY_SOCKET: "@sd", WATCHDOG_USEC: "400000", WATCHDOG_PID: "42" }, 42)?.watchdogIntervalMs).toBe(200)
  })

  it("no pings for another process's watchdog, or an invalid WATCHDOG_USEC", () => {
    expect(Systemd.settings({ NOTIFY_SOCKET: "@sd", WATCHDOG_USEC: "400000", WATCHDOG_PID: "41" }, 42)?.watchdogIntervalMs).toBeUndefined()
    for (const usec of ["0", "-5", "abc", "1e6", "", "5.5"]) {
      expect(Systemd.settings({ NOTIFY_SOCKET: "@sd", WATCHDOG_USEC: usec }, 42)?.watchdogIntervalMs).toBeUndefined()
    }
  })

  it("take removes the three variables, as sd_notify(unset_environment=1); nothing is removed without a socket", () => {
    const env: Record<string, string | undefined> = { NOTIFY_SOCKET: "@sd", WATCHDOG_USEC: "400000", WATCHDOG_PID: "42", PATH: "/bin" }
    expect(Systemd.take(env, 42)).toEqual({ socket: "@sd", watchdogIntervalMs: 200 })
    expect(env).toEqual({ PATH: "/bin" })
    const without: Record<string, string | undefined> = { WATCHDOG_USEC: "400000" }
    expect(Systemd.take(without, 42)).toBeUndefined()
    expect(without).toEqual({ WATCHDOG_USEC: "400000" })
  })
})

/** A transport that records each datagram and completes it when the test says so. */
const manual = () => {
  const sent: Array<ReadonlyArray<string>> = []
  const waiting: Array<(problem: Systemd.Problem | undefined) => void> = []
  const transport: Systemd.Transport = (assignments, done) => {
    sent.push(assignments)
    waiting.push(done)
  }
  const complete = (problem?: Systemd.Problem) => {
    const done = waiting.shift()
    if (done === undefined) throw new Error("nothing is being sent")
    done(problem)
  }
  return { sent, transport, complete, busy: () => waiting.length }
}

describe("Systemd.notifier", () => {
  it("one datagram at a time, in order; what queued meanwhile goes out together", () => {
    const t = manual()
    const notifier = Systemd.notifier(t.transport, () => expect.fail("no warning expected"))
    notifier.send("STATUS=Starting")
    notifier.send("READY=1", "STATUS=Running")
    expect(t.sent).toEqual([["STATUS=Starting"]])
    notifier.send("WATCHDOG=1")
    t.complete()
    expect(t.sent).toEqual([["STATUS=Starting"], ["READY=1", "STATUS=Running", "WATCHDOG=1"]])
    expect(t.busy()).toBe(1)
  })

  it("a queued STATUS= or WATCHDOG=1 is replaced by a newer one; other assignments stay", () => {
    const t = manual()
    const notifier = Systemd.notifier(t.transport, () => {})
    notifier.send("STATUS=Starting")
    notifier.send("READY=1", "STATUS=Running")
    notifier.send("WATCHDOG=1")
    notifier.send("WATCHDOG=1")
    notifier.send("STOPPING=1", "STATUS=Stopping")
    notifier.send("STATUS=Stopping: Db (stop)")
    t.complete()
    expect(t.sent[1]).toEqual(["READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=Stopping: Db (stop)"])
  })

  it("a missing sender: warned once, nothing sent afterwards, drain does not wait", () => {
    const t = manual()
    const warnings: Array<string> = []
    const notifier = Systemd.notifier(t.transport, (message) => warnings.push(message))
    notifier.send("STATUS=Starting")
    notifier.send("READY=1")
    t.complete({ missing: true, message: "systemd-notify was not found on PATH" })
    notifier.send("WATCHDOG=1")
    expect(t.sent).toEqual([["STATUS=Starting"]])
    expect(warnings).toEqual(["systemd-notify was not found on PATH"])
    let drained = false
    notifier.drain(10_000, () => (drained = true))
    expect(drained).toBe(true)
  })

  it("another failure (a refused socket): warned once, the next messages are still tried", () => {
    const t = manual()
    const warnings: Array<string> = []
    const notifier = Systemd.notifier(t.transport, (message) => warnings.push(message))
    notifier.send("READY=1")
    t.complete({ missing: false, message: "systemd-notify exited with 1: Connection refused" })
    notifier.send("WATCHDOG=1")
    t.complete({ missing: false, message: "systemd-notify exited with 1: Connection refused" })
    notifier.send("STOPPING=1")
    expect(t.sent).toEqual([["READY=1"], ["WATCHDOG=1"], ["STOPPING=1"]])
    expect(warnings).toHaveLength(1)
  })

  it("drain calls back once the queue is empty", () => {
    const t = manual()
    const notifier = Systemd.notifier(t.transport, () => {})
    notifier.send("STOPPING=1")
    notifier.send("STATUS=Stopped")
    let drained = 0
    notifier.drain(10_000, () => drained++)
    t.complete()
    expect(drained).toBe(0)
    t.complete()
    expect(drained).toBe(1)
  })
})
