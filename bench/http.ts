/**
 * HTTP hello-world throughput: the same route on bare `node:http` (the floor), on plain
 * `NodeHttpServer.layer` under `NodeRuntime.runMain` (the baseline) and through `HttpHost` under
 * `NodeHost.runMain`. Each server is a child process on built JS; the load generator is
 * autocannon's CLI in another process (never this one), at 10 and 100 connections. With
 * `taskset` and two or more cores, the server is pinned to CPU 0 and the load generator to CPU 1,
 * so they never share a core with each other (other processes on the machine still can).
 *
 * The servers run side by side for the whole benchmark (pinned to the same CPU, each idle while
 * another is loaded): each is warmed up (100 connections), then a round loads each in turn at 10
 * connections, then each at 100, rotating the order from round to round, so that a machine whose
 * speed drifts meanwhile reaches them alike; at the end they are stopped with SIGTERM.
 * Besides autocannon's numbers, the server's own CPU time during each load (user + system from
 * /proc, every thread) gives its CPU cost per request, which a busy load generator cannot skew.
 *
 * Target (the issue's): HttpHost ≥ 0.97x the requests per second of plain NodeHttpServer at 10
 * and 100 connections.
 */
import * as path from "node:path"
import { canPin, cores, processCpuMs, spawnBuilt, spawnCommand } from "./child.js"
import { type Benchmark, median, type Row, rootDir } from "./lib.js"

const floor = "node:http"
const baseline = "NodeHttpServer.layer"
const ours = "HttpHost"

const fixtures: Readonly<Record<string, string>> = {
  [floor]: "bench/fixtures/http-bare.ts",
  [baseline]: "bench/fixtures/http-plain.ts",
  [ours]: "bench/fixtures/http-host.ts"
}

const connectionCounts = [10, 100] as const

const pinned = canPin && cores >= 2
const serverCpus = pinned ? "0" : undefined
const loadCpus = pinned ? (cores === 2 ? "1" : `1-${cores - 1}`) : undefined

const autocannon = path.join(rootDir, "node_modules", "autocannon", "autocannon.js")

interface Load {
  readonly requestsPerSecond: number
  readonly p99Ms: number
  readonly errors: number
  /** The server's CPU time per request during this load, in µs. */
  readonly cpuPerRequestUs: number
}

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number }
  readonly latency: { readonly p99: number }
  readonly errors: number
  readonly timeouts: number
  readonly non2xx: number
}

/** One autocannon run in its own process; `pid` is the server's, for its CPU time. */
const load = async (port: number, pid: number | undefined, seconds: number, connections: number): Promise<Load> => {
  const cpu0 = processCpuMs(pid)
  const child = spawnCommand(process.execPath, [autocannon, "--json", "-c", String(connections), "-d", String(seconds), `http://127.0.0.1:${port}/`], { cpus: loadCpus })
  const { code } = await child.exited
  const cpu = processCpuMs(pid) - cpu0
  const line = child.stdout().trim().split("\n").pop() ?? ""
  if (code !== 0 || !line.startsWith("{")) throw new Error(`autocannon failed (exit ${code}):\n${child.output()}`)
  const result = JSON.parse(line) as AutocannonResult
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    cpuPerRequestUs: cpu * 1000 / result.requests.total
  }
}

/** A server started and listening, with the pid whose CPU time is read. */
interface Running {
  readonly port: number
  readonly pid: number | undefined
  readonly stop: () => Promise<unknown>
}

const start = async (file: string): Promise<Running> => {
  const child = spawnBuilt(file, { cpus: serverCpus })
  await child.waitFor(/listening \d+/)
  return {
    port: Number(/listening (\d+)/.exec(child.output())?.[1]),
    pid: child.process.pid,
    stop: () => {
      child.process.kill("SIGTERM")
      return child.exited
    }
  }
}

