/**
 * systemd integration on real child processes: sd_notify messages received by a real AF_UNIX
 * datagram socket (test/fixtures/node/notify-receiver.py, bound to a temporary path and to an
 * abstract name), ordered against the lifecycle lines the child prints (both stamped with
 * CLOCK_MONOTONIC); the sender missing; WATCHDOG_PID for another process; pings stopping while
 * the event loop is blocked; syslog priority prefixes on the stream JOURNAL_STREAM names.
 *
 * The runner sends through the `systemd-notify` command. A fresh CI machine may not have systemd,
 * so the tests put a stand-in first on PATH (test/fixtures/node/bin/systemd-notify, python3: one
 * datagram to $NOTIFY_SOCKET); where the real command is installed, the same tests run against it.
 * The fixture is test/fixtures/node/systemd.ts.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, nodeArgs, onJournalStream, root, spawnTsx, spawnWatched, type Watched } from "../util/child.js"

afterEach(killLeftovers)

const fixture = path.join("test", "fixtures", "node", "systemd.ts")
const standInDir = path.join(root, "test", "fixtures", "node", "bin")
const receiverScript = path.join(root, "test", "fixtures", "node", "notify-receiver.py")
// The system's python3 when there is one: a version manager's `python3` shim costs about 0.1 s of
// CPU per start. Standard library only (-S), whatever PYTHON* says (-E).
const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3"
/** The directory of the real systemd-notify, when this machine has one. */
const realDir = (process.env["PATH"] ?? "").split(path.delimiter).find((dir) =>
  dir !== "" && fs.existsSync(path.join(dir, "systemd-notify")) && !dir.startsWith(standInDir)
)
const drop = ["NODE_ENV", "npm_lifecycle_event", "KUBERNETES_SERVICE_HOST", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"]

let receivers = 0

interface Received {
  readonly socket: string
  readonly assignment: string
  readonly pid: number | null
  readonly t: bigint
}

/** A receiver on a fresh temporary path and abstract name, listening. */
const startReceiver = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-notify-"))
  const socketPath = path.join(dir, "notify.sock")
  const abstractName = `effect-host-test-${process.pid}-${receivers++}`
  const receiver = spawnWatched(python, ["-S", "-E", receiverScript, socketPath, abstractName, "60"], { label: "the notify receiver" })
  await receiver.waitFor(/"listening": true/)
  const received = (): ReadonlyArray<Received> =>
    receiver.stdout().split("\n").filter((line) => line.startsWith("{\"socket\"")).flatMap((line) => {
      const datagram = JSON.parse(line) as { socket: string; data: string; pid: number | null; t: number }
      // The arrival time is a nanosecond count: re-read it from the text, as a bigint, exactly.
      const t = BigInt(/"t": (\d+)/.exec(line)?.[1] ?? "0")
      return datagram.data.split("\n").filter((a) => a !== "" && a !== "BARRIER=1").map((assignment) => ({
        socket: datagram.socket,
        assignment,
        pid: datagram.pid,
        t
      }))
    })
  const stop = async () => {
    receiver.child.kill("SIGTERM")
    await receiver.exited
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return { receiver, received, stop, path: socketPath, abstract: `@${abstractName}` }
}

/** The child's `life:<event> <ns>` lines. */
const lifeTimes = (app: Watched): ReadonlyMap<string, bigint> =>
  new Map([...app.stdout().matchAll(/^life:([\w-]+) (\d+)$/gm)].map((m) => [m[1] ?? "", BigInt(m[2] ?? "0")]))

const must = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`missing: ${what}`)
  return value
}

const startApp = (scenario: string, env: Record<string, string>) =>
  spawnTsx(fixture, [scenario], { env, drop, label: `systemd.ts ${scenario}` })

const senders = [
  { name: "the stand-in systemd-notify", dir: standInDir },
  ...(realDir === undefined ? [] : [{ name: `the real systemd-notify (${realDir})`, dir: realDir }])
]
const forms = ["path", "abstract"] as const

