/**
 * effect-host/cluster, measured with real processes (`npm run bench:cluster [-- --quick]`):
 *
 * - Throughput: a client-only producer enqueues N durable tasks (5 ms of work each, 16 sends at
 *   once) to 1 or 2 runners (16 workers each) on a SQLite file and on PostgreSQL; tasks/s from
 *   the producer's start to the last task done, and the enqueue rate. Side by side: the local
 *   `BackgroundTaskQueue` (16 workers, in process, not durable) with the same tasks.
 * - Fail-over: two runners with a 1 s `ClusterScheduledService`; kill -9 of the runner that ran
 *   the last slot → the longest gap between two runs (the time no runner ran the job), and
 *   SIGTERM of it (a graceful leave) → the longest gap and the leaver's exit time.
 *
 * The processes are test/fixtures/cluster/runner.ts and producer.ts (`node --import tsx`).
 * PostgreSQL: EFFECT_HOST_POSTGRES_URL, else a throw-away server with the machine's binaries
 * (fsync on). Results: bench/results/cluster.json and the tables on stdout (README: Scale-out).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Deferred, Effect, Layer, Redacted } from "effect"
import { BackgroundTaskQueue, Host } from "effect-host"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { findBinaries, startServer } from "../test/cluster/setup/postgres.js"
import { type Child, spawnTs } from "./child.js"
import { type BenchResult, describeMachine, median, quietHost, type Row, toMarkdown, writeResult } from "./lib.js"

const quick = process.argv.includes("--quick")
const tasks = quick ? 600 : 3000
const failoverReps = quick ? 1 : 3

interface Event {
  readonly t: number
  readonly runner: string
  readonly kind: string
  readonly [key: string]: unknown
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const readEvents = (file: string): Array<Event> =>
  fs.existsSync(file)
    ? fs.readFileSync(file, "utf8").split("\n").flatMap((line) => {
      try {
        return line.length === 0 ? [] : [JSON.parse(line) as Event]
      } catch {
        return []
      }
    })
    : []

const waitUntil = async (what: string, condition: () => boolean, timeoutMs: number, stepMs = 100) => {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (condition()) return
    await sleep(stepMs)
  }
  throw new Error(`timed out waiting for ${what}`)
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-bench-cluster-"))

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

let adminUrl = process.env["EFFECT_HOST_POSTGRES_URL"]
let stopServer: (() => void) | undefined
let databases = 0

const freshStorage = async (kind: "sqlite" | "postgres"): Promise<Record<string, string>> => {
  if (kind === "sqlite") return { CLUSTER__SQL__FILENAME: path.join(tmp(), "cluster.db") }
  if (adminUrl === undefined) {
    const binaries = findBinaries()
    if (binaries === undefined) throw new Error("no PostgreSQL: set EFFECT_HOST_POSTGRES_URL or install PostgreSQL")
    const server = await startServer(binaries, { fsync: true })
    adminUrl = server.url
    stopServer = server.stop
  }
  const name = `bench_${process.pid}_${databases++}`
  await Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`CREATE DATABASE ${name}`)).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(adminUrl), maxConnections: 1 }))
    )
  )
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { CLUSTER__SQL__URL: url.toString() }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

interface Member {
  readonly name: string
  readonly child: Child
}

const start = (fixture: "runner" | "producer", name: string, env: Readonly<Record<string, string>>): Member => ({
  name,
  child: spawnTs(`test/fixtures/cluster/${fixture}.ts`, {
    env: { ...env, NAME: name, NODE_ENV: "Production", LOGGING__LOGLEVEL__DEFAULT: "Warning" }
  })
})

const running = (m: Member) => m.child.process.exitCode === null && m.child.process.signalCode === null

const stopAll = async (members: ReadonlyArray<Member>) => {
  for (const m of members) if (running(m)) m.child.process.kill("SIGTERM")
  await Promise.race([Promise.all(members.map((m) => m.child.exited)), sleep(20_000)])
  for (const m of members) if (running(m)) m.child.process.kill("SIGKILL")
}

const lastStatus = (events: ReadonlyArray<Event>, runner: string) =>
  [...events].reverse().find((e) => e.kind === "status" && e.runner === runner)

const balanced = (file: string, runners: ReadonlyArray<string>) => () => {
  const events = readEvents(file)
  const owned = runners.map((r) => Number(lastStatus(events, r)?.["ownedShards"] ?? 0))
  return owned.every((n) => n > 0) && owned.reduce((a, b) => a + b, 0) === 300
}

/** Runners named `names` on a fresh storage, joined and sharing the shards. */
const startRunners = async (kind: "sqlite" | "postgres", names: ReadonlyArray<string>, extra: Record<string, string>) => {
  const file = path.join(tmp(), "events.jsonl")
  const env = { ...(await freshStorage(kind)), EVENTS: file, ...extra }
  const members: Array<Member> = []
  for (const name of names) {
    members.push(start("runner", name, env))
    await waitUntil(`${name} up`, () => readEvents(file).some((e) => e.kind === "up" && e.runner === name), 60_000)
  }
  await waitUntil("the runners sharing the shards", balanced(file, names), 60_000)
  return { file, env, members }
}

