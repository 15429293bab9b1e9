/**
 * The host's own configuration keys: what the host setup reads before any service is built. The
 * debug view always shows them, from whatever source (environment variables included).
 *
 * @internal
 */
import * as Build from "./build.js"
import * as Environment from "./environment.js"
import * as HostOptions from "./hostOptions.js"
import * as Key from "./key.js"
import * as Logger from "./logger.js"

/** `suppressStatusMessages=true` hides .NET's status lines; the runner applies it. */
export const suppressStatusMessages = "suppressStatusMessages"

/** The host's keys that hold one value each (a section there is a mistake, reported as such). */
export const valueKeys: ReadonlyArray<string> = [
  Environment.configKeys.environment,
  Environment.configKeys.applicationName,
  Environment.configKeys.contentRoot,
  ...Object.values(HostOptions.configKeys),
  suppressStatusMessages
]

/** Top-level keys read by the host (any case). */
const topLevel: ReadonlyArray<string> = [
  Environment.configKeys.environment,
  Environment.configKeys.applicationName,
  Environment.configKeys.contentRoot,
  "NODE_ENV",
  Build.keys.environmentVariable,
  Build.keys.contentRootVariable,
  ...Object.values(HostOptions.configKeys),
  suppressStatusMessages
].map((key) => key.toLowerCase())

/** Whether `path` is one of the host's keys, or in the `Logging` section. */
export const isHostKey = (path: Key.Path): boolean => {
  const lower = Key.lower(Key.normalize(path))
  return topLevel.includes(lower) || Key.isUnder(lower, Logger.configKeys.section.toLowerCase())
}