describe.sequential("systemd notify", () => {
  if (realDir === undefined) it.skip("the real systemd-notify (not installed here)", () => {})

  for (const sender of senders) {
    for (const form of forms) {
      it(`${sender.name}, ${form} socket: STATUS=Starting, READY=1 after started, WATCHDOG=1 pings, STOPPING=1 after the signal, STATUS=Stopped last`, async () => {
        const socket = await startReceiver()
        try {
          const app = startApp("notify", {
            NOTIFY_SOCKET: form === "path" ? socket.path : socket.abstract,
            WATCHDOG_USEC: "400000",
            PATH: `${sender.dir}${path.delimiter}${process.env["PATH"] ?? ""}`
          })
          await app.waitFor(/^life:started \d+$/m)
          // Three pings (every 200 ms), then the stop.
          await socket.receiver.waitFor(/(WATCHDOG=1[\s\S]*){3}/)
          const signalledAt = process.hrtime.bigint()
          const exit = await app.signal("SIGTERM")
          expect(exit).toMatchObject({ code: 0, signal: null })
          await socket.receiver.waitFor(/STATUS=Stopped/)
          const received = socket.received()
          const life = lifeTimes(app)
          const sequence = received.map((r) => r.assignment)
          console.log(`${sender.name}, ${form}: ${sequence.join(" | ")}`)

          expect(new Set(received.map((r) => r.socket))).toEqual(new Set([form]))
          // The order of the messages.
          const others = sequence.filter((a) => a !== "WATCHDOG=1")
          expect(others[0]).toBe("STATUS=Starting")
          expect(others.slice(1, 3)).toEqual(["READY=1", "STATUS=Running"])
          expect(others.filter((a) => a === "STOPPING=1")).toHaveLength(1)
          expect(others.at(-1)).toBe("STATUS=Stopped")
          const stopping = others.indexOf("STOPPING=1")
          expect(stopping).toBeGreaterThan(2)
          // Between STOPPING=1 and Stopped only the stop's progress ("Stopping", "Stopping: Db (stop)").
          for (const a of others.slice(stopping + 1, -1)) expect(a).toMatch(/^STATUS=Stopping(: Db \(stop\))?$/)
          expect(others.slice(3, stopping)).toEqual([])
          // Pings only between READY=1 and STOPPING=1.
          const ready = sequence.indexOf("READY=1")
          const stoppingAt = sequence.indexOf("STOPPING=1")
          const pings = sequence.flatMap((a, i) => (a === "WATCHDOG=1" ? [i] : []))
          expect(pings.length).toBeGreaterThanOrEqual(3)
          for (const i of pings) {
            expect(i).toBeGreaterThan(ready)
            expect(i).toBeLessThan(stoppingAt)
          }

          // Against the child's lifecycle (one clock): READY=1 after ApplicationLifetime.started's
          // callback, STOPPING=1 after the signal and the stopping callback, Stopped after onStopped.
          const at = (assignment: string) => must(received.find((r) => r.assignment === assignment), assignment).t
          expect(at("READY=1")).toBeGreaterThan(must(life.get("started"), "life:started"))
          expect(at("STOPPING=1")).toBeGreaterThan(signalledAt)
          expect(at("STOPPING=1")).toBeGreaterThan(must(life.get("stopping"), "life:stopping"))
          expect(at("STATUS=Stopped")).toBeGreaterThan(must(life.get("stopped"), "life:stopped"))
          for (const ping of received.filter((r) => r.assignment === "WATCHDOG=1")) {
            expect(ping.t).toBeGreaterThan(must(life.get("started"), "life:started"))
          }

          // The variables were taken out of the environment (children do not inherit them).
          expect(app.stdout()).toMatch(/^env:NOTIFY_SOCKET=<unset>$/m)
          expect(app.stderr()).not.toMatch(/NOTIFY_SOCKET is set/)
          if (sender.dir === realDir && process.getuid?.() === 0) {
            // As root, systemd-notify sends with its parent's PID (so NotifyAccess=main would do).
            expect(new Set(received.map((r) => r.pid))).toEqual(new Set([app.child.pid]))
          }
        } finally {
          await socket.stop()
        }
      })
    }
  }

  it("systemd-notify missing: one warning at start-up, nothing sent, the host runs and stops as usual (exit 0)", async () => {
    const socket = await startReceiver()
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-empty-path-"))
    try {
      const app = startApp("notify", { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: "200000", PATH: empty })
      await app.waitFor(/^life:started \d+$/m)
      await app.waitFor(/NOTIFY_SOCKET is set, but systemd-notify was not found on PATH/)
      // Long enough for several pings, had anything been sent.
      await new Promise((resolve) => setTimeout(resolve, 500))
      const exit = await app.signal("SIGTERM")
      expect(exit).toMatchObject({ code: 0, signal: null })
      expect(app.stdout()).toMatch(/^life:stopped \d+$/m)
      expect(app.output().match(/NOTIFY_SOCKET is set/g)).toHaveLength(1)
      // A warning of the host's logger (JSON in Production: on stderr).
      expect(app.stderr()).toMatch(/NOTIFY_SOCKET is set, but systemd-notify was not found on PATH.*NotifyAccess=all.*"logLevel":"WARN"/)
      expect(socket.received()).toEqual([])
    } finally {
      await socket.stop()
      fs.rmSync(empty, { recursive: true, force: true })
    }
  })

  it("WATCHDOG_PID names another process: READY=1 and STOPPING=1, no pings", async () => {
    const socket = await startReceiver()
    try {
      const app = startApp("notify", {
        NOTIFY_SOCKET: socket.abstract,
        WATCHDOG_USEC: "200000",
        WATCHDOG_PID: "1",
        PATH: `${standInDir}${path.delimiter}${process.env["PATH"] ?? ""}`
      })
      await app.waitFor(/^life:started \d+$/m)
      await socket.receiver.waitFor(/READY=1/)
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect(await app.signal("SIGTERM")).toMatchObject({ code: 0, signal: null })
      // Messages go out in order, so every ping there was came before STOPPING=1. (Not waiting
      // for STATUS=Stopped: the exit waits for it only `notifyDrainMs`; the sequence test above
      // is the one about it.)
      await socket.receiver.waitFor(/STOPPING=1/)
      const sequence = socket.received().map((r) => r.assignment)
      expect(sequence).toContain("READY=1")
      expect(sequence).toContain("STOPPING=1")
      expect(sequence).not.toContain("WATCHDOG=1")
    } finally {
      await socket.stop()
    }
  })

  it("pings come from the event loop: none while it is blocked for 2 s, then they resume", async () => {
    const socket = await startReceiver()
    try {
      const app = startApp("notify-block", {
        NOTIFY_SOCKET: socket.path,
        WATCHDOG_USEC: "400000",
        PATH: `${standInDir}${path.delimiter}${process.env["PATH"] ?? ""}`
      })
      await app.waitFor(/^life:block-end \d+$/m)
      const end = must(lifeTimes(app).get("block-end"), "life:block-end")
      await socket.receiver.waitFor(/(WATCHDOG=1[\s\S]*){2}/)
      const watchdogs = () => socket.received().filter((r) => r.assignment === "WATCHDOG=1")
      const resumed = () => watchdogs().filter((r) => r.t > end).length
      // One more ping at a time. Each is a systemd-notify process started by the app: on a loaded
      // machine (the whole suite beside it) one can take seconds, hence the generous bound.
      while (resumed() < 2) await socket.receiver.waitFor(new RegExp(`(WATCHDOG=1[\\s\\S]*){${watchdogs().length + 1}}`), 20_000)
      expect(await app.signal("SIGTERM")).toMatchObject({ code: 0, signal: null })
      const begin = must(lifeTimes(app).get("block-begin"), "life:block-begin")
      const pings = socket.received().filter((r) => r.assignment === "WATCHDOG=1").map((r) => r.t)
      console.log(`ping arrivals relative to the block (ms): ${pings.map((t) => Number(t - begin) / 1e6).map(Math.round).join(", ")}`)
      // The notifier runs one systemd-notify at a time, so one ping handed to it just before the
      // loop blocked may still arrive during the block (late, on a loaded machine: its sender
      // has to start); none that the blocked loop would have had to send (about ten in 2 s).
      const during = pings.filter((t) => t > begin && t < end)
      expect(during.length).toBeLessThanOrEqual(1)
      expect(pings.filter((t) => t > end).length).toBeGreaterThanOrEqual(2)
    } finally {
      await socket.stop()
    }
  })
})

