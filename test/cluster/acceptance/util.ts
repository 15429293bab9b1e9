/**
 * Plumbing for the cluster acceptance suite: runner and producer processes (the fixtures of
 * test/fixtures/cluster, bundled by test/setup/fixtures.ts), their shared event log, waits, and
 * the storages (a SQLite file, a fresh PostgreSQL database).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { spawnTsx, type Watched } from "../../util/child.js"
import { freshDatabase, postgresUrl, tempDir } from "../util/cluster.js"

export interface Event {
  readonly t: number
  readonly runner: string
  readonly kind: string
  readonly [key: string]: unknown
}

/** The events logged so far (a line torn by a kill -9 is skipped). */
export const readEvents = (file: string): Array<Event> => {
  if (!fs.existsSync(file)) return []
  return fs.readFileSync(file, "utf8").split("\n").flatMap((line) => {
    if (line.length === 0) return []
    try {
      return [JSON.parse(line) as Event]
    } catch {
      return []
    }
  })
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once `condition` holds; rejects with `what` after `timeoutMs`. */
export const waitUntil = async (what: string, condition: () => boolean, timeoutMs: number, stepMs = 100) => {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (condition()) return
    await sleep(stepMs)
  }
  if (!condition()) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export interface Storage {
  readonly kind: "sqlite" | "postgres"
  /** The configuration (environment variables) of a fresh, empty storage. */
  readonly fresh: (tag: string) => Promise<Record<string, string>>
}

export const sqlite: Storage = {
  kind: "sqlite",
  fresh: async () => ({ CLUSTER__SQL__FILENAME: path.join(tempDir(), "cluster.db") })
}

export const postgres: Storage = {
  kind: "postgres",
  fresh: async (tag) => ({ CLUSTER__SQL__URL: await Effect.runPromise(freshDatabase(tag)) })
}

export const storages: ReadonlyArray<Storage> = postgresUrl === undefined ? [sqlite] : [sqlite, postgres]

export interface Member {
  readonly name: string
  readonly process: Watched
}

/** Starts a fixture (`runner` or `producer`) named `name`, logging to `env.EVENTS`. */
export const start = (fixture: "runner" | "producer", name: string, env: Readonly<Record<string, string>>): Member => ({
  name,
  process: spawnTsx(`test/fixtures/cluster/${fixture}.ts`, [], {
    env: { ...env, NAME: name, NODE_ENV: "Production", LOGGING__LOGLEVEL__DEFAULT: "Warning" },
    label: name,
    waitTimeoutMs: 60_000
  })
})

export const isRunning = (member: Member) => member.process.child.exitCode === null && member.process.child.signalCode === null

/** Stops every member still running (SIGTERM, then SIGKILL after 20 s). */
export const stopAll = async (members: ReadonlyArray<Member>) => {
  for (const m of members) if (isRunning(m)) m.process.child.kill("SIGTERM")
  await Promise.race([Promise.all(members.map((m) => m.process.exited)), sleep(20_000)])
  for (const m of members) if (isRunning(m)) m.process.child.kill("SIGKILL")
}

/** The last status event of each named runner. */
export const lastStatus = (events: ReadonlyArray<Event>, runner: string) =>
  [...events].reverse().find((e) => e.kind === "status" && e.runner === runner)

/** Every named runner is up and owns shards, 300 in all. */
export const balanced = (file: string, runners: ReadonlyArray<string>) => () => {
  const events = readEvents(file)
  const statuses = runners.map((r) => lastStatus(events, r))
  if (statuses.some((s) => s === undefined)) return false
  const owned = statuses.map((s) => Number(s?.["ownedShards"] ?? 0))
  return owned.every((n) => n > 0) && owned.reduce((a, b) => a + b, 0) === 300
}

export const isUp = (file: string, runner: string) => () => readEvents(file).some((e) => e.kind === "up" && e.runner === runner)

/** The members' output, for a failure message. */
export const outputs = (members: ReadonlyArray<Member>) =>
  members.map((m) => `--- ${m.name} ---\n${m.process.output().slice(-4000)}`).join("\n")

export const eventsFile = () => path.join(tempDir(), "events.jsonl")

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
