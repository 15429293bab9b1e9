/**
 * The sources, each turned into a flat `Layer` of entries: values in code, JSON files, the
 * environment, the command line.
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import type { Issue } from "./error.js"
import * as Json from "./json.js"
import * as Key from "./key.js"
import * as Source from "./source.js"
import { type Entry, type Layer, layer } from "./store.js"

// ---------------------------------------------------------------------------------------------
// Values in code
// ---------------------------------------------------------------------------------------------

/**
 * Values given in code, as a nested object (`{ Database: { Port: 5432 } }`) or with `:` keys
 * (`{ "Database:Port": 5432 }`). `Redacted` values are unwrapped here and their keys reported
 * as secrets. `null`/`undefined` mean "not set".
 */
export const fromValues = (values: Readonly<Record<string, unknown>>): { layer: Layer; secrets: ReadonlyArray<Key.Path> } => {
  const entries: Array<Entry> = []
  const arrays: Array<Key.Path> = []
  const secrets: Array<Key.Path> = []
  const visit = (path: Key.Path, value: unknown): void => {
    if (value === null || value === undefined) return
    if (Redacted.isRedacted(value)) {
      secrets.push(path)
      return visit(path, Redacted.value(value))
    }
    if (Array.isArray(value)) {
      if (value.length === 0) arrays.push(path)
      value.forEach((element, i) => visit([...path, String(i)], element))
      return
    }
    if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit([...path, ...Key.normalize([k])], v)
      return
    }
    if (path.length === 0) return
    entries.push({ path, value: String(value), source: Source.code, splittable: typeof value === "string" })
  }
  visit([], values)
  return { layer: layer(entries, arrays), secrets }
}

// ---------------------------------------------------------------------------------------------
// JSON files
// ---------------------------------------------------------------------------------------------

/** A file as parsed: its layer, or why it has none. */
export type FileResult =
  | { readonly _tag: "Loaded"; readonly layer: Layer }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly issue: Issue }

const fromJson = (value: Json.JsonObject, source: Source.Source): Layer => {
  const entries: Array<Entry> = []
  const arrays: Array<Key.Path> = []
  const visit = (path: Key.Path, v: Json.JsonValue): void => {
    if (v === null) return
    if (Array.isArray(v)) {
      if (v.length === 0) arrays.push(path)
      v.forEach((element: Json.JsonValue, i: number) => visit([...path, String(i)], element))
    } else if (v instanceof Json.JsonNumber) {
      entries.push({ path, value: v.text, source, splittable: false })
    } else if (typeof v === "object") {
      for (const [k, child] of Object.entries(v)) visit([...path, k], child)
    } else {
      entries.push({ path, value: String(v), source, splittable: false })
    }
  }
  for (const [k, child] of Object.entries(value)) visit([k], child)
  return layer(entries, arrays)
}

/** A file as read from disk, before it is parsed: a reload compares the texts first. */
export type FileText =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Unreadable"; readonly error: unknown }

/** Reads one file's text. */
export const readFileText = (path: string): FileText => {
  try {
    // A missing file is the common case (appsettings.{Environment}.json): asking first costs less
    // than the exception a failed read builds.
    if (fs.statSync(path, { throwIfNoEntry: false }) === undefined) return { _tag: "Missing" }
    return { _tag: "Text", text: fs.readFileSync(path, "utf8") }
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""
    return code === "ENOENT" ? { _tag: "Missing" } : { _tag: "Unreadable", error }
  }
}

/** The text a file had when read, `undefined` when it was missing or unreadable. */
export const textOf = (read: FileText): string | undefined => (read._tag === "Text" ? read.text : undefined)

