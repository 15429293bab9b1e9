/**
 * HTTP hello-world throughput: the same route through `HttpHost` and on plain
 * `NodeHttpServer.layer`, each server in its own child process, loaded by autocannon from this
 * process, alternating between the two (so both see the same machine noise).
 */
import autocannon from "autocannon"
import { spawnTs } from "./child.js"
import { type Benchmark, median, type Row } from "./lib.js"

const fixtures: Readonly<Record<string, string>> = {
  "NodeHttpServer.layer": "bench/fixtures/http-plain.ts",
  HttpHost: "bench/fixtures/http-host.ts"
}

interface Load {
  readonly requestsPerSecond: number
  readonly p99Ms: number
  readonly errors: number
}

const load = async (port: number, seconds: number, connections: number): Promise<Load> => {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds })
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts
  }
}

/** Starts the server, warms it up, measures, stops it with SIGTERM. */
const round = async (file: string, seconds: number, connections: number, warmupSeconds: number): Promise<Load> => {
  const child = spawnTs(file)
  try {
    await child.waitFor(/listening \d+/)
    const port = Number(/listening (\d+)/.exec(child.output())?.[1])
    await load(port, warmupSeconds, connections)
    return await load(port, seconds, connections)
  } finally {
    child.process.kill("SIGTERM")
    await child.exited
  }
}

export const http: Benchmark = {
  name: "http",
  title: "HTTP hello-world throughput",
  run: async ({ quick }) => {
    const rounds = quick ? 1 : 3
    const seconds = quick ? 1.5 : 10
    const connections = 50
    const names = Object.keys(fixtures)
    const samples: Record<string, Array<Load>> = Object.fromEntries(names.map((n) => [n, []]))
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(r + i) % names.length] ?? ""
        samples[name]?.push(await round(fixtures[name] ?? "", seconds, connections, quick ? 0.5 : 2))
      }
    }
    const rps = Object.fromEntries(names.map((n) => [n, Math.round(median((samples[n] ?? []).map((s) => s.requestsPerSecond)))]))
    const ratio = (rps["HttpHost"] ?? 0) / (rps["NodeHttpServer.layer"] ?? Number.NaN)
    const rows: Array<Row> = [
      {
        case: "requests per second",
        values: rps,
        ratio: { label: "HttpHost / plain", value: ratio },
        target: { text: "within 5% (≥ 0.95x)", pass: ratio >= 0.95 }
      },
      {
        case: "p99 latency (ms)",
        values: Object.fromEntries(names.map((n) => [n, median((samples[n] ?? []).map((s) => s.p99Ms))]))
      },
      {
        case: "errors",
        values: Object.fromEntries(names.map((n) => [n, (samples[n] ?? []).reduce((a, s) => a + s.errors, 0)]))
      }
    ]
    return {
      name: "http",
      title: "HTTP hello-world throughput",
      unit: `autocannon, ${connections} connections, ${seconds} s per round, ${rounds} round(s), median`,
      programs: names,
      rows,
      notes: [
        "Each server runs in its own child process (node --import tsx); autocannon runs in the bench process. On a 2-core machine the load generator competes with the server, so absolute numbers are low; the ratio is what matters."
      ]
    }
  }
}
