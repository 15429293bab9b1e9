/**
 * Typed settings: a section read into an `effect/Schema` type, every problem reported at once
 * with key and source, secrets never quoted.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { ConfigurationError, HostConfiguration, Settings } from "effect-host"
import * as path from "node:path"
import { contentRoot, withConfig } from "./util.js"

const Database = Schema.Struct({
  Host: Schema.String,
  Port: Schema.Number.pipe(Schema.int(), Schema.between(1, 65535)),
  Ssl: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  Mode: Schema.Literal("ReadWrite", "ReadOnly"),
  Replicas: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  Password: Schema.Redacted(Schema.String.pipe(Schema.minLength(8)))
})

describe("Settings.section", () => {
  it.effect("reads a section, converting text from env and command line to the schema's types", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Database: { Host: "db.local", Port: 5432, Replicas: ["r1", "r2"] } } })
      const db = yield* withConfig(
        {
          contentRoot: dir,
          env: { DATABASE__SSL: "TRUE", DATABASE__PASSWORD: "correct horse", database__mode: "readonly" },
          args: ["--Database:Port", "6543"]
        },
        Settings.section("Database", Database)
      )
      expect({ ...db, Password: Redacted.value(db.Password) }).toEqual({
        Host: "db.local",
        Port: 6543,
        Ssl: true,
        Mode: "ReadOnly",
        Replicas: ["r1", "r2"],
        Password: "correct horse"
      })
      expect(String(db.Password)).toBe("<redacted>")
    }))

  it.effect("property names match keys case-insensitively; nested sections and comma lists work", () =>
    withConfig(
      { env: { APP__SMTP__HOST: "mail", app__smtp__ports: "25, 587" } },
      Settings.section("App:Smtp", Schema.Struct({ Host: Schema.String, Ports: Schema.Array(Schema.Number) }))
    ).pipe(Effect.map((smtp) => expect(smtp).toEqual({ Host: "mail", Ports: [25, 587] }))))

  it.effect("reports every invalid or missing key at once, each with its full path and source", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Database: { Host: "db.local", Port: "eighty", Replicas: ["ok", 7] } } })
      const file = path.join(dir, "appsettings.json")
      const error = yield* withConfig(
        { contentRoot: dir, env: { DATABASE__MODE: "WriteOnly" }, args: ["--Database:Ssl=maybe"] },
        Settings.section("Database", Database)
      ).pipe(Effect.flip)
      expect(error).toBeInstanceOf(ConfigurationError)
      const byKey = Object.fromEntries(error.issues.map((issue) => [issue.key, issue]))
      expect(Object.keys(byKey).sort()).toEqual(["Database:Mode", "Database:Password", "Database:Port", "Database:Ssl"])
      expect(byKey["Database:Port"]?.source).toEqual({ _tag: "File", path: file })
      expect(byKey["Database:Mode"]?.source).toEqual({ _tag: "Env", name: "DATABASE__MODE" })
      expect(byKey["Database:Ssl"]?.source).toEqual({ _tag: "CommandLine", arg: "--Database:Ssl" })
      expect(byKey["Database:Password"]?.message).toContain("missing")
      expect(byKey["Database:Password"]?.message).toContain("DATABASE__PASSWORD")
      // The message is what an operator reads: every key, every source.
      expect(error.message).toContain(`Database:Port: Expected number, actual "eighty" (from file ${file})`)
      // A union's alternatives are one message per key, not one per member.
      expect(error.message).toContain(`Database:Mode: Expected "ReadWrite" | "ReadOnly", actual "WriteOnly" (from env DATABASE__MODE)`)
      expect(error.message).toContain(`Database:Ssl: Expected boolean, actual "maybe"`)
      expect(error.message).toContain("(from command line --Database:Ssl)")
      expect(error.message).toMatch(/^Invalid configuration \(4 problems\)/)
    }))

  it.effect("classes, records, renamed keys and a scalar section work like structs", () =>
    Effect.gen(function*() {
      class Endpoint extends Schema.Class<Endpoint>("Endpoint")({ Url: Schema.String, TimeoutMs: Schema.Number }) {}
      const Api = Schema.Struct({
        Primary: Endpoint,
        Headers: Schema.Record({ key: Schema.String, value: Schema.String }),
        retries: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("RetryCount"))
      })
      const options = {
        env: { API__PRIMARY__URL: "http://a", API__PRIMARY__TIMEOUTMS: "250", API__HEADERS__X_Trace: "on", Api__RetryCount: "3", PORT: "8080" }
      }
      const api = yield* withConfig(options, Settings.section("Api", Api))
      expect(api.Primary).toBeInstanceOf(Endpoint)
      expect(api).toMatchObject({ Primary: { Url: "http://a", TimeoutMs: 250 }, Headers: { X_Trace: "on" }, retries: 3 })
      expect(yield* withConfig(options, Settings.section("Port", Schema.Number))).toBe(8080)
    }))

  it.effect("array elements are reported with their index", () =>
    withConfig(
      { env: { LIMITS__0: "1", LIMITS__1: "two" } },
      Settings.section("Limits", Schema.Array(Schema.Number))
    ).pipe(Effect.flip, Effect.map((error) => expect(error.keys).toEqual(["Limits:1"]))))

  it.effect("a missing section reports each required key", () =>
    withConfig({}, Settings.section("Smtp", Schema.Struct({ Host: Schema.String, Port: Schema.optional(Schema.Number) }))).pipe(
      Effect.flip,
      Effect.map((error) => expect(error.keys).toEqual(["Smtp:Host"]))
    ))

  it.effect("an invalid secret is named but its value never appears in the error", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Database: { Host: "h", Port: 1, Mode: "ReadOnly", Password: "hunter2" } } })
      const error = yield* withConfig({ contentRoot: dir }, Settings.section("Database", Database)).pipe(Effect.flip)
      expect(error.keys).toEqual(["Database:Password"])
      expect(`${error.message}${JSON.stringify(error)}${String(error)}`).not.toContain("hunter2")
    }))

  it.effect("a secret quoted by a refinement of the whole section is scrubbed too", () =>
    Effect.gen(function*() {
      const Login = Schema.Struct({ User: Schema.String, ApiKey: Schema.String }).pipe(
        Schema.filter((login) => login.User !== "admin" || "admin may not log in with a key")
      )
      const error = yield* withConfig({ env: { LOGIN__USER: "admin", LOGIN__APIKEY: "k-0123456789" } }, Settings.section("Login", Login)).pipe(Effect.flip)
      expect(error.message).toContain("admin may not log in with a key")
      expect(error.message).not.toContain("k-0123456789")
    }))

  it.effect("keys under Schema.Redacted become secrets in the debug view", () =>
    withConfig(
      { env: { SERVICE__CODE: "s3cr3t-code" } },
      Effect.zipRight(
        Settings.section("Service", Schema.Struct({ Code: Schema.Redacted(Schema.String) })),
        HostConfiguration.debugView({ section: "Service" })
      )
    ).pipe(Effect.map((view) => {
      expect(view).toContain("<redacted>")
      expect(view).not.toContain("s3cr3t-code")
    })))

  it.effect("works over any ConfigProvider (values are text, the source is the provider)", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromMap(new Map([["Db.Host", "h"], ["Db.Port", "x"]]))
      const error = yield* Effect.withConfigProvider(Settings.section("Db", Schema.Struct({ Host: Schema.String, Port: Schema.Number })), provider).pipe(Effect.flip)
      expect(error.issues).toEqual([{ key: "Db:Port", message: "Expected number, actual \"x\"", source: { _tag: "Provider" } }])
    }))
})

describe("Settings.Tag and Settings.layer", () => {
  class Smtp extends Settings.Tag("test/Smtp")<Smtp>()(
    "Smtp",
    Schema.Struct({ Host: Schema.String, Port: Schema.optionalWith(Schema.Number, { default: () => 25 }) })
  ) {}
  class Queue extends Context.Tag("test/Queue")<Queue, { readonly Size: number }>() {}

  it.effect("a tag class carries its section, schema and layer", () =>
    withConfig(
      { env: { SMTP__HOST: "mail", QUEUE__SIZE: "10" } },
      Effect.gen(function*() {
        const smtp = yield* Smtp
        const queue = yield* Queue
        return { smtp, queue, section: Smtp.section }
      }).pipe(Effect.provide(Layer.merge(Smtp.layer, Settings.layer(Queue, "Queue", Schema.Struct({ Size: Schema.Number })))))
    ).pipe(Effect.map((out) => expect(out).toEqual({ smtp: { Host: "mail", Port: 25 }, queue: { Size: 10 }, section: "Smtp" }))))

  it("a settings tag is a tag class marked with Settings.TypeId; other tags are not", () => {
    expect(Settings.isSettingsTag(Smtp)).toBe(true)
    expect(Smtp[Settings.TypeId]).toBe(Settings.TypeId)
    expect(Settings.isSettingsTag(Queue)).toBe(false)
    expect(Smtp.key).toBe("test/Smtp")
    expect(Smtp.schema).toBeDefined()
  })

  it.effect("the layer fails with the ConfigurationError", () =>
    withConfig({}, Effect.provide(Smtp, Smtp.layer)).pipe(
      Effect.flip,
      Effect.map((error) => expect(Option.some(error._tag)).toEqual(Option.some("ConfigurationError")))
    ))
})
