/**
 * Runs every example as a real child process (`node --import tsx`, as `npm start` would), waits
 * for the output that shows it is doing its job, sends SIGINT (Ctrl+C) and checks that it stopped
 * cleanly: the expected lines, in order, and exit code 0.
 */
import * as path from "node:path"
import { afterAll, describe, type ExpectStatic, it } from "vitest"
import { killLeftovers, spawnTsx, spawnWatched, type Watched } from "./util/child.js"

type Running = Watched

interface StartOptions {
  readonly args?: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>>
  /** Run `npm start -- <args>` instead of the file, in its own process group (like a terminal). */
  readonly viaNpmStart?: boolean
}

// A failed test must not leave its example behind (npm start: its whole process group).
afterAll(killLeftovers)

/**
 * How long to wait for an example's output, or for its exit, before calling it stuck. A bound
 * on a hang, not a speed check: an example prints its first line in about 2 s on a quiet machine
 * (3 s through `npm start`), and CI's machine runs these beside the other process tests, the
 * unit tests and the lint, where one `npm start` printed nothing in 15 s.
 */
const stuckMs = 60_000

const start = (example: string, { args = [], env = {}, viaNpmStart = false }: StartOptions = {}): Running =>
  viaNpmStart
    ? spawnWatched("npm", ["start", "--silent", "--", ...args], { env, detached: true, label: "npm start", waitTimeoutMs: stuckMs })
    : spawnTsx(path.join("examples", example), args, { env, label: example, waitTimeoutMs: stuckMs })

/**
 * Sends Ctrl+C and waits for the exit code (kills the child if it does not exit in time). With
 * `group`, the signal goes to the whole process group, as a terminal's Ctrl+C does.
 */
const interrupt = async (
  running: Running,
  { group = false, timeoutMs = stuckMs } = {}
): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }> => {
  const pid = running.child.pid
  if (group && pid !== undefined) process.kill(-pid, "SIGINT")
  else running.child.kill("SIGINT")
  const timer = setTimeout(() => {
    if (group && pid !== undefined) process.kill(-pid, "SIGKILL")
    else running.child.kill("SIGKILL")
  }, timeoutMs)
  try {
    return await running.exited
  } finally {
    clearTimeout(timer)
  }
}

/** Asserts that every pattern occurs in `output`, each after the previous one. */
const expectInOrder = (expect: ExpectStatic, output: string, patterns: ReadonlyArray<RegExp>) => {
  let from = 0
  for (const pattern of patterns) {
    const match = pattern.exec(output.slice(from))
    expect(match, `expected ${pattern} after offset ${from} in:\n${output}`).not.toBeNull()
    from += (match?.index ?? 0) + (match?.[0].length ?? 0)
  }
}

/** The port from the HTTP server's "Now listening on: http://0.0.0.0:PORT" line. */
const listeningPort = (output: string): number => {
  const match = /Now listening on: https?:\/\/(?:\[[^\]]*\]|[^\s":/]+):(\d+)/.exec(output)
  if (match?.[1] === undefined) throw new Error(`no "Now listening on" line in:\n${output}`)
  return Number(match[1])
}

/**
 * At most two examples at a time: each child needs about a second of CPU to start, and the
 * machines have two cores. Together they finish well under 30 s.
 */
const slot = (() => {
  let free = 2
  const waiting: Array<() => void> = []
  return async <A>(body: () => Promise<A>): Promise<A> => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve))
    else free--
    try {
      return await body()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else free++
    }
  }
})()

/** Per test, including the wait for a slot: room for two stuck-bounds and the slot's queue. */
const timeout = 4 * stuckMs

