/**
 * The merged configuration: every effective key with its value and its source.
 *
 * Each source (code values, a file, the environment, the command line) becomes a `Layer` of flat
 * entries; `merge` applies them lowest first, later wins, with two rules:
 *
 *   - keys match case-insensitively; a key keeps the spelling it was first seen with
 *     (appsettings.json's `Database:Port` rather than the environment's `DATABASE:PORT`);
 *   - arrays are replaced, never merged by index: a source that sets any element of an array
 *     (`Servers:0:Host`, env `SERVERS__0__HOST`), or the array's key itself (`Servers=a,b`),
 *     replaces the whole array of every lower source. .NET merges by index, so a two-element
 *     override of a three-element array silently keeps the third; we do not.
 *
 * @internal
 */
import * as Key from "./key.js"
import type { Source } from "./source.js"

export interface Entry {
  /** Display path as first seen (`Database`, `Port`). */
  readonly path: Key.Path
  readonly value: string
  readonly source: Source
  /**
   * Whether a read as an array may split the value on commas: true for the environment, the
   * command line and strings in code; never for JSON strings (JSON has real arrays) nor for
   * array elements.
   */
  readonly splittable: boolean
  /**
   * A command-line switch given without a value (`--environment` at the end, or followed by
   * another switch). It is kept, not dropped: reading it is a configuration error naming the
   * switch, and a program's own flag that is never read (`--verbose`) harms nothing.
   */
  readonly valueless?: true | undefined
}

/** The problem with a switch given without a value, for an error about `entry`. */
export const valuelessMessage = (entry: Entry): string => {
  const arg = entry.source._tag === "CommandLine" ? entry.source.arg : `--${entry.path.join(":")}`
  return `the switch was given without a value; write ${arg}=<value> or ${arg} <value>`
}

export interface Layer {
  readonly entries: ReadonlyArray<Entry>
  /** Paths this layer declares as (possibly empty) arrays, besides those implied by its entries. */
  readonly arrays: ReadonlyArray<Key.Path>
}

export const layer = (entries: ReadonlyArray<Entry>, arrays: ReadonlyArray<Key.Path> = []): Layer => ({ entries, arrays })

export class Store {
  private readonly byKey: ReadonlyMap<string, Entry>
  private readonly childIndex = new Map<string, Map<string, string>>()

  /** The entries by their lower-cased key (`Key.lower`), as `merge` makes them. */
  constructor(byKey: ReadonlyMap<string, Entry>) {
    this.byKey = byKey
    for (const entry of byKey.values()) {
      let parent = ""
      for (const segment of entry.path) {
        const lower = segment.toLowerCase()
        let children = this.childIndex.get(parent)
        if (children === undefined) {
          children = new Map()
          this.childIndex.set(parent, children)
        }
        if (!children.has(lower)) children.set(lower, segment)
        parent = parent === "" ? lower : `${parent}:${lower}`
      }
    }
  }

  get(path: Key.Path): Entry | undefined {
    return this.byKey.get(Key.lower(path))
  }

  /** The direct children of `path`, spelled as first seen; array indices in numeric order. */
  children(path: Key.Path): ReadonlyArray<string> {
    const children = [...(this.childIndex.get(Key.lower(path))?.values() ?? [])]
    return children.every(Key.isIndex) ? children.sort((a, b) => Number(a) - Number(b)) : children
  }

  /** Whether anything is set at or below `path`. */
  has(path: Key.Path): boolean {
    return this.get(path) !== undefined || this.childIndex.has(Key.lower(path))
  }

  /** Every effective entry, sorted by key. */
  entries(): ReadonlyArray<Entry> {
    return [...this.byKey.values()].sort((a, b) => compareKeys(Key.lower(a.path), Key.lower(b.path)))
  }

  /**
   * What is set at or below `path` (lower-cased keys, values, valueless switches), as one string:
   * equal strings mean a section reads the same (a watcher emits only when its section changed).
   */
  fingerprint(path: Key.Path): string {
    const section = Key.lower(path)
    const parts: Array<string> = []
    for (const [key, entry] of this.byKey) {
      if (Key.isUnder(key, section)) parts.push(`${key}\u0000${entry.valueless === true ? "\u0001" : entry.value}`)
    }
    return parts.sort().join("\u0000\u0000")
  }

  /**
   * The keys (as displayed, sorted) whose value is new, gone or different in `next`. A value that
   * only moved to another source is no change.
   */
  changedKeys(next: Store): ReadonlyArray<string> {
    const changed: Array<Entry> = []
    for (const [key, entry] of next.byKey) {
      const before = this.byKey.get(key)
      if (before === undefined || before.value !== entry.value || before.valueless !== entry.valueless) changed.push(entry)
    }
    for (const [key, entry] of this.byKey) if (!next.byKey.has(key)) changed.push(entry)
    return changed
      .sort((a, b) => compareKeys(Key.lower(a.path), Key.lower(b.path)))
      .map((entry) => Key.display(entry.path))
  }

