/**
 * `HostConfiguration`: building the layered provider, what the current provider is, and the
 * debug view.
 *
 * @internal
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as path from "node:path"
import type { DebugEntry, DebugOptions, Options, ReloadResult } from "../../HostConfiguration.js"
import * as Build from "./build.js"
import { ConfigurationError, describeSource } from "./error.js"
import * as HostKeys from "./hostKeys.js"
import * as Key from "./key.js"
import * as Live from "./live.js"
import * as Provider from "./provider.js"
import * as Read from "./read.js"
import * as Secrets from "./secrets.js"
import type { Entry, Store } from "./store.js"
import * as Watcher from "./watcher.js"
import { withSpanWhenTracing } from "../tracing.js"

export const make = (options: Options = {}): Effect.Effect<ConfigProvider.ConfigProvider, ConfigurationError> =>
  Effect.suspend(() => {
    const result = Build.build(options)
    return "issues" in result
      ? Effect.fail(new ConfigurationError({ issues: result.issues }))
      : Effect.map(Live.make(result), (live) => Provider.make({ ...result.configuration, live }))
  }).pipe(withSpanWhenTracing("HostConfiguration.make", { captureStackTrace: false }))

/** The provider for the layer's scope, its files watched for as long (when they reload on change). */
export const layer = (options: Options = {}): Layer.Layer<never, ConfigurationError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const provider = yield* make(options)
    const configuration = Provider.configurationOf(provider)
    if (configuration !== undefined) yield* Watcher.watch(configuration)
    return Layer.setConfigProvider(provider)
  }))

/** The configuration behind the current provider, when it is effect-host's. */
export const current: Effect.Effect<Provider.Configuration | undefined> = Effect.configProviderWith((provider) =>
  Effect.succeed(Provider.configurationOf(provider))
)

export const reload: Effect.Effect<ReloadResult> = Effect.flatMap(current, (configuration) =>
  configuration?.live === undefined
    ? Effect.succeed<ReloadResult>({ _tag: "NotReloadable" })
    : Live.reload(configuration, configuration.live))

/** The store and files as they are now (after reloads), with the start-time store to compare. */
const now = (configuration: Provider.Configuration) =>
  configuration.live === undefined
    ? Effect.succeed({ store: configuration.store, files: configuration.files, initial: configuration.store })
    : Effect.map(SubscriptionRef.get(configuration.live.state), (s) => ({ ...s, initial: configuration.live?.initial ?? s.store }))

export const isHostConfiguration = (provider: ConfigProvider.ConfigProvider): boolean =>
  Provider.configurationOf(provider) !== undefined

/** Effect's own default provider (environment variables only): the host replaces it. */
const effectDefault = Context.get(DefaultServices.liveServices, ConfigProvider.ConfigProvider)

/** Whether `provider` is Effect's built-in default (nobody installed a provider). */
export const isEffectDefault = (provider: ConfigProvider.ConfigProvider): boolean => provider === effectDefault

export const info: Effect.Effect<
  Option.Option<{
    readonly environmentName: string
    readonly contentRootPath: string
    readonly files: ReadonlyArray<{ readonly path: string; readonly loaded: boolean }>
  }>
> = Effect.flatMap(current, (configuration) =>
  configuration === undefined
    ? Effect.succeed(Option.none())
    : Effect.map(now(configuration), ({ files }) =>
      Option.some({
        environmentName: configuration.environmentName,
        contentRootPath: configuration.contentRootPath,
        files
      })))

/** The store to show: the current one for effect-host's provider (after reloads), else a snapshot. */
const shownStore = (root: Key.Path) =>
  Effect.flatMap(Read.current(root), (view) =>
    view.configuration === undefined
      ? Effect.succeed({ ...view, initial: undefined as Store | undefined })
      : Effect.map(now(view.configuration), ({ initial, store }) => ({ ...view, store, initial: initial as Store | undefined })))