describe.sequential("JOURNAL_STREAM", () => {
  /** Runs the journal scenario with JOURNAL_STREAM naming the child's stdout (fd 1) or stderr (fd 2). */
  const run = async (fd: 1 | 2, scenario = "journal") => {
    const app = spawnWatched(...onJournalStream(fd, process.execPath, [...nodeArgs(fixture), scenario]), {
      drop,
      label: `systemd.ts ${scenario}, JOURNAL_STREAM = fd ${fd}`
    })
    await app.waitFor(/^life:started \d+$/m)
    await app.waitFor(/error inside/)
    expect(await app.signal("SIGTERM")).toMatchObject({ code: 0, signal: null })
    return app
  }
  const lines = (text: string) => text.split("\n").filter((line) => line !== "")

  it("stderr is the journal: each line there starts with its priority (<4> warning, <3> error, every line of a cause); stdout is left alone", async () => {
    const app = await run(2)
    const stderr = lines(app.stderr())
    expect(stderr.length).toBeGreaterThan(4)
    for (const line of stderr) expect(line).toMatch(/^<[34]>/)
    expect(stderr).toContainEqual(expect.stringMatching(/^<4>\[[\d:.]+\] WARN .*warning outside$/))
    expect(stderr).toContainEqual(expect.stringMatching(/^<3>\[[\d:.]+\] ERROR .*error outside$/))
    expect(stderr).toContainEqual(expect.stringMatching(/^<3> {2}Error: boom outside$/))
    expect(stderr).toContainEqual(expect.stringMatching(/^<4>\[[\d:.]+\] WARN .*warning inside$/))
    expect(stderr).toContainEqual(expect.stringMatching(/^<3> {2}Error: boom inside$/))
    expect(app.stdout()).toMatch(/^\[[\d:.]+\] INFO .*info outside$/m)
    expect(app.stdout()).not.toMatch(/^<\d>/m)
  })

  it("the host's own logger (JSON in Production) on the journal: each line starts with its priority", async () => {
    const app = await run(2, "journal-host")
    const stderr = lines(app.stderr())
    expect(stderr.length).toBeGreaterThan(1)
    for (const line of stderr) expect(line).toMatch(/^<[34]>\{"message":/)
    expect(stderr).toContainEqual(expect.stringMatching(/^<4>\{"message":"warning inside"/))
    expect(stderr).toContainEqual(expect.stringMatching(/^<3>\{"message":\["error inside"/))
    expect(app.stdout()).toMatch(/^\{"message":"info inside"/m)
  })

  it("stdout is the journal: <6> info, <7> debug, on every line of an entry (annotations too); stderr and plain console output are left alone", async () => {
    const app = await run(1)
    const stdout = lines(app.stdout())
    expect(stdout).toContainEqual(expect.stringMatching(/^<7>\[[\d:.]+\] DEBUG .*debug outside$/))
    expect(stdout).toContainEqual(expect.stringMatching(/^<6>\[[\d:.]+\] INFO .*info outside$/))
    expect(stdout).toContainEqual(expect.stringMatching(/^<6>\[[\d:.]+\] INFO .*info inside$/))
    expect(stdout).toContainEqual(expect.stringMatching(/^<6> {2}host: effect-host$/))
    // The runner's own lines (through the host, here its console logger).
    expect(stdout).toContainEqual(expect.stringMatching(/^<7>\[[\d:.]+\] DEBUG .*Received SIGTERM; stopping/))
    // Console.log output is not a log line: journald gives it the unit's default priority.
    expect(stdout).toContainEqual(expect.stringMatching(/^life:started \d+$/))
    expect(app.stderr()).toMatch(/^\[[\d:.]+\] WARN .*warning outside$/m)
    expect(app.stderr()).not.toMatch(/^<\d>/m)
  })
})
