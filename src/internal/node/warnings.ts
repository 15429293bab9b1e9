/**
 * Start-up warnings about process setups that silently break a graceful stop, each with its fix.
 *
 * @internal
 */
import * as fs from "node:fs"
import { relayingParent } from "./relayedSignals.js"

/** What the checks look at; `process` in production, a plain object in tests. */
export interface ProcessInfo {
  readonly pid: number
  readonly env: Readonly<Record<string, string | undefined>>
  /** Node's own options (`process.execArgv`): tsx's CLI shows up there. */
  readonly execArgv?: ReadonlyArray<string> | undefined
  /** Whether the process runs in a container; detected from `env` and marker files if absent. */
  readonly inContainer?: boolean | undefined
}

/**
 * Docker writes `/.dockerenv`, Podman `/run/.containerenv`; Kubernetes sets
 * `KUBERNETES_SERVICE_HOST` in every pod; systemd-nspawn and Podman set `container`.
 */
export const detectContainer = (env: ProcessInfo["env"]): boolean =>
  (env["KUBERNETES_SERVICE_HOST"] ?? "") !== "" ||
  (env["container"] ?? "") !== "" ||
  fs.existsSync("/.dockerenv") ||
  fs.existsSync("/run/.containerenv")

/** PID 1 has no default signal actions and must reap orphans: that is an init's job, not Node's. */
export const pid1Warning =
  "This process runs as PID 1 without an init: the kernel applies no default action to signals " +
  "sent to PID 1 and nothing reaps orphaned child processes. Run the container with an init: " +
  "`docker run --init`, `init: true` in docker-compose, or tini as the entrypoint " +
  "(ENTRYPOINT [\"tini\", \"--\", \"node\", \"main.js\"])."

/** `npm start` (and `npm run`, yarn, pnpm) wraps node in a shell that often drops SIGTERM. */
export const packageManagerWarning = (event: string) =>
  `This process was started through a package manager (\`${event === "npx" ? "npx" : `npm run ${event}`}\`): npm does not ` +
  "forward SIGTERM to the application in many container images, so the graceful stop never runs " +
  "and the container is killed at the end of its grace period. Run node directly " +
  "(CMD [\"node\", \"main.js\"] instead of CMD [\"npm\", \"start\"])."

/** The `tsx` command runs the app as a child of a process that relays signals (and may kill it). */
export const tsxCommandWarning =
  "This process runs under the tsx command: tsx's parent process relays signals to the app and " +
  "SIGKILLs it when a relayed signal is not acknowledged within 30 ms, so a graceful stop can be cut " +
  "short. It is a development tool: run `node --import tsx main.ts`, or node on built JavaScript, " +
  "for anything that must stop gracefully."

/** The warnings that apply to `info`, in the order they are logged. */
export const processWarnings = (info: ProcessInfo): ReadonlyArray<string> => {
  const warnings: Array<string> = []
  // Node itself is PID 1 only when nothing (tini, dumb-init, docker --init) runs before it.
  if (info.pid === 1) warnings.push(pid1Warning)
  // Only in a container: that is where npm is PID 1 or the signal target and drops SIGTERM. On a
  // developer machine Ctrl+C reaches the whole process group, so `npm start` is fine there.
  const event = info.env["npm_lifecycle_event"]
  const inContainer = info.inContainer ?? detectContainer(info.env)
  if (event !== undefined && event.length > 0 && inContainer) warnings.push(packageManagerWarning(event))
  if (relayingParent({ execArgv: info.execArgv ?? [], env: {} }) === "tsx") warnings.push(tsxCommandWarning)
  return warnings
}
