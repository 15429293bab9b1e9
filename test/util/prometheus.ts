/**
 * A strict reader of the Prometheus text format (0.0.4) for the metrics tests: every line must
 * be a `# HELP`, a `# TYPE`, another comment, or a sample (`name{label="value",…} number`) of
 * the family declared by the `# TYPE` before it; anything else throws, naming the line.
 */
import { Effect } from "effect"
import { HostMetrics } from "effect-host"

export interface Scrape {
  /** Family name → its type and help text. */
  readonly families: ReadonlyMap<string, { readonly type: string; readonly help: string | undefined }>
  /** `name{a="1",b="2"}` (labels sorted by name) → value. */
  readonly samples: ReadonlyMap<string, number>
  /** The value of `name` with exactly `labels`, or `undefined`. */
  readonly value: (name: string, labels?: Readonly<Record<string, string>>) => number | undefined
  /** The text itself. */
  readonly text: string
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/

const unescape = (value: string) => value.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c))

const key = (name: string, labels: Readonly<Record<string, string>>) => {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`
}

const number = (text: string, line: string): number => {
  if (text === "+Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  const value = Number(text)
  if (text.trim() === "" || Number.isNaN(value)) throw new Error(`not a number in: ${line}`)
  return value
}

/** The family a sample belongs to: its name, or the name without `_bucket`/`_sum`/`_count`. */
const familyOf = (name: string, families: ReadonlyMap<string, { readonly type: string }>): string | undefined => {
  if (families.has(name)) return name
  const match = /^(.*)_(bucket|sum|count)$/.exec(name)
  const base = match?.[1]
  const type = base === undefined ? undefined : families.get(base)?.type
  if (base === undefined || type === undefined) return undefined
  return type === "histogram" || (type === "summary" && match?.[2] !== "bucket") ? base : undefined
}

export const parse = (text: string): Scrape => {
  const families = new Map<string, { type: string; help: string | undefined }>()
  const samples = new Map<string, number>()
  const helps = new Map<string, string>()
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the text does not end with a newline")
  for (const line of text.split("\n").slice(0, -1)) {
    if (line.startsWith("# HELP ")) {
      const [, name = "", help = ""] = /^# HELP (\S+) (.*)$/.exec(line) ?? []
      if (!metricName.test(name)) throw new Error(`bad HELP line: ${line}`)
      helps.set(name, help)
      continue
    }
    if (line.startsWith("# TYPE ")) {
      const [, name = "", type = ""] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? []
      if (!metricName.test(name)) throw new Error(`bad TYPE line: ${line}`)
      if (families.has(name)) throw new Error(`second TYPE line for ${name}`)
      families.set(name, { type, help: helps.get(name) })
      continue
    }
    if (line.startsWith("#")) continue
    const match = sampleLine.exec(line)
    if (match === null) throw new Error(`bad sample line: ${line}`)
    const [, name = "", labelText = "", value = ""] = match
    const family = familyOf(name, families)
    if (family === undefined) throw new Error(`a sample of no declared family: ${line}`)
    if (families.get(family)?.type === "counter" && !name.endsWith("_total")) throw new Error(`a counter without _total: ${line}`)
    const labels: Record<string, string> = {}
    for (let rest = labelText; rest.length > 0;) {
      const found = label.exec(rest)
      if (found === null) throw new Error(`bad labels in: ${line}`)
      const [whole, labelName = "", labelValue = ""] = found
      if (labelName in labels) throw new Error(`label ${labelName} twice in: ${line}`)
      labels[labelName] = unescape(labelValue)
      rest = rest.slice(whole.length)
    }
    const id = key(name, labels)
    if (samples.has(id)) throw new Error(`sample twice: ${id}`)
    samples.set(id, number(value, line))
  }
  return { families, samples, text, value: (name, labels = {}) => samples.get(key(name, labels)) }
}

/** The registry now, rendered by `HostMetrics.prometheus` and read back. */
export const scrapeRegistry: Effect.Effect<Scrape> = Effect.map(HostMetrics.prometheus, parse)
