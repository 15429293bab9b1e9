/**
 * Runs a real child process for the process tests (fixtures, examples), collects its output as
 * it arrives, lets a test wait for a line, send a signal and read the exit. Every child is
 * tracked so that a failed test leaves none behind (`killLeftovers`).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository's root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

export interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Watched {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** stdout and stderr interleaved as they arrived. */
  readonly output: () => string
  /** Resolves with the match once `pattern` appears in the output; rejects on timeout or exit. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>
  readonly exited: Promise<Exited>
  /** Sends `signal` and resolves with the exit and the milliseconds from the signal to the exit. */
  readonly signal: (signal: NodeJS.Signals) => Promise<Exited & { readonly elapsedMs: number }>
}

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Environment variables of this process not to pass on (the host reads NODE_ENV, for one). */
  readonly drop?: ReadonlyArray<string> | undefined
  /** In its own process group, as a terminal runs it: `killLeftovers` then kills the group. */
  readonly detached?: boolean | undefined
  /** Named in error messages. */
  readonly label?: string | undefined
  /** Default for `waitFor`; start-up under tsx on a busy two-core machine takes seconds. */
  readonly waitTimeoutMs?: number | undefined
}

const live = new Set<ChildProcess>()
/** Children spawned `detached`: each leads a process group, killed as a whole. */
const groupLeaders = new WeakSet<ChildProcess>()

/** Kills `child`'s whole process group (it was spawned `detached`), or the child alone. */
export const killGroup = (child: ChildProcess, signal: NodeJS.Signals = "SIGKILL") => {
  if (groupLeaders.has(child) && child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal)
      return
    } catch {
      // The group is gone already; fall back to the child itself.
    }
  }
  child.kill(signal)
}

/** Kills whatever a failed test left running (whole process groups for detached children). */
export const killLeftovers = () => {
  for (const child of live) killGroup(child)
  live.clear()
}

/**
 * The node arguments that run `file` (a .ts program, relative to the repository's root or
 * absolute): its bundle when the process tests' global setup built one (test/setup/fixtures.ts),
 * else `--import tsx file`.
 */
export const nodeArgs = (file: string): Array<string> => {
  const built = process.env["EFFECT_HOST_FIXTURES"]
  if (built !== undefined) {
    const bundle = path.join(built, path.relative(root, path.resolve(root, file)).replace(/\.ts$/, ".mjs"))
    if (fs.existsSync(bundle)) return [bundle]
  }
  return ["--import", "tsx", file]
}

/**
 * `command args` through a shell that sets `JOURNAL_STREAM` to its own stdout's (fd 1) or
 * stderr's (fd 2) device and inode, then becomes the command (same pid, same fds): that stream
 * is then systemd's journal as the program sees it. For `spawnWatched`.
 */
export const onJournalStream = (fd: 1 | 2, command: string, args: ReadonlyArray<string>): readonly [string, Array<string>] =>
  ["sh", ["-c", `JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/${fd}) exec "$@"`, "sh", command, ...args]]

/** Runs the program `file` with node (its prebuilt bundle, see `nodeArgs`), from the repository's root. */
export const spawnTsx = (file: string, args: ReadonlyArray<string> = [], options: SpawnOptions = {}): Watched =>
  spawnWatched(process.execPath, [...nodeArgs(file), ...args], options)

export const spawnWatched = (
  command: string,
  args: ReadonlyArray<string>,
  { detached = false, drop = [], env = {}, label = command, waitTimeoutMs = 20_000 }: SpawnOptions = {}
): Watched => {
  const inherited: Record<string, string | undefined> = { ...process.env }
  for (const name of drop) delete inherited[name]
  const child = spawn(command, args, {
    cwd: root,
    // NO_COLOR keeps the output greppable.
    env: { ...inherited, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached
  })
  live.add(child)
  if (detached) groupLeaders.add(child)
  let stdout = ""
  let stderr = ""
  let output = ""
  let ended = false
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const check of [...waiters]) check()
  }
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
    output += chunk.toString("utf8")
    notify()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
    output += chunk.toString("utf8")
    notify()
  })
  const exited = new Promise<Exited>((resolve) =>
    // `close`, not `exit`: by then every byte of output has arrived.
    child.on("close", (code, signal) => {
      live.delete(child)
      ended = true
      notify()
      resolve({ code, signal })
    })
  )
  const waitFor = (pattern: RegExp, timeoutMs = waitTimeoutMs) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`timed out waiting for ${pattern} in the output of ${label}:\n${output}`))
      }, timeoutMs)
      const check = () => {
        const match = pattern.exec(output)
        if (match !== null || ended) {
          clearTimeout(timer)
          waiters.delete(check)
          if (match !== null) resolve(match)
          else reject(new Error(`${label} exited before printing ${pattern}:\n${output}`))
        }
      }
      waiters.add(check)
      check()
    })
  const signal = async (name: NodeJS.Signals) => {
    const sentAt = performance.now()
    child.kill(name)
    const result = await exited
    return { ...result, elapsedMs: Math.round(performance.now() - sentAt) }
  }
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => output, waitFor, exited, signal }
}
