/**
 * Configuration keys. A key is a path of segments; `:` joins them for display (`Database:Port`),
 * matching is case-insensitive (as in .NET), and array elements are numeric segments
 * (`Servers:0:Host`). Effect's own paths write an element as `[0]`; both forms mean the same.
 *
 * @internal
 */

export type Path = ReadonlyArray<string>

const bracketIndex = /^\[(\d+)\]$/
const trailingIndex = /^(.+?)\[(\d+)\]$/

/**
 * Normalizes a path as Effect (or a user) gives it: `"Database:Port"` in one segment is split,
 * `[0]` becomes `0`, `Items[0]` becomes `Items`, `0`.
 */
export const normalize = (path: Path): Array<string> => {
  const out: Array<string> = []
  for (const raw of path) {
    for (const part of raw.split(":")) {
      if (part === "") continue
      // Most segments have no index in brackets: no regular expression for them.
      if (!part.endsWith("]")) {
        out.push(part)
        continue
      }
      const bracket = bracketIndex.exec(part)
      if (bracket !== null && bracket[1] !== undefined) {
        out.push(bracket[1])
        continue
      }
      const trailing = trailingIndex.exec(part)
      if (trailing !== null && trailing[1] !== undefined && trailing[2] !== undefined) {
        out.push(trailing[1], trailing[2])
        continue
      }
      out.push(part)
    }
  }
  return out
}

export const isIndex = (segment: string): boolean => {
  if (segment.length === 0) return false
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** The lookup key: lower-cased segments joined with `:`. */
export const lower = (path: Path): string => {
  // Built by hand: every entry of every source goes through here, several times per merge.
  let key = ""
  for (let i = 0; i < path.length; i++) key = i === 0 ? (path[i] as string).toLowerCase() : `${key}:${(path[i] as string).toLowerCase()}`
  return key
}

export const display = (path: Path): string => path.join(":")

/** The environment variable that would set `path`: `Database:Port` -> `DATABASE__PORT`. */
export const envName = (path: Path): string => path.join("__").toUpperCase()

/** Where a missing key could be set, for error messages. */
export const whereToSet = (path: Path): string =>
  `set it in appsettings.json, as env ${envName(path)} or as --${display(path)}=<value>`

/** `true` when `key` (lower-cased) is `prefix` or below it. */
export const isUnder = (key: string, prefix: string): boolean =>
  prefix === "" || key === prefix || key.startsWith(`${prefix}:`)