describe.concurrent("examples", () => {
  it("lifecycle-hooks prints the 9 steps in the documented order and exits 0", ({ expect }) => slot(async () => {
    const app = start("lifecycle-hooks.ts")
    await app.waitFor(/ApplicationLifetime\.started/)
    expect((await interrupt(app)).code).toBe(0)
    expectInOrder(expect, app.output(), [
      /1\. Lifecycle\.starting/,
      /2\. Lifecycle\.start\b/,
      /3\. Lifecycle\.started/,
      /4\. ApplicationLifetime\.started/,
      /5\. ApplicationLifetime\.stopping/,
      /6\. Lifecycle\.stopping/,
      /7\. Lifecycle\.stop\b/,
      /8\. Lifecycle\.stopped/,
      /9\. ApplicationLifetime\.stopped/
    ])
  }), timeout)

  it("timed-worker counts its executions and reports them at stop", ({ expect }) => slot(async () => {
    const app = start("timed-worker.ts")
    await app.waitFor(/Count: 2\b/)
    expect((await interrupt(app)).code).toBe(0)
    expectInOrder(expect, app.output(), [
      /Timed Hosted Service running/,
      /Timed Hosted Service is working\. Count: 1\b/,
      /Timed Hosted Service is working\. Count: 2\b/,
      /Timed Hosted Service stopped after \d+ run\(s\), 0 skipped\./
    ])
  }), timeout)

  it("scoped-worker opens and releases one scope per run, also for the run that fails", ({ expect }) => slot(async () => {
    const app = start("scoped-worker.ts")
    await app.waitFor(/scope #4 released/)
    expect((await interrupt(app)).code).toBe(0)
    const output = app.output()
    expectInOrder(expect, output, [
      /scope #1 opened \(open scopes: 1\)/,
      /scope #1 doing work/,
      /scope #1 released \(open scopes: 0\)/,
      /scope #3 opened/,
      /scope #3 released \(open scopes: 0\)/,
      /scope #3: simulated failure/,
      /scope #4 opened \(open scopes: 1\)/
    ])
    // Never two scopes at once, and every scope opened was released.
    expect(output).not.toMatch(/open scopes: 2/)
    expect(output.match(/scope #\d+ opened/g)?.length).toBe(output.match(/scope #\d+ released/g)?.length)
  }), timeout)

  it("queued-work completes the queued tasks after Ctrl+C, then exits 0", ({ expect }) => slot(async () => {
    const app = start("queued-work.ts", { args: ["--Http:Port=0"] })
    await app.waitFor(/Now listening on/)
    const base = `http://127.0.0.1:${listeningPort(app.output())}`
    expect((await fetch(base)).status).toBe(200)
    for (const id of [1, 2]) {
      const response = await fetch(`${base}/tasks`, { method: "POST" })
      expect(response.status).toBe(202)
      expect(await response.json()).toEqual({ id })
    }
    await app.waitFor(/Task 2 queued/)
    expect((await interrupt(app)).code).toBe(0)
    expectInOrder(expect, app.output(), [
      /Application is shutting down/,
      /HTTP server stopped/,
      /Queued Background Task 1 is complete\./,
      /Queued work item 2 is running\. 3\/3/,
      /Queued Background Task 2 is complete\./
    ])
    expect(app.output()).not.toMatch(/could not be completed/)
  }), timeout)

  it("main-app: jobs over HTTP, health, a timed report, and a Ctrl+C that finishes the running job", ({ expect }) => slot(async () => {
    const app = start("main-app.ts", { args: ["--Http:Port=0", "--Jobs:ReportIntervalSeconds=0.5"] })
    await app.waitFor(/Try: /)
    const base = `http://127.0.0.1:${listeningPort(app.output())}`
    expect((await fetch(`${base}/health/live`)).status).toBe(200)
    const ready = await fetch(`${base}/health/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.text()).toContain("queue-not-full")
    expect((await fetch(`${base}/jobs?ms=1500`, { method: "POST" })).status).toBe(202)
    expect((await fetch(`${base}/jobs?ms=oops`, { method: "POST" })).status).toBe(400)
    await app.waitFor(/job 1: working for 1500 ms/)
    await app.waitFor(/jobs: 0 queued \(0 waiting for a worker\), 1 running/)
    expect(await (await fetch(`${base}/jobs`)).json()).toEqual({ queued: 0, running: 1, completed: 0, failed: 0 })
    expect((await interrupt(app)).code).toBe(0)
    expectInOrder(expect, app.output(), [
      /Application started\. Press Ctrl\+C to shut down\./,
      /Application is shutting down\.\.\./,
      /HTTP server stopped/,
      /job 1: done/
    ])
  }), timeout)

  it("`npm start` runs the main app, and a terminal's Ctrl+C stops it gracefully", ({ expect }) => slot(async () => {
    const app = start("main-app.ts", { viaNpmStart: true, args: ["--Http:Port=0"] })
    await app.waitFor(/Try: /)
    const base = `http://127.0.0.1:${listeningPort(app.output())}`
    expect((await fetch(`${base}/`)).status).toBe(200)
    // A terminal sends SIGINT to the whole foreground process group: npm, tsx and the app.
    // npm then ends itself by SIGINT (a shell shows 130) once the app has exited.
    const { code, signal } = await interrupt(app, { group: true })
    expect(code === 0 || signal === "SIGINT").toBe(true)
    expectInOrder(expect, app.output(), [/Application is shutting down/, /HTTP server stopped/])
  }), timeout)

  it("configuration layers appsettings, the environment file, env vars and the command line, secrets masked", ({ expect }) => slot(async () => {
    const app = start("configuration.ts", { args: ["--Greeter:Shout=true"], env: { GREETER__NAME: "env" } })
    await app.waitFor(/HELLO, ENV!/)
    expect((await interrupt(app)).code).toBe(0)
    const output = app.output()
    expectInOrder(expect, output, [
      /Environment: Development/,
      /loaded\s+\S+appsettings\.json/,
      /loaded\s+\S+appsettings\.Development\.json/,
      /Greeter:ApiKey\s+= <redacted>\s+\(file \S+appsettings\.json\)/,
      /Greeter:Name\s+= env\s+\(env GREETER__NAME\)/,
      /Greeter:Shout\s+= true\s+\(command line --Greeter:Shout\)/,
      /HELLO, ENV!/,
      /key of 20 characters: <redacted>/
    ])
    expect(output).not.toContain("key-from-appsettings")
  }), timeout)

  it("configuration: invalid values stop the program before any service starts, exit 78", ({ expect }) => slot(async () => {
    const app = start("configuration.ts", { args: ["--Greeter:IntervalSeconds=-1", "--Greeter:Name="] })
    const { code } = await app.exited
    expect(code).toBe(78)
    const output = app.output()
    expect(output).toMatch(/Greeter:Name: .*command line --Greeter:Name/)
    expect(output).toMatch(/Greeter:IntervalSeconds: .*command line --Greeter:IntervalSeconds/)
    // Nothing of the Greeter ran: neither its set-up nor its greeting.
    expect(output).not.toMatch(/^Environment: /m)
    expect(output).not.toMatch(/Hello, /i)
  }), timeout)

  it("otel: spans of the start, runs, a queued task in its request's trace, /metrics, and the stop's spans flushed at Ctrl+C", ({ expect }) => slot(async () => {
    const app = start("otel.ts", { args: ["--Http:Port=0"] })
    await app.waitFor(/\[span\] Host\.start /)
    const base = `http://127.0.0.1:${listeningPort(app.output())}`
    expect((await fetch(`${base}/mail`, { method: "POST" })).status).toBe(202)
    const metrics = await fetch(`${base}/metrics`)
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toMatch(/^effect_host_queue_tasks_enqueued_total\{service="Mail"\} 1$/m)
    await app.waitFor(/\[span\] BackgroundTaskQueue\.task /)
    await app.waitFor(/\[span\] ScheduledService\.run .* ERROR report 3/)
    expect((await interrupt(app)).code).toBe(0)
    const output = app.output()
    expectInOrder(expect, output, [
      /\[span\] HostedService\.start .*effect_host\.service=Database/,
      /\[span\] Host\.start .*parent=- .*effect_host\.outcome=success/,
      /Application is shutting down/,
      /\[span\] HttpHost\.drain /,
      /\[span\] HostedService\.stop .*effect_host\.service=Database/,
      /\[span\] Host\.stop .*parent=- .*effect_host\.outcome=success/
    ])
    // The task's span is a child of the request's span, in its trace.
    const request = /\[span\] http\.server POST \S+ trace=(\w+) id=(\w+)/.exec(output)
    const task = /\[span\] BackgroundTaskQueue\.task \S+ trace=(\w+) id=\w+ parent=(\w+)/.exec(output)
    expect(request).not.toBeNull()
    expect(task?.[1]).toBe(request?.[1])
    expect(task?.[2]).toBe(request?.[2])
  }), timeout)

  it("lifetime-events: a worker waits for started, then stops the application itself (exit 0)", ({ expect }) => slot(async () => {
    const app = start("lifetime-events.ts")
    const { code } = await app.exited
    expect(code).toBe(0)
    expectInOrder(expect, app.output(), [
      /Connection: open/,
      /BatchJob: application started/,
      /BatchJob: batch 3\/3 done/,
      /stopping the application/,
      /Connection: closed/,
      /Host\.launch returned: the application stopped gracefully/
    ])
  }), timeout)
})
