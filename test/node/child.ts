/**
 * Runs a fixture app as a real Node child process (`node --import tsx`, no wrapper process in
 * between, so a signal reaches the app itself), collects its output and measures how long it
 * takes from a signal to the exit.
 */
import * as path from "node:path"
import { type Exited, killLeftovers, root, spawnTsx, type Watched } from "../util/child.js"

export { type Exited, killLeftovers, root }
export type Running = Watched

export const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Running =>
  spawnTsx(path.join("test", "fixtures", "node", "app.ts"), args, {
    env,
    // The host reads NODE_ENV and the runner warns about npm: keep the child's environment neutral.
    drop: ["NODE_ENV", "npm_lifecycle_event", "KUBERNETES_SERVICE_HOST"],
    label: "the node fixture app"
  })

/** The lines of `text` that match `pattern`, in order. */
export const linesMatching = (text: string, pattern: RegExp): ReadonlyArray<string> =>
  text.split("\n").filter((line) => pattern.test(line))
