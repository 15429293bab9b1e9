/**
 * A PostgreSQL server for the cluster tests (vitest global setup).
 *
 * - `EFFECT_HOST_POSTGRES_URL` set (`.ci/run` starts a server and sets it): the tests use it.
 * - Not set: this starts a throw-away server with the machine's own binaries (`initdb`/`pg_ctl`
 *   on the PATH, else the newest `/usr/lib/postgresql/<version>/bin`) in a temporary data
 *   directory, on 127.0.0.1 and a free port, as the `postgres` user when running as root (initdb
 *   refuses root), and stops it at the end.
 * - No binaries: the PostgreSQL tests are skipped with a message saying why; except when
 *   `EFFECT_HOST_REQUIRE_POSTGRES=1` (set by `.ci/run`), where this fails instead.
 *
 * The tests read the server's URL from `EFFECT_HOST_POSTGRES_URL`, or the reason it is missing
 * from `EFFECT_HOST_POSTGRES_SKIP` (test/cluster/util/postgres.ts).
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** The directory holding `initdb` and `pg_ctl`, or undefined. */
export const findBinaries = (): string | undefined => {
  const onPath = spawnSync("sh", ["-c", "command -v pg_ctl"], { encoding: "utf8" })
  const fromPath = onPath.status === 0 ? path.dirname(fs.realpathSync(onPath.stdout.trim())) : undefined
  if (fromPath !== undefined && fs.existsSync(path.join(fromPath, "initdb"))) return fromPath
  const base = "/usr/lib/postgresql"
  if (!fs.existsSync(base)) return undefined
  const versions = fs.readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : path.join(base, versions[0], "bin")
}

const isRoot = () => process.getuid?.() === 0

/** Runs a PostgreSQL binary, as `postgres` when we are root. */
const run = (bin: string, args: ReadonlyArray<string>) => {
  const [command, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, [...args]]
  execFileSync(command, argv, { stdio: ["ignore", "pipe", "pipe"] })
}

export interface Server {
  readonly url: string
  readonly stop: () => void
}

/**
 * Starts a throw-away server; `stop` stops it and removes its directory. `fsync: false` (the
 * tests' default) skips flushing to disk: committed data survives a process's death, not the
 * machine's.
 */
export const startServer = async (binaries: string, { fsync = false }: { readonly fsync?: boolean } = {}): Promise<Server> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-pg-"))
  const data = path.join(dir, "data")
  fs.mkdirSync(data)
  if (isRoot()) {
    fs.chmodSync(dir, 0o755)
    execFileSync("chown", ["-R", "postgres:postgres", dir])
  }
  const port = await freePort()
  run(path.join(binaries, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
  run(path.join(binaries, "pg_ctl"), [
    "-D",
    data,
    "-l",
    path.join(dir, "server.log"),
    "-w",
    "-o",
    `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${fsync ? "on" : "off"}`,
    "start"
  ])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run(path.join(binaries, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"])
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env["EFFECT_HOST_POSTGRES_URL"] !== undefined) return undefined
  const binaries = findBinaries()
  if (binaries === undefined) {
    const reason = "no PostgreSQL binaries on this machine (initdb/pg_ctl on the PATH or in /usr/lib/postgresql/*/bin) " +
      "and EFFECT_HOST_POSTGRES_URL is not set"
    if (process.env["EFFECT_HOST_REQUIRE_POSTGRES"] === "1") {
      throw new Error(`EFFECT_HOST_REQUIRE_POSTGRES=1 but ${reason}`)
    }
    console.warn(`PostgreSQL cluster tests skipped: ${reason}`)
    process.env["EFFECT_HOST_POSTGRES_SKIP"] = reason
    return undefined
  }
  const started = performance.now()
  const server = await startServer(binaries)
  process.env["EFFECT_HOST_POSTGRES_URL"] = server.url
  console.log(`started a throw-away PostgreSQL (${binaries}) at ${server.url} in ${Math.round(performance.now() - started)} ms`)
  return server.stop
}
