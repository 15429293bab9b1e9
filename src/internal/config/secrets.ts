/**
 * Which keys are secrets: masked in the debug view and never quoted in an error message. The
 * rule, by declaration or by name, never by guessing at substrings:
 *
 *   1. declared: listed in the `secrets` option, a `Redacted` value in code, read through
 *      `Config.redacted` (or any `Config` whose value wraps what it read in `Redacted`), or under
 *      `Schema.Redacted` in typed settings — the key and everything below it;
 *   2. named: one of the key's segments, lower-cased and without `_`, `-` and `.`, *is* a
 *      secret's name (`secretNames`: `Key`, `Keys`) or *ends with* one (`secretSuffixes`:
 *      `…Password(s)`, `…Passwd`, `…Passphrase`, `…Secret(s)` (ClientSecret), `…Token(s)`
 *      (AccessToken, GITHUB_TOKEN), `…ApiKey(s)`, `…AccessKey`, `…SecretKey`, `…PrivateKey`,
 *      `…SigningKey`, `…EncryptionKey`, `…ConnectionString(s)`, `…Credential(s)`).
 *
 * So `Db:Password`, `Jwt:Key`, `ConnectionStrings:Default`, `AWS_SECRET_ACCESS_KEY` are
 * secrets; `PWD`, `OLDPWD`, `Keyboard`, `Monkey`, `TokenUrl`, `SecretName` are not (declare
 * them in `secrets` if they are).
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import * as Equal from "effect/Equal"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Key from "./key.js"

/** Segments that are a secret's name as a whole. */
export const secretNames: ReadonlyArray<string> = ["key", "keys"]

/** Endings that make a segment a secret's name (the segment itself included: `Token`). */
export const secretSuffixes: ReadonlyArray<string> = [
  "password",
  "passwords",
  "passwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "tokens",
  "apikey",
  "apikeys",
  "accesskey",
  "secretkey",
  "privatekey",
  "signingkey",
  "encryptionkey",
  "connectionstring",
  "connectionstrings",
  "credential",
  "credentials"
]

/** Whether a key segment is a secret's name (rule 2 above). */
export const isSecretName = (segment: string): boolean => {
  const s = segment.toLowerCase().replace(/[-_.]/g, "")
  return secretNames.includes(s) || secretSuffixes.some((suffix) => s.endsWith(suffix))
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

  /** A key is secret when a segment is a secret's name, or the key or a parent was declared one. */
  has(path: Key.Path): boolean {
    const normalized = Key.normalize(path)
    if (normalized.some(isSecretName)) return true
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

type Scalar = string | number | boolean | bigint

const isScalar = (u: unknown): u is Scalar =>
  typeof u === "string" || typeof u === "number" || typeof u === "boolean" || typeof u === "bigint"

/**
 * The scalars inside every `Redacted` in `value` (a loaded `Config`'s result: plain objects,
 * arrays, `Option`, `Either`, `HashMap`, `Chunk`, nested as `Config` nests them).
 */
const redactedScalars = (value: unknown): ReadonlyArray<Scalar> => {
  const out: Array<Scalar> = []
  const seen = new Set<object>()
  const walk = (u: unknown, inside: boolean, depth: number): void => {
    if (depth > 32) return
    if (isScalar(u)) {
      if (inside) out.push(u)
      return
    }
    if (typeof u !== "object" || u === null || seen.has(u)) return
    seen.add(u)
    if (Redacted.isRedacted(u)) return walk(Redacted.value(u), true, depth + 1)
    if (Option.isOption(u)) return Option.isSome(u) ? walk(u.value, inside, depth + 1) : undefined
    if (Either.isEither(u)) return walk(Either.isRight(u) ? u.right : u.left, inside, depth + 1)
    const children: Iterable<unknown> = HashMap.isHashMap(u)
      ? HashMap.values(u)
      : Chunk.isChunk(u)
      ? Chunk.toReadonlyArray(u)
      : Array.isArray(u)
      ? u
      : Object.values(u)
    for (const child of children) walk(child, inside, depth + 1)
  }
  walk(value, false, 0)
  return out
}

/**
 * After a load: the keys whose values ended up inside a `Redacted` (`Config.redacted`, or any
 * `Config` that wraps what it read in `Redacted`) become secrets. Built on Effect's public API
 * only: the loaded value is searched for `Redacted` instances, and a key the load read is marked
 * when what it read (the primitive's value, or its raw text) equals a redacted scalar. Another
 * key of the same load with the very same value is marked too: masking too much is harmless.
 */
export const markRedacted = (
  secrets: Secrets,
  value: unknown,
  loaded: ReadonlyArray<{ readonly path: Key.Path; readonly text: string; readonly value: unknown }>
): void => {
  if (loaded.length === 0) return
  const scalars = redactedScalars(value)
  if (scalars.length === 0) return
  const texts = new Set(scalars.map((s) => String(s)))
  for (const read of loaded) {
    if (read.text.trim() === "") continue
    if (texts.has(read.text.trim()) || scalars.some((s) => Equal.equals(s, read.value))) secrets.add(read.path)
  }
}

/**
 * After a failed load: Effect replaces the message of every failure below a `Config.redacted`
 * with `"<redacted>"` (so an invalid secret is never quoted); those keys become secrets too, so
 * that the debug view masks a value that did not even parse. `Schema.Config` does not: its
 * message is the `ParseError`'s, which quotes the value, and names the declared schema
 * (`(NumberFromString <-> Redacted(<redacted>))`); a failure whose schema has a `Schema.Redacted`
 * makes the key a secret as well, and the error that reports it then masks the value.
 */
const effectRedactedMessage = "<redacted>"
const schemaRedacted = /\bRedacted\(/

const declaresRedacted = (message: string): boolean => message === effectRedactedMessage || schemaRedacted.test(message)

export const markRedactedFailures = (secrets: Secrets, error: ConfigError.ConfigError): void => {
  const paths = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: ReadonlyArray<ReadonlyArray<string>>, right: ReadonlyArray<ReadonlyArray<string>>) => [...left, ...right],
    orCase: (_, left: ReadonlyArray<ReadonlyArray<string>>, right: ReadonlyArray<ReadonlyArray<string>>) => [...left, ...right],
    invalidDataCase: (_, path, message) => (declaresRedacted(message) ? [path] : []),
    missingDataCase: () => [],
    sourceUnavailableCase: (_, path, message) => (declaresRedacted(message) ? [path] : []),
    unsupportedCase: () => []
  })
  for (const path of paths) if (path.length > 0) secrets.add(path)
}