// ---------------------------------------------------------------------------------------------
// Throughput
// ---------------------------------------------------------------------------------------------

interface Throughput {
  readonly tasksPerSecond: number
  readonly enqueuePerSecond: number
}

const durableThroughput = async (kind: "sqlite" | "postgres", runners: number): Promise<Throughput> => {
  const { env, file, members } = await startRunners(kind, ["A", "B"].slice(0, runners), { FEATURES: "tasks", WORK_MS: "5" })
  try {
    const producer = start("producer", "P", { ...env, N: String(tasks), WORK_MS: "5" })
    members.push(producer)
    const done = () => new Set(readEvents(file).filter((e) => e.kind === "task-done").map((e) => e["id"])).size
    await waitUntil("every task done", () => done() >= tasks, 300_000, 100)
    const events = readEvents(file)
    const producerStart = events.find((e) => e.kind === "producer-start")?.t ?? Number.NaN
    const producerDone = events.find((e) => e.kind === "producer-done")
    const lastDone = Math.max(...events.filter((e) => e.kind === "task-done").map((e) => e.t))
    return {
      tasksPerSecond: Math.round(tasks / ((lastDone - producerStart) / 1000)),
      enqueuePerSecond: Math.round(tasks / (Number(producerDone?.["ms"] ?? Number.NaN) / 1000))
    }
  } finally {
    await stopAll(members)
  }
}

const localThroughput = async (): Promise<Throughput> => {
  let completed = 0
  const program = Effect.gen(function*() {
    const all = yield* Deferred.make<void>()
    const context = yield* Layer.build(Host.make([BackgroundTaskQueue.layer({ capacity: tasks, workers: 16 })], quietHost))
    const queue = yield* Effect.provide(BackgroundTaskQueue, context)
    const startedAt = performance.now()
    const task = Effect.zipRight(
      Effect.sleep(5),
      Effect.suspend(() => (++completed === tasks ? Deferred.succeed(all, undefined) : Effect.void))
    )
    for (let i = 0; i < tasks; i++) yield* queue.enqueue(task)
    const enqueuedAt = performance.now()
    yield* Deferred.await(all)
    const elapsed = performance.now() - startedAt
    return { tasksPerSecond: Math.round(tasks / (elapsed / 1000)), enqueuePerSecond: Math.round(tasks / ((enqueuedAt - startedAt) / 1000)) }
  })
  return Effect.runPromise(Effect.scoped(program))
}

// ---------------------------------------------------------------------------------------------
// Fail-over
// ---------------------------------------------------------------------------------------------

interface Failover {
  readonly killGapMs: number
  readonly termGapMs: number
  readonly termExitMs: number
  readonly duplicates: number
}

const cronRuns = (file: string) => readEvents(file).filter((e) => e.kind === "cron")

const longestGap = (runs: ReadonlyArray<Event>, from: number, to: number) => {
  const times = [from, ...runs.map((r) => r.t).filter((t) => t > from && t <= to), to].sort((a, b) => a - b)
  let gap = 0
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0))
  return gap
}

const failover = async (kind: "sqlite" | "postgres"): Promise<Failover> => {
  const { env, file, members } = await startRunners(kind, ["A", "B"], { FEATURES: "cron" })
  try {
    await sleep(8000)
    // kill -9 the runner that ran the last slot.
    const victimName = cronRuns(file).at(-1)?.runner ?? "A"
    const victim = members.find((m) => m.name === victimName) ?? members[0]
    if (victim === undefined) throw new Error("no runner")
    const killedAt = Date.now()
    victim.child.process.kill("SIGKILL")
    await victim.child.exited
    await sleep(16_000)
    const killGapMs = longestGap(cronRuns(file), killedAt, killedAt + 15_000)
    // A replacement joins, then SIGTERM of the runner that ran the last slot.
    const c = start("runner", "C", env)
    members.push(c)
    const survivor = members.find((m) => m !== victim && m !== c)
    await waitUntil("two runners again", balanced(file, [survivor?.name ?? "A", "C"]), 60_000)
    await sleep(4000)
    const leaverName = cronRuns(file).at(-1)?.runner
    const leaver = members.find((m) => m.name === leaverName && running(m)) ?? c
    const termAt = Date.now()
    leaver.child.process.kill("SIGTERM")
    const exit = await leaver.child.exited
    const termExitMs = Date.now() - termAt
    await sleep(6000)
    const termGapMs = longestGap(cronRuns(file), termAt, termAt + 6000)
    const slots = cronRuns(file).map((e) => String(e["slot"]))
    if (exit.code !== 0) throw new Error(`the leaver exited with ${exit.code ?? exit.signal}`)
    return { killGapMs, termGapMs, termExitMs, duplicates: slots.length - new Set(slots).size }
  } finally {
    await stopAll(members)
  }
}