export const http: Benchmark = {
  name: "http",
  title: "HTTP hello-world throughput",
  run: async ({ quick }) => {
    const rounds = quick ? 1 : 5
    const seconds = quick ? 1.5 : 3
    // The servers need about 2 s of load before their throughput settles (JIT).
    const warmupSeconds = quick ? 1 : 3
    const names = Object.keys(fixtures)
    const samples: Record<string, Array<Record<number, Load>>> = Object.fromEntries(names.map((n) => [n, []]))
    // Every server runs for the whole benchmark (idle while another is loaded), and the loads
    // alternate between them: a machine that speeds up or slows down meanwhile (this one's
    // throughput drifts by 10-20 % within minutes) affects each about equally.
    const servers: Record<string, Running> = {}
    try {
      for (const name of names) servers[name] = await start(fixtures[name] ?? "")
      for (const name of names) {
        const server = servers[name]
        if (server !== undefined) await load(server.port, server.pid, warmupSeconds, 100)
      }
      for (let r = 0; r < rounds; r++) {
        const round: Record<string, Record<number, Load>> = Object.fromEntries(names.map((n) => [n, {}]))
        for (const connections of connectionCounts) {
          for (let i = 0; i < names.length; i++) {
            const name = names[(r + i) % names.length] ?? ""
            const server = servers[name]
            const loads = round[name]
            if (server !== undefined && loads !== undefined) loads[connections] = await load(server.port, server.pid, seconds, connections)
          }
        }
        for (const name of names) samples[name]?.push(round[name] ?? {})
      }
    } finally {
      await Promise.all(Object.values(servers).map((server) => server.stop()))
    }
    /** The median over rounds of ours / baseline within each round (both measured minutes apart at most). */
    const paired = (connections: number, f: (load: Load) => number) =>
      median((samples[ours] ?? []).flatMap((round, r) => {
        const a = round[connections]
        const b = samples[baseline]?.[r]?.[connections]
        return a === undefined || b === undefined ? [] : [f(a) / f(b)]
      }))
    const stat = (connections: number, f: (load: Load) => number, over: (xs: Array<number>) => number = median) =>
      Object.fromEntries(names.map((n) => [n, over((samples[n] ?? []).map((s) => s[connections]).filter((l) => l !== undefined).map(f))]))
    const rows: Array<Row> = connectionCounts.flatMap((c): Array<Row> => {
      const rps = stat(c, (l) => Math.round(l.requestsPerSecond))
      const ratio = (rps[ours] ?? 0) / (rps[baseline] ?? Number.NaN)
      const cpu = stat(c, (l) => l.cpuPerRequestUs)
      return [
        {
          case: `${c} connections: requests/s`,
          values: rps,
          ratio: [
            { label: "HttpHost / NodeHttpServer", value: ratio },
            { label: "HttpHost / NodeHttpServer, paired by round", value: paired(c, (l) => l.requestsPerSecond) },
            { label: "HttpHost / node:http", value: (rps[ours] ?? 0) / (rps[floor] ?? Number.NaN) }
          ],
          target: { text: "≥ 0.97x", pass: ratio >= 0.97 }
        },
        {
          case: `${c} connections: server CPU per request (µs)`,
          values: cpu,
          ratio: [
            { label: "HttpHost / NodeHttpServer", value: (cpu[ours] ?? Number.NaN) / (cpu[baseline] ?? Number.NaN) },
            { label: "HttpHost / NodeHttpServer, paired by round", value: paired(c, (l) => l.cpuPerRequestUs) },
            { label: "HttpHost / node:http", value: (cpu[ours] ?? Number.NaN) / (cpu[floor] ?? Number.NaN) }
          ]
        },
        { case: `${c} connections: p99 latency (ms)`, values: stat(c, (l) => l.p99Ms) },
        { case: `${c} connections: errors`, values: stat(c, (l) => l.errors, (xs) => xs.reduce((a, b) => a + b, 0)) }
      ]
    })
    return {
      name: "http",
      title: "HTTP hello-world throughput",
      unit: `autocannon CLI in its own process, ${seconds} s per load, median of ${rounds} round(s); built JS`,
      programs: names,
      rows,
      raw: samples,
      notes: [
        `Each server is its own child process (\`node <bundle>.mjs\`, effect-host from dist/); autocannon's CLI is another process. ${
          pinned
            ? `Pinned with taskset: the server to CPU ${serverCpus ?? ""}, autocannon to CPU ${loadCpus ?? ""} (of ${cores}).`
            : `Not pinned (${canPin ? `${cores} core` : "no taskset"}): the load generator may share a core with the server.`
        }`,
        "The three servers run side by side for the whole benchmark, each idle while another is loaded: each is warmed up (100 connections), then every round loads each in turn at 10 connections, then each at 100, the order rotating from round to round, so a drift of the machine's speed reaches them alike. \"Paired by round\" is the median of the per-round ratios. Server CPU per request: the server process's user + system time during the load (/proc, 10 ms ticks) over the requests autocannon completed; errors: autocannon's errors + timeouts + non-2xx, summed over rounds."
      ]
    }
  }
}
