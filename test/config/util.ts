/**
 * Helpers for the configuration tests: appsettings files in a fresh temporary content root, a
 * provider built from explicit sources (never the real process environment or argv), and a
 * Console that captures what loggers write.
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { format } from "node:util"
import { HostConfiguration } from "effect-host"
import { tempDir } from "../util/tempDir.js"

/** A fresh directory with the given files (objects are written as JSON, strings as is), removed after the test file. */
export const contentRoot = (files: Readonly<Record<string, unknown>> = {}): string => {
  const dir = tempDir("effect-host-config-")
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2))
  }
  return dir
}

/** Options that read nothing from the real process unless given. */
export const isolated = (options: HostConfiguration.Options = {}): HostConfiguration.Options => ({
  env: {},
  args: [],
  contentRoot: contentRoot(),
  ...options
})

/** Runs `effect` with a layered provider built from `options` (isolated from the process). */
export const withConfig = <A, E, R>(options: HostConfiguration.Options, effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(HostConfiguration.make(isolated(options)), (provider) => Effect.withConfigProvider(effect, provider))

export interface Captured {
  readonly stdout: Array<string>
  readonly stderr: Array<string>
  readonly console: Console.Console
  /** Console groups opened and not closed (the pretty logger opens one per line). */
  readonly openGroups: () => number
}

/** A `Console` whose `unsafe` methods record lines instead of printing them. */
export const captureConsole = (): Captured => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  let groups = 0
  const real = Context.get(DefaultServices.liveServices, Console.Console)
  const unsafe: Console.UnsafeConsole = {
    ...real.unsafe,
    log: (...args: ReadonlyArray<unknown>) => void stdout.push(format(...args)),
    info: (...args: ReadonlyArray<unknown>) => void stdout.push(format(...args)),
    debug: (...args: ReadonlyArray<unknown>) => void stdout.push(format(...args)),
    error: (...args: ReadonlyArray<unknown>) => void stderr.push(format(...args)),
    warn: (...args: ReadonlyArray<unknown>) => void stderr.push(format(...args)),
    group: () => void groups++,
    groupEnd: () => void groups--
  }
  return { stdout, stderr, console: { ...real, unsafe }, openGroups: () => groups }
}