// ---------------------------------------------------------------------------------------------

const main = async () => {
  console.log(`effect-host/cluster benchmark (${quick ? "quick" : "full"}): ${describeMachine()}`)
  const local = await localThroughput()
  const durable: Record<string, Throughput> = {}
  for (const [kind, runners] of [["sqlite", 1], ["sqlite", 2], ["postgres", 1], ["postgres", 2]] as const) {
    const label = `${kind === "sqlite" ? "SQLite" : "PostgreSQL"}, ${runners} runner${runners === 1 ? "" : "s"}`
    durable[label] = await durableThroughput(kind, runners)
    console.log(`${label}: ${durable[label]?.tasksPerSecond} tasks/s`)
  }
  const programs = ["BackgroundTaskQueue (local)", ...Object.keys(durable)]
  const throughput: BenchResult = {
    name: "cluster",
    title: `Durable tasks vs the local queue, ${tasks.toLocaleString("en-US")} tasks of 5 ms`,
    unit: "tasks per second, higher is better",
    programs,
    rows: [
      { case: "completed (producer start → last task done)", values: Object.fromEntries([[programs[0] ?? "", local.tasksPerSecond], ...Object.entries(durable).map(([k, v]) => [k, v.tasksPerSecond])]) },
      { case: "enqueued (persisted, for the durable queue)", values: Object.fromEntries([[programs[0] ?? "", local.enqueuePerSecond], ...Object.entries(durable).map(([k, v]) => [k, v.enqueuePerSecond])]) }
    ],
    notes: [
      "Durable: one client-only producer process (16 enqueues at once) and 1 or 2 runner processes (16 workers each); every task is a stored message, its outcome a stored reply.",
      "Local: BackgroundTaskQueue with 16 workers in one process; tasks are lost if the process dies.",
      `Machine: ${describeMachine()}`
    ]
  }

  const runs: Record<"sqlite" | "postgres", Array<Failover>> = { sqlite: [], postgres: [] }
  for (let i = 0; i < failoverReps; i++) {
    for (const kind of ["sqlite", "postgres"] as const) {
      const result = await failover(kind)
      runs[kind].push(result)
      console.log(`fail-over ${kind}: ${JSON.stringify(result)}`)
    }
  }
  const seconds = (xs: ReadonlyArray<number>) => Math.round(median(xs) / 10) / 100
  const failoverRows: Array<Row> = [
    {
      case: "kill -9 of the job's runner → longest gap between runs (s)",
      values: { SQLite: seconds(runs.sqlite.map((r) => r.killGapMs)), PostgreSQL: seconds(runs.postgres.map((r) => r.killGapMs)) },
      target: { text: "≤ 15 s", pass: [...runs.sqlite, ...runs.postgres].every((r) => r.killGapMs <= 15_000) }
    },
    {
      case: "SIGTERM of the job's runner → longest gap between runs (s)",
      values: { SQLite: seconds(runs.sqlite.map((r) => r.termGapMs)), PostgreSQL: seconds(runs.postgres.map((r) => r.termGapMs)) },
      target: { text: "≤ 3 s", pass: [...runs.sqlite, ...runs.postgres].every((r) => r.termGapMs <= 3000) }
    },
    {
      case: "SIGTERM → the leaver exited 0 (s)",
      values: { SQLite: seconds(runs.sqlite.map((r) => r.termExitMs)), PostgreSQL: seconds(runs.postgres.map((r) => r.termExitMs)) }
    },
    {
      case: "slots run twice (all runs)",
      values: {
        SQLite: runs.sqlite.reduce((n, r) => n + r.duplicates, 0),
        PostgreSQL: runs.postgres.reduce((n, r) => n + r.duplicates, 0)
      }
    }
  ]
  const failoverResult: BenchResult = {
    name: "cluster-failover",
    title: "Fail-over and hand-over of a 1 s cluster cron job, two runners",
    unit: `median of ${failoverReps} run(s)`,
    programs: ["SQLite", "PostgreSQL"],
    rows: failoverRows,
    notes: [
      "Host defaults: shard locks expire after 10 s, refreshed every 3 s; assignments re-read and storage polled every 1 s; runners pinged every 5 s.",
      "A gap of about 1 s is the job's own period: no slot was missed.",
      `Machine: ${describeMachine()}`
    ]
  }
  for (const result of [throughput, failoverResult]) {
    console.log(`\n${toMarkdown(result)}\n`)
    console.log(`wrote ${writeResult(result, { quick })}`)
  }
}

main().then(
  () => {
    stopServer?.()
    process.exit(0)
  },
  (error: unknown) => {
    console.error(error)
    stopServer?.()
    process.exit(1)
  }
)
