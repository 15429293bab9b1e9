/**
 * What the configuration relies on in Effect, pinned: each behaviour below used to depend on
 * Effect's internals and is now built on its public API (or isolated behind one documented
 * function). An Effect upgrade that breaks any of them fails here.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, HashSet, Redacted, Schema } from "effect"
import { HostConfiguration, HostLogger, Settings } from "effect-host"
import * as Provider from "../../src/internal/config/provider.js"
import * as SchemaReader from "../../src/internal/config/schema.js"
import { withConfig } from "./util.js"

const viewOf = <A, E>(read: Effect.Effect<A, E>) => Effect.zipRight(Effect.either(read), HostConfiguration.debugView())

describe("Config.redacted reads make their keys secrets (found in the loaded value, not in the Config's structure)", () => {
  const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
    ["Config.redacted", Config.redacted("Api:Code")],
    ["inside Config.all and Config.option", Config.all({ a: Config.string("Api:Plain"), b: Config.option(Config.redacted("Api:Code")) })],
    ["Config.redacted of an integer", Config.redacted(Config.integer("Api:Code"))],
    ["Config.redacted of an array", Config.redacted(Config.array(Config.string(), "Api:Code"))],
    ["a hashMap of redacted values", Config.hashMap(Config.redacted(Config.string()), "Api")],
    ["an invalid Config.redacted value", Config.redacted(Config.boolean("Api:Code"))]
  ]
  for (const [name, read] of cases) {
    it.effect(name, () =>
      withConfig({ env: { API__CODE: "987654", API__PLAIN: "visible" } }, viewOf(read)).pipe(
        Effect.map((view) => {
          expect(view).toMatch(/API:CODE += <redacted>/i)
          expect(view).not.toContain("987654")
        })
      ))
  }

  it.effect("an array read element by element: each element is masked", () =>
    withConfig({ env: { API__CODE__0: "k-one-1", API__CODE__1: "k-two-2" } }, viewOf(Config.array(Config.redacted(), "Api:Code"))).pipe(
      Effect.map((view) => {
        expect(view).not.toContain("k-one-1")
        expect(view).not.toContain("k-two-2")
      })
    ))

  it.effect("a plain read of the same key does not make it secret", () =>
    withConfig({ env: { API__CODE: "987654" } }, viewOf(Config.string("Api:Code"))).pipe(
      Effect.map((view) => expect(view).toMatch(/API:CODE += 987654/i))
    ))

  it.effect("Effect still redacts the message of a failed Config.redacted read (the failure path relies on it)", () =>
    withConfig({ env: { API__CODE: "not-a-number" } }, Config.redacted(Config.integer("Api:Code"))).pipe(
      Effect.flip,
      Effect.map((error) => expect(error.message).not.toContain("not-a-number"))
    ))
})

describe("Schema.Redacted in typed settings", () => {
  it("is recognized by its AST (Redacted and RedactedFromSelf), other schemas are not", () => {
    const redacted = Schema.Redacted(Schema.String).ast
    expect(redacted._tag === "Transformation" && SchemaReader.isRedacted(redacted.to)).toBe(true)
    expect(SchemaReader.isRedacted(Schema.RedactedFromSelf(Schema.String).ast)).toBe(true)
    expect(SchemaReader.isRedacted(Schema.String.ast)).toBe(false)
    expect(SchemaReader.isRedacted(Schema.Option(Schema.String).ast)).toBe(false)
  })

  it.effect("masks the key in the debug view", () =>
    withConfig(
      { env: { APP__CODE: "s3cr3t-code" } },
      viewOf(Settings.section("App", Schema.Struct({ Code: Schema.Redacted(Schema.String) })))
    ).pipe(Effect.map((view) => expect(view).not.toContain("s3cr3t-code"))))
})

describe("per-category log levels through Config.hashMap", () => {
  it.effect("over effect-host's provider, any case, from several sources", () =>
    withConfig(
      { values: { Logging: { LogLevel: { Default: "Warning" } } }, env: { logging__loglevel__db: "Debug" }, args: ["--LOGGING:LOGLEVEL:Worker=Error"] },
      HostLogger.settings
    ).pipe(Effect.map((settings) => {
      expect(settings.minimumLevel._tag).toBe("Warning")
      expect(Object.fromEntries([...settings.categories].map(([k, v]) => [k, v._tag]))).toEqual({ db: "Debug", worker: "Error" })
    })))

  it.effect("over any ConfigProvider", () =>
    HostLogger.settings.pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["Logging.LogLevel.Default", "Debug"], ["Logging.LogLevel.Db", "None"], ["Logging.Format", "logfmt"]]))),
      Effect.map((settings) => {
        expect(settings.minimumLevel._tag).toBe("Debug")
        expect(settings.categories.get("db")?._tag).toBe("None")
        expect(settings.format).toBe("logfmt")
      })
    ))

  it.effect("every invalid key with its source; a foreign provider's source is the provider", () =>
    Effect.gen(function*() {
      const ours = yield* withConfig(
        { env: { LOGGING__LOGLEVEL__A: "loud", LOGGING__LOGLEVEL__B: "louder", LOGGING__OUTPUT: "printer" } },
        Effect.flip(HostLogger.settings)
      )
      expect(ours.issues.map((i) => [i.key, i.source])).toEqual([
        ["Logging:Output", { _tag: "Env", name: "LOGGING__OUTPUT" }],
        ["Logging:LogLevel:A", { _tag: "Env", name: "LOGGING__LOGLEVEL__A" }],
        ["Logging:LogLevel:B", { _tag: "Env", name: "LOGGING__LOGLEVEL__B" }]
      ])
      const foreign = yield* Effect.flip(HostLogger.settings).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["Logging.LogLevel.Default", "loud"]])))
      )
      expect(foreign.issues).toEqual([{ key: "Logging:LogLevel:Default", message: expect.stringContaining("\"loud\""), source: { _tag: "Provider" } }])
    }))
})

describe("sequences", () => {
  it.effect("our flat provider names array elements [n], as Effect's sequences expect", () =>
    Effect.gen(function*() {
      const provider = yield* HostConfiguration.make({ env: { SERVERS__0: "a", SERVERS__1: "b", SERVERS__2: "c" }, args: [] })
      const children = yield* provider.flattened.enumerateChildren(["Servers"])
      expect([...HashSet.values(children)].sort()).toEqual(["[0]", "[1]", "[2]"])
      expect(Provider.sequenceChild("3")).toBe("[3]")
      expect(Provider.sequenceChild("Host")).toBe("Host")
      expect(yield* Effect.withConfigProvider(Config.array(Config.string(), "servers"), provider)).toEqual(["a", "b", "c"])
    }))

  it.effect("arrays of objects and nested sections", () =>
    withConfig(
      { values: { Endpoints: [{ Url: "u0", Tags: ["x"] }, { Url: "u1", Tags: ["y", "z"] }] } },
      Config.array(Config.all({ url: Config.string("Url"), tags: Config.array(Config.string(), "Tags") }), "Endpoints")
    ).pipe(Effect.map((value) => expect(value).toEqual([{ url: "u0", tags: ["x"] }, { url: "u1", tags: ["y", "z"] }]))))
})

describe("case-insensitive keys through Effect's Config combinators", () => {
  it.effect("Config.nested, Config.hashMap, Config.all over mixed spellings", () =>
    withConfig(
      { values: { database: { host: "h" } }, env: { DATABASE__PORT: "5" }, args: ["--DataBase:Options:ssl=true"] },
      Config.nested(
        Config.all({ host: Config.string("HOST"), port: Config.integer("Port"), options: Config.hashMap(Config.boolean(), "OPTIONS") }),
        "Database"
      )
    ).pipe(Effect.map(({ host, options, port }) => expect([host, port, Object.fromEntries(options)]).toEqual(["h", 5, { ssl: true }]))))
})

describe("sources in errors", () => {
  it.effect("a Config read names the source of the invalid value, and Settings over a foreign provider says so", () =>
    Effect.gen(function*() {
      const error = yield* withConfig({ args: ["--Db:Port=x"] }, Effect.flip(Config.integer("Db:Port")))
      expect(error.message).toContain("(from command line --Db:Port)")
      const settings = yield* Effect.flip(Settings.section("Db", Schema.Struct({ Port: Schema.Number }))).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["Db.Port", "x"]])))
      )
      expect(settings.issues[0]?.source).toEqual({ _tag: "Provider" })
    }))

  it.effect("a redacted read's value is never named, its key is", () =>
    withConfig({ env: { DB__PIN: "12x" } }, Effect.flip(Config.redacted(Config.integer("Db:Pin")))).pipe(
      Effect.map((error) => {
        expect(error.message).not.toContain("12x")
        expect(error).toMatchObject({ _op: "InvalidData", path: ["Db:Pin"] })
      })
    ))

  it.effect("a Redacted value in code is a secret too", () =>
    withConfig({ values: { Db: { Pin: Redacted.make("4711-code") } } }, HostConfiguration.debugView()).pipe(
      Effect.map((view) => expect(view).not.toContain("4711-code"))
    ))
})