export const entries = (options: DebugOptions = {}): Effect.Effect<ReadonlyArray<DebugEntry>> =>
  Effect.map(shownStore(Key.normalize([options.section ?? ""])), ({ configuration, initial, secrets, store }) => {
    const section = Key.lower(Key.normalize([options.section ?? ""]))
    // From the environment, only what the program read and the host's own keys: the rest of the
    // process environment (PATH, PWD, HOME, …) is not configuration.
    const shown = (entry: Entry): boolean =>
      configuration === undefined || options.allEnvironmentVariables === true || entry.source._tag !== "Env" ||
      configuration.reads.has(entry.path) || HostKeys.isHostKey(entry.path)
    return store.entries()
      .filter((entry) => Key.isUnder(Key.lower(entry.path), section) && shown(entry))
      .map((entry) => {
        const secret = secrets.has(entry.path)
        const value = secret ? Secrets.mask : entry.valueless === true ? "<no value>" : entry.value
        const before = initial?.get(entry.path)
        const changedSinceStart = initial !== undefined &&
          (before === undefined || before.value !== entry.value || before.valueless !== entry.valueless)
        return { key: Key.display(entry.path), value, source: entry.source, secret, changedSinceStart }
      })
  })

// A value with line breaks or other control characters is quoted so every key stays one line.
const printable = (value: string): string =>
  [...value].some((c) => c.charCodeAt(0) < 0x20) ? JSON.stringify(value) : value

export const debugView = (options: DebugOptions = {}): Effect.Effect<string> =>
  Effect.gen(function*() {
    const rows = yield* entries(options)
    const header = Option.match(yield* info, {
      onNone: () => ["Configuration (from a ConfigProvider that is not effect-host's; sources unknown)"],
      onSome: (i) => [
        `Configuration: environment ${i.environmentName}, content root ${i.contentRootPath}`,
        ...i.files.map((f) => `  ${f.loaded ? "loaded " : "missing"} ${f.path}`)
      ]
    })
    const configuration = yield* current
    const reloads = configuration?.live === undefined ? [] : yield* reloadHeader(configuration.live)
    const width = Math.min(48, rows.reduce((w, r) => Math.max(w, r.key.length), 0))
    const lines = rows.map((r) =>
      `${r.key.padEnd(width)} = ${printable(r.value)}  (${describeSource(r.source)}${r.changedSinceStart ? ", changed since start" : ""})`
    )
    return [...header, ...reloads, ...lines].join("\n")
  }).pipe(withSpanWhenTracing("HostConfiguration.debugView", { captureStackTrace: false }))

const iso = (millis: number) => new Date(millis).toISOString()

/** What the debug view says about reloads: what is watched, how, and what the reloads did. */
const reloadHeader = (live: Live.Live): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const watched = live.plan.files.filter((f) => f.reloadOnChange)
    const stats = yield* Ref.get(live.stats)
    const statuses = yield* Ref.get(live.directories)
    const watching = yield* Watcher.isWatching(live)
    const byDirectory = new Map<string, Array<string>>()
    for (const file of watched) {
      const dir = path.dirname(file.path)
      byDirectory.set(dir, [...(byDirectory.get(dir) ?? []), path.basename(file.path)])
    }
    const where = [...byDirectory].map(([dir, names]) => {
      const status = !watching ? "not watched" : statuses.get(dir) === "lost" ? "watch lost, looking again" : statuses.get(dir) === "watching" ? "watching" : "waiting for the directory"
      return `${dir} (${names.join(", ")}: ${status})`
    })
    const onChange = watched.length === 0
      ? "Reload on change: off"
      : `Reload on change: ${where.join("; ")}, after ${Duration.format(live.plan.reloadDelay)} without changes`
    const applied = `${stats.applied} applied${Option.match(stats.lastApplied, { onNone: () => "", onSome: (at) => ` (last at ${iso(at)})` })}`
    const rejected = `${stats.rejected} rejected${
      Option.match(stats.lastRejected, { onNone: () => "", onSome: (r) => ` (last at ${iso(r.at)}: ${r.message})` })
    }`
    return [
      onChange,
      `Reloads: ${applied}, ${rejected}; values are the current ones, plain Config reads keep the start-time values`
    ]
  })
