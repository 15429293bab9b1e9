/**
 * Effect's metric registry in the Prometheus text exposition format (0.0.4), from
 * `Metric.snapshot` and nothing else: no exporter, no dependency.
 *
 * How Effect's metric types map:
 *   - counter with `incremental: true` → `counter`, named with `_total` (added if missing);
 *   - any other counter → `gauge` (Effect lets it go down; `@effect/opentelemetry` makes it an
 *     up-down counter for the same reason);
 *   - gauge → `gauge`;
 *   - histogram → `histogram`: cumulative `_bucket{le=…}` (Effect's buckets already are, and end
 *     with `+Inf`), `_sum`, `_count`;
 *   - summary → `summary`: `{quantile=…}` (`NaN` while there is no sample), `_sum`, `_count`;
 *   - frequency → `counter` named with `_total`, one series per value, in the label `key`.
 *
 * Families are sorted by name and series by labels, so two scrapes of the same state are equal.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as MetricKey from "effect/MetricKey"
import * as MetricKeyType from "effect/MetricKeyType"
import type * as MetricLabel from "effect/MetricLabel"
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"

/** The `Content-Type` of the text format. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

type Type = "counter" | "gauge" | "histogram" | "summary"

interface Family {
  readonly type: Type
  readonly help: string | undefined
  /** One entry per tag set: the labels (to sort by) and the sample lines. */
  readonly series: Array<{ readonly labels: string; readonly lines: ReadonlyArray<string> }>
}

const metricName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([^a-zA-Z_:])/, "_$1")

/** Label names may not start with `__` (reserved) nor use a name the type needs (`le`, `quantile`). */
const labelName = (name: string, reserved: string | undefined) => {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([^a-zA-Z_])/, "_$1").replace(/^__+/, "_")
  return clean === reserved ? `_${clean}` : clean
}

const labelValue = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")

const help = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

const sample = (value: number | bigint): string =>
  typeof value === "bigint"
    ? value.toString()
    : value === Number.POSITIVE_INFINITY
    ? "+Inf"
    : value === Number.NEGATIVE_INFINITY
    ? "-Inf"
    : Number.isNaN(value)
    ? "NaN"
    : String(value)

const labelSet = (tags: ReadonlyArray<MetricLabel.MetricLabel>, reserved: string | undefined) =>
  tags.map((tag) => `${labelName(tag.key, reserved)}="${labelValue(tag.value)}"`)

const braces = (labels: ReadonlyArray<string>) => (labels.length === 0 ? "" : `{${labels.join(",")}}`)

/** The family name and type of a key, or `undefined` for a key type the format has no place for. */
const describe = (key: MetricKey.MetricKey.Untyped): { readonly name: string; readonly type: Type } | undefined => {
  const name = metricName(key.name)
  const withTotal = name.endsWith("_total") ? name : `${name}_total`
  const keyType = key.keyType
  if (MetricKeyType.isCounterKey(keyType)) return keyType.incremental ? { name: withTotal, type: "counter" } : { name, type: "gauge" }
  if (MetricKeyType.isGaugeKey(keyType)) return { name, type: "gauge" }
  if (MetricKeyType.isHistogramKey(keyType)) return { name, type: "histogram" }
  if (MetricKeyType.isSummaryKey(keyType)) return { name, type: "summary" }
  if (MetricKeyType.isFrequencyKey(keyType)) return { name: withTotal, type: "counter" }
  return undefined
}

const lines = (name: string, key: MetricKey.MetricKey.Untyped, state: unknown): ReadonlyArray<string> => {
  if (MetricState.isHistogramState(state)) {
    const tags = labelSet(key.tags, "le")
    const out = state.buckets.map(([le, count]) => `${name}_bucket${braces([...tags, `le="${sample(le)}"`])} ${count}`)
    if (state.buckets.every(([le]) => le !== Number.POSITIVE_INFINITY)) {
      out.push(`${name}_bucket${braces([...tags, "le=\"+Inf\""])} ${state.count}`)
    }
    out.push(`${name}_sum${braces(tags)} ${sample(state.sum)}`, `${name}_count${braces(tags)} ${state.count}`)
    return out
  }
  if (MetricState.isSummaryState(state)) {
    const tags = labelSet(key.tags, "quantile")
    return [
      ...state.quantiles.map(([q, value]) =>
        `${name}${braces([...tags, `quantile="${sample(q)}"`])} ${Option.match(value, { onNone: () => "NaN", onSome: sample })}`
      ),
      `${name}_sum${braces(tags)} ${sample(state.sum)}`,
      `${name}_count${braces(tags)} ${state.count}`
    ]
  }
  if (MetricState.isFrequencyState(state)) {
    const tags = labelSet(key.tags, "key")
    return [...state.occurrences].map(([value, count]) => `${name}${braces([...tags, `key="${labelValue(value)}"`])} ${count}`)
  }
  const tags = braces(labelSet(key.tags, undefined))
  if (MetricState.isCounterState(state)) return [`${name}${tags} ${sample(state.count)}`]
  if (MetricState.isGaugeState(state)) return [`${name}${tags} ${sample(state.value)}`]
  return []
}

/** The snapshot's metrics as Prometheus text. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  const skipped: Array<string> = []
  for (const { metricKey: key, metricState: state } of pairs) {
    const described = describe(key)
    if (described === undefined) continue
    const { name, type } = described
    let family = families.get(name)
    if (family === undefined) {
      family = { type, help: Option.getOrUndefined(key.description), series: [] }
      families.set(name, family)
    } else if (family.type !== type) {
      // One name, two types: Prometheus cannot hold both. Said in a comment, which scrapers ignore.
      skipped.push(`# effect-host: skipped a ${type} named ${name}: a ${family.type} has that name\n`)
      continue
    }
    family.series.push({ labels: labelSet(key.tags, undefined).join(","), lines: lines(name, key, state) })
  }
  let out = ""
  for (const name of [...families.keys()].sort()) {
    const family = families.get(name)
    if (family === undefined) continue
    if (family.help !== undefined) out += `# HELP ${name} ${help(family.help)}\n`
    out += `# TYPE ${name} ${family.type}\n`
    for (const series of family.series.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0))) {
      for (const line of series.lines) out += `${line}\n`
    }
  }
  return out + skipped.join("")
}

/** Every metric of the process (Effect's global registry), as Prometheus text. */
export const text: Effect.Effect<string> = Effect.map(Metric.snapshot, render)