  /** Whether `next` has the same entries, from the same sources. */
  sameAs(next: Store): boolean {
    if (next.byKey.size !== this.byKey.size) return false
    for (const [key, entry] of next.byKey) {
      const before = this.byKey.get(key)
      if (
        before === undefined || before.value !== entry.value || before.valueless !== entry.valueless ||
        JSON.stringify(before.source) !== JSON.stringify(entry.source) || Key.display(before.path) !== Key.display(entry.path)
      ) return false
    }
    return true
  }

  /** A store with `entries` added on top (later wins, same rules as `merge`). */
  with(entries: ReadonlyArray<Entry>): Store {
    return merge([layer(this.entries()), layer(entries)])
  }
}

// Numeric segments sort numerically so `Items:10` comes after `Items:9` in the debug view.
const compareKeys = (a: string, b: string): number => {
  const as = a.split(":")
  const bs = b.split(":")
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i] as string
    const y = bs[i] as string
    if (x === y) continue
    if (Key.isIndex(x) && Key.isIndex(y)) return Number(x) - Number(y)
    return x < y ? -1 : 1
  }
  return as.length - bs.length
}

/** Every proper prefix of `key` (lower-cased, `:`-joined), shortest first. */
const prefixes = (key: string): Array<string> => {
  const out: Array<string> = []
  for (let i = key.indexOf(":"); i !== -1; i = key.indexOf(":", i + 1)) out.push(key.slice(0, i))
  return out
}

/** Adds to `out` the keys that are arrays in `key` (lower-cased): the parents of its numeric segments. */
const addArrayParents = (key: string, out: Set<string>): void => {
  // Most keys have no numeric segment: one scan for a digit after a `:` first.
  if (!/:\d/.test(key)) return
  const segments = key.split(":")
  for (let i = 1; i < segments.length; i++) {
    if (Key.isIndex(segments[i] as string)) out.add(segments.slice(0, i).join(":"))
  }
}

/** The keys that are arrays in `keys`: parents of a numeric segment. */
const arrayParents = (keys: Iterable<string>): Set<string> => {
  const out = new Set<string>()
  for (const key of keys) addArrayParents(key, out)
  return out
}

/** Merges layers, lowest first. */
export const merge = (layers: ReadonlyArray<Layer>): Store => {
  const merged = new Map<string, Entry>()
  // The arrays among the merged keys, kept up as keys are added (found again after a removal).
  let mergedArrays = new Set<string>()
  // First spelling of every prefix, across all layers, so a replaced array keeps its spelling.
  const spelling = new Map<string, string>()
  for (const { arrays, entries } of layers) {
    const keys = entries.map((e) => Key.lower(e.path))
    const replaced = new Set<string>(arrays.map(Key.lower))
    // Every parent of an index segment is an array this layer sets.
    for (const key of keys) addArrayParents(key, replaced)
    // A plain value for a key that is an array below replaces that array (`Servers=a,b`).
    for (const key of keys) if (mergedArrays.has(key)) replaced.add(key)
    if (replaced.size > 0) {
      let removed = false
      for (const existing of [...merged.keys()]) {
        if (replaced.has(existing) || prefixes(existing).some((p) => replaced.has(p))) {
          merged.delete(existing)
          removed = true
        }
      }
      if (removed) mergedArrays = arrayParents(merged.keys())
    }
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry // i < length
      const key = keys[i] as string
      let prefix = ""
      const respelled = entry.path.map((segment) => {
        prefix = prefix === "" ? segment.toLowerCase() : `${prefix}:${segment.toLowerCase()}`
        const first = spelling.get(prefix)
        if (first !== undefined) return first
        spelling.set(prefix, segment)
        return segment
      })
      merged.set(key, { ...entry, path: respelled })
      addArrayParents(key, mergedArrays)
    }
  }
  return new Store(merged)
}

/**
 * The keys a program read (lower-cased): what its `Config` loads and typed settings looked up,
 * found or not. The debug view shows environment variables only when they were read (or are the
 * host's own keys): the process environment is full of variables that are not configuration.
 */
export class Reads {
  private readonly keys = new Set<string>()

  add(path: Key.Path): void {
    this.keys.add(Key.lower(Key.normalize(path)))
  }

  has(path: Key.Path): boolean {
    return this.keys.has(Key.lower(Key.normalize(path)))
  }
}
