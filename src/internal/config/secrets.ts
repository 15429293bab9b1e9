/**
 * Which keys are secrets. A value is masked in the debug view and never quoted in an error
 * message when its key
 *   - has a segment that looks like a secret's name (password, secret, token, credential,
 *     connection string, or ends in "key": ApiKey, SigningKey), or
 *   - was read as a secret: `Config.redacted`, `Schema.Redacted` in typed settings, a
 *     `Redacted` value in code, or listed in the `secrets` option.
 * Masking too much is harmless; masking too little leaks.
 *
 * @internal
 */
import * as Key from "./key.js"

const words = ["password", "passwd", "secret", "token", "credential", "connectionstring", "private"]

export const looksSecret = (segment: string): boolean => {
  const s = segment.toLowerCase()
  return s === "pwd" || s.endsWith("key") || s.endsWith("keys") || words.some((w) => s.includes(w))
}

export const mask = "<redacted>"

/** Keys known to be secrets (lower-cased), growing as the program reads `Redacted` values. */
export class Secrets {
  private readonly keys = new Set<string>()

  constructor(initial: Iterable<Key.Path> = []) {
    for (const path of initial) this.add(path)
  }

  add(path: Key.Path): void {
    this.keys.add(Key.lower(Key.normalize(path)))
  }

  /** A key is secret when any segment looks secret or the key or a parent was marked. */
  has(path: Key.Path): boolean {
    const normalized = Key.normalize(path)
    if (normalized.some(looksSecret)) return true
    for (let i = normalized.length; i > 0; i--) {
      if (this.keys.has(Key.lower(normalized.slice(0, i)))) return true
    }
    return false
  }
}

/**
 * Removes secret values from a message: each value quoted or bare (bare only from 3 characters
 * on, so a one-letter secret does not mangle the text), and, with `tail`, whatever follows
 * "actual"/"received" (how Schema and Config quote the offending value). Callers use generic
 * wording for secrets too; this is the second line of defence.
 */
export const scrub = (message: string, values: ReadonlyArray<string>, tail: boolean): string => {
  let out = message
  for (const value of values) {
    if (value === "") continue
    out = out.split(JSON.stringify(value)).join(mask)
    if (value.length >= 3) out = out.split(value).join(mask)
  }
  return tail ? out.replace(/\b(actual|received)\b.*$/s, `$1 ${mask}`) : out
}
