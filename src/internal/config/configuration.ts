/**
 * `HostConfiguration`: building the layered provider, what the current provider is, and the
 * debug view.
 *
 * @internal
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { DebugEntry, DebugOptions, Options } from "../../HostConfiguration.js"
import * as Build from "./build.js"
import { ConfigurationError, describeSource } from "./error.js"
import * as HostKeys from "./hostKeys.js"
import * as Key from "./key.js"
import * as Provider from "./provider.js"
import * as Read from "./read.js"
import * as Secrets from "./secrets.js"
import type { Entry } from "./store.js"

export const make = (options: Options = {}): Effect.Effect<ConfigProvider.ConfigProvider, ConfigurationError> =>
  Effect.suspend(() => {
    const result = Build.build(options)
    return "issues" in result
      ? Effect.fail(new ConfigurationError({ issues: result.issues }))
      : Effect.succeed(Provider.make(result.configuration))
  }).pipe(Effect.withSpan("HostConfiguration.make"))

export const layer = (options: Options = {}): Layer.Layer<never, ConfigurationError> =>
  Layer.unwrapEffect(Effect.map(make(options), Layer.setConfigProvider))

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
> = Effect.configProviderWith((provider) => Effect.succeed(Option.fromNullable(Provider.configurationOf(provider))))

export const entries = (options: DebugOptions = {}): Effect.Effect<ReadonlyArray<DebugEntry>> =>
  Effect.map(Read.current(Key.normalize([options.section ?? ""])), ({ configuration, secrets, store }) => {
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
        return { key: Key.display(entry.path), value, source: entry.source, secret }
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
    const width = Math.min(48, rows.reduce((w, r) => Math.max(w, r.key.length), 0))
    const lines = rows.map((r) => `${r.key.padEnd(width)} = ${printable(r.value)}  (${describeSource(r.source)})`)
    return [...header, ...lines].join("\n")
  }).pipe(Effect.withSpan("HostConfiguration.debugView"))