/** One JSON file as read. A missing file is `Missing`; unreadable or malformed is `Invalid`. */
export const parseJsonFile = (path: string, read: FileText): FileResult => {
  const source = Source.file(path)
  if (read._tag === "Missing") return read
  if (read._tag === "Unreadable") {
    const error = read.error
    return { _tag: "Invalid", issue: { message: `${path}: cannot read the file (${error instanceof Error ? error.message : String(error)})`, source } }
  }
  const text = read.text
  try {
    const value = Json.parse(text)
    if (!Json.isObject(value)) {
      return { _tag: "Invalid", issue: { message: `${path}:1:1: invalid configuration file: the top level must be a JSON object`, source } }
    }
    return { _tag: "Loaded", layer: fromJson(value, source) }
  } catch (error) {
    if (error instanceof Json.JsonSyntaxError) {
      return {
        _tag: "Invalid",
        issue: { message: `${path}:${error.line}:${error.column}: invalid JSON: ${error.message}`, source }
      }
    }
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Environment variables
// ---------------------------------------------------------------------------------------------

/**
 * Every variable is a key: `__` (or `:`) separates segments, `Database__Port`, any case.
 * With a `prefix`, only variables starting with it (any case) are used, without it.
 */
export const fromEnv = (env: Readonly<Record<string, string | undefined>>, prefix?: string): Layer => {
  const entries: Array<Entry> = []
  const withPrefix = prefix !== undefined && prefix !== ""
  // Keys, then each value: on `process.env` (a native interceptor) about half the cost of
  // `Object.entries`, which every host pays.
  for (const name of Object.keys(env)) {
    const value = env[name]
    if (value === undefined) continue
    // Every host reads the whole environment, which rarely changes between two hosts: the entry
    // of a variable is made once per name, value and prefix (entries are never modified).
    const cacheKey = withPrefix ? `${prefix}\u0000${name}` : name
    const cached = envEntries.get(cacheKey)
    if (cached !== undefined && cached.value === value) {
      if (cached.entry !== undefined) entries.push(cached.entry)
      continue
    }
    const entry = envEntry(name, value, withPrefix ? prefix : undefined)
    envEntries.set(cacheKey, { value, entry })
    if (entry !== undefined) entries.push(entry)
  }
  return layer(entries)
}

/** The entries made from the environment so far (see `fromEnv`): as many as it has variables. */
const envEntries = new Map<string, { readonly value: string; readonly entry: Entry | undefined }>()

/** The entry of one variable, or `undefined` when it is not a key (or not under the prefix). */
const envEntry = (name: string, value: string, prefix: string | undefined): Entry | undefined => {
  let keyText = name
  if (prefix !== undefined) {
    if (!name.toLowerCase().startsWith(prefix.toLowerCase())) return undefined
    keyText = name.slice(prefix.length)
  }
  const raw = keyText.split(/__|:/)
  // `__CF_USER_TEXT_ENCODING` and the like cannot be addressed as keys: skip them.
  if (raw.some((segment) => segment === "")) return undefined
  return { path: Key.normalize(raw), value, source: Source.env(name), splittable: true }
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/**
 * `--Section:Key=value`, `--Section:Key value`, `--Section.Key=value` (dots separate only in a
 * key without a colon, so a category such as `effect-host.Lifetime` can be named). A switch with no value
 * (`--environment` at the end, or followed by another switch or by `--`) is kept as
 * `valueless`: reading it is a configuration error naming the switch (.NET silently drops a
 * trailing switch, which would run `--environment` in Production; a flag the program handles
 * itself and never reads through configuration is harmless). `--key=` is the empty value.
 * Arguments not starting with `--` are left to the program, and `--` ends the options.
 */
export const fromArgs = (args: ReadonlyArray<string>): Layer => {
  const entries: Array<Entry> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string // i < length
    if (arg === "--") break
    if (!arg.startsWith("--") || arg.length === 2) continue
    const body = arg.slice(2)
    const eq = body.indexOf("=")
    let keyText: string
    let value: string | undefined
    if (eq >= 0) {
      keyText = body.slice(0, eq)
      value = body.slice(eq + 1)
    } else {
      keyText = body
      const next = args[i + 1]
      if (next !== undefined && !next.startsWith("--")) {
        value = next
        i++
      }
    }
    // `:` is the separator; a key without one may use `.` instead (Effect's `Config` paths).
    // In a key with `:`, a dot is part of a segment: `Logging:LogLevel:effect-host.Lifetime`.
    const raw = keyText.split(keyText.includes(":") ? ":" : ".")
    if (raw.some((segment) => segment === "")) continue
    const source = Source.commandLine(`--${keyText}`)
    entries.push(
      value === undefined
        ? { path: Key.normalize(raw), value: "", source, splittable: false, valueless: true }
        : { path: Key.normalize(raw), value, source, splittable: true }
    )
  }
  return layer(entries)
}
