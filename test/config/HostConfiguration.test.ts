/**
 * The layered configuration: precedence, key syntaxes, case, arrays, files, environment name.
 * Every provider here is built from explicit sources (temp directories, env and args objects),
 * never from the real process.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Option, Redacted } from "effect"
import { ConfigurationError, HostConfiguration } from "effect-host"
import * as path from "node:path"
import * as Secrets from "../../src/internal/config/secrets.js"
import { contentRoot, isolated, withConfig } from "./util.js"

const readString = (key: string) => Config.string(key)

describe("precedence: code < appsettings.json < appsettings.{Environment}.json < env < command line", () => {
  // Each step: the key is set in every source up to and including `winner`.
  const steps = ["code", "appsettings.json", "appsettings.Development.json", "env", "command line"] as const
  for (const [i, winner] of steps.entries()) {
    it.effect(`${winner} wins over everything below it`, () => {
      const upTo = (step: (typeof steps)[number]) => steps.indexOf(step) <= i
      const files: Record<string, unknown> = {}
      if (upTo("appsettings.json")) files["appsettings.json"] = { App: { Name: "appsettings.json" } }
      if (upTo("appsettings.Development.json")) files["appsettings.Development.json"] = { App: { Name: "appsettings.Development.json" } }
      return withConfig(
        {
          environmentName: "Development",
          contentRoot: contentRoot(files),
          values: { App: { Name: "code" } },
          env: upTo("env") ? { APP__NAME: "env" } : {},
          args: upTo("command line") ? ["--App:Name=command line"] : []
        },
        readString("App:Name")
      ).pipe(Effect.map((value) => expect(value).toBe(winner)))
    })
  }

  it.effect("a key set only in a lower source is still visible (layers merge, they do not hide)", () =>
    withConfig(
      {
        contentRoot: contentRoot({ "appsettings.json": { Db: { Host: "db.local", Port: 5432 } } }),
        env: { DB__PORT: "6543" }
      },
      Effect.all([readString("Db:Host"), Config.number("Db:Port")])
    ).pipe(Effect.map((values) => expect(values).toEqual(["db.local", 6543]))))
})

describe("environment variables", () => {
  it.effect("each configuration reads the environment as it is then: a changed, a new and a removed variable", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        withConfig({ env, envPrefix: "APP_" }, Effect.all([Config.option(readString("Greeting")), Config.option(readString("Other"))]))
      expect(yield* read({ APP_Greeting: "hello" })).toEqual([Option.some("hello"), Option.none()])
      expect(yield* read({ APP_Greeting: "bye", APP_Other: "x" })).toEqual([Option.some("bye"), Option.some("x")])
      expect(yield* read({ APP_Other: "x" })).toEqual([Option.none(), Option.some("x")])
      // The same variables without the prefix are other keys.
      expect(yield* withConfig({ env: { APP_Greeting: "hello" } }, Config.option(readString("Greeting")))).toEqual(Option.none())
    }))
})

describe("key syntax", () => {
  const cases: ReadonlyArray<readonly [string, HostConfiguration.Options]> = [
    ["JSON object", { contentRoot: contentRoot({ "appsettings.json": { Section: { Key: "v" } } }) }],
    ["JSON flat key with ':'", { contentRoot: contentRoot({ "appsettings.json": { "Section:Key": "v" } }) }],
    ["env Section__Key", { env: { Section__Key: "v" } }],
    ["env SECTION__KEY (upper case)", { env: { SECTION__KEY: "v" } }],
    ["env section__key (lower case)", { env: { section__key: "v" } }],
    ["--Section:Key=v", { args: ["--Section:Key=v"] }],
    ["--Section:Key v", { args: ["--Section:Key", "v"] }],
    ["--Section.Key=v", { args: ["--Section.Key=v"] }],
    ["--section:key=v (lower case)", { args: ["--section:key=v"] }],
    ["code, nested", { values: { Section: { Key: "v" } } }],
    ["code, ':' key", { values: { "Section:Key": "v" } }]
  ]
  for (const [name, options] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        // The same value through every way Effect code addresses a nested key.
        const viaColon = yield* withConfig(options, readString("Section:Key"))
        const viaNested = yield* withConfig(options, Config.nested(readString("Key"), "Section"))
        const otherCase = yield* withConfig(options, readString("SECTION:key"))
        expect([viaColon, viaNested, otherCase]).toEqual(["v", "v", "v"])
      }))
  }

  it.effect("`--` ends the options; positionals are ignored; a switch without a value is an error only when read", () =>
    Effect.gen(function*() {
      // `Bare=1`, `/Slash=1`, `-s 1`: forms .NET's command line also reads, left to the program here.
      const positionals = ["serve", "Bare=1", "/Slash=1", "/data/in.csv", "-s", "1"]
      const options = { args: [...positionals, "--Verbose", "--Port", "80", "--Empty=", "--", "--After=1"] }
      const values = yield* withConfig(
        options,
        Effect.all([
          Config.number("Port"),
          Config.string("Empty"),
          ...["After", "serve", "Bare", "Slash", "data:in.csv", "s"].map((key) => Config.option(readString(key)))
        ])
      )
      expect(values).toEqual([80, "", Option.none(), Option.none(), Option.none(), Option.none(), Option.none(), Option.none()])
      // `--Verbose` (followed by another switch) has no value: it used to read as "true".
      const error = yield* withConfig(options, Effect.flip(Config.boolean("Verbose")))
      expect(error.message).toContain("--Verbose=<value>")
      expect(error.message).toContain("(from command line --Verbose)")
    }))

  it.effect("booleans as .NET writes them (True, FALSE) read with Config.boolean", () =>
    withConfig({ env: { A: "True", B: "FALSE" }, args: ["--C=Yes"] }, Effect.all([Config.boolean("A"), Config.boolean("B"), Config.boolean("C")])).pipe(
      Effect.map((values) => expect(values).toEqual([true, false, true]))
    ))

  it.effect("a negative number can follow a switch", () =>
    withConfig({ args: ["--Offset", "-5"] }, Config.number("Offset")).pipe(Effect.map((n) => expect(n).toBe(-5))))

  it.effect("keys keep the spelling they were first seen with (children enumerate that way)", () =>
    withConfig(
      { contentRoot: contentRoot({ "appsettings.json": { Features: { BetaSearch: true } } }), env: { FEATURES__BETASEARCH: "false", FEATURES__NEWUI: "true" } },
      Config.hashMap(Config.boolean(), "Features")
    ).pipe(Effect.map((map) => expect(Object.fromEntries(map)).toEqual({ BetaSearch: false, NEWUI: true }))))
})

describe("arrays", () => {
  const json = { "appsettings.json": { Servers: ["a", "b", "c"], Endpoints: [{ Url: "http://one" }, { Url: "http://two" }], Greetings: ["Hello, world"] } }

  it.effect("JSON arrays read with Config.array, also arrays of objects, without splitting strings on commas", () =>
    withConfig(
      { contentRoot: contentRoot(json) },
      Effect.all([
        Config.array(Config.string(), "Servers"),
        Config.array(Config.string("Url"), "Endpoints"),
        Config.array(Config.string(), "Greetings")
      ])
    ).pipe(Effect.map((values) => expect(values).toEqual([["a", "b", "c"], ["http://one", "http://two"], ["Hello, world"]]))))

  it.effect("an element set in the environment replaces the whole array, not just that index", () =>
    withConfig({ contentRoot: contentRoot(json), env: { SERVERS__0: "x" } }, Config.array(Config.string(), "Servers")).pipe(
      Effect.map((servers) => expect(servers).toEqual(["x"]))
    ))

  it.effect("a comma list in the environment replaces a JSON array", () =>
    withConfig({ contentRoot: contentRoot(json), env: { Servers: "x, y" } }, Config.array(Config.string(), "Servers")).pipe(
      Effect.map((servers) => expect(servers).toEqual(["x", "y"]))
    ))

  it.effect("each layer replaces what the one below made of the array: elements, a list, elements again", () =>
    Effect.all([
      // JSON array -> a comma list in the environment -> one element on the command line.
      withConfig({ contentRoot: contentRoot(json), env: { Servers: "x, y" }, args: ["--Servers:0=z"] }, Config.array(Config.string(), "Servers")),
      // JSON array -> one element in the environment -> a comma list on the command line.
      withConfig({ contentRoot: contentRoot(json), env: { SERVERS__0: "x" }, args: ["--Servers=p,q"] }, Config.array(Config.string(), "Servers"))
    ]).pipe(Effect.map((values) => expect(values).toEqual([["z"], ["p", "q"]]))))

  it.effect("a key that was an array and was replaced by a value is a plain key again for the layers above", () =>
    // Code: an array -> appsettings.json: a value (the array is gone) -> appsettings.Production.json:
    // a child of that key -> the environment: the value again, which must not take the child with it.
    withConfig(
      {
        values: { Servers: ["a"] },
        contentRoot: contentRoot({ "appsettings.json": { Servers: "x" }, "appsettings.Production.json": { Servers: { Extra: "e" } } }),
        env: { Servers: "y" }
      },
      Effect.all([readString("Servers"), readString("Servers:Extra")])
    ).pipe(Effect.map((values) => expect(values).toEqual(["y", "e"]))))

  it.effect("indexed elements from the environment and the command line form arrays", () =>
    withConfig(
      { env: { HOSTS__1: "two", HOSTS__0: "one", HOSTS__10: "eleven" }, args: ["--Ports:0=80", "--Ports:1=443"] },
      Effect.all([Config.array(Config.string(), "Hosts"), Config.array(Config.integer(), "Ports")])
    ).pipe(Effect.map((values) => expect(values).toEqual([["one", "two", "eleven"], [80, 443]]))))

  it.effect("an array in appsettings.{Environment}.json replaces the one in appsettings.json", () =>
    withConfig(
      { environmentName: "Staging", contentRoot: contentRoot({ ...json, "appsettings.Staging.json": { Servers: ["s"] } }) },
      Config.array(Config.string(), "Servers")
    ).pipe(Effect.map((servers) => expect(servers).toEqual(["s"]))))
})

describe("files", () => {
  it.effect("missing optional files are fine", () =>
    withConfig({ contentRoot: contentRoot() }, Config.option(readString("Anything"))).pipe(
      Effect.map((value) => expect(value).toEqual(Option.none()))
    ))

  it.effect("a missing required file is a ConfigurationError naming it", () =>
    Effect.gen(function*() {
      const dir = contentRoot()
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ contentRoot: dir, files: [{ path: "secrets.json", optional: false }] })))
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error.message).toContain(path.join(dir, "secrets.json"))
    }))

  it.effect("malformed JSON is a ConfigurationError naming file:line:column", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": "{\n  \"Db\": {\n    \"Port\": 5432\n    \"Host\": \"x\"\n  }\n}\n" })
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ contentRoot: dir })))
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain(`${path.join(dir, "appsettings.json")}:4:5`)
      expect(error.message).toMatch(/expected ',' or '}'/)
    }))

  it.effect("the environment's file is checked too, and both bad files are reported together", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": "{ \"A\": }", "appsettings.Production.json": "[1, 2" })
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ contentRoot: dir })))
      expect(error.issues).toHaveLength(2)
      expect(error.message).toContain(`${path.join(dir, "appsettings.json")}:1:8`)
      expect(error.message).toContain(`${path.join(dir, "appsettings.Production.json")}:1:6`)
    }))

  it.effect("comments and trailing commas are accepted (as .NET does); duplicate keys are not", () =>
    Effect.gen(function*() {
      const ok = contentRoot({ "appsettings.json": "{\n // comment\n \"A\": 1, /* block */\n \"B\": [1, 2,],\n}" })
      const values = yield* withConfig({ contentRoot: ok }, Effect.all([Config.number("A"), Config.array(Config.number(), "B")]))
      expect(values).toEqual([1, [1, 2]])
      const dup = contentRoot({ "appsettings.json": "{ \"Port\": 1, \"port\": 2 }" })
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ contentRoot: dup })))
      expect(error.message).toContain(`${path.join(dup, "appsettings.json")}:1:14`)
      expect(error.message).toContain("Duplicate key")
    }))
})

describe("environment name and content root", () => {
  const files = {
    "appsettings.json": { Which: "base" },
    "appsettings.Development.json": { Which: "Development" },
    "appsettings.Staging.json": { Which: "Staging" },
    "appsettings.Production.json": { Which: "Production" }
  }
  const which = (options: HostConfiguration.Options) =>
    withConfig({ contentRoot: contentRoot(files), ...options }, Effect.all([readString("Which"), readString("environment")]))

  it.effect("defaults to Production", () => which({}).pipe(Effect.map((v) => expect(v).toEqual(["Production", "Production"]))))

  it.effect("NODE_ENV=development selects Development (name normalized)", () =>
    which({ env: { NODE_ENV: "development" } }).pipe(Effect.map((v) => expect(v).toEqual(["Development", "Development"]))))

  it.effect("the environment key beats NODE_ENV; EFFECT_HOST_ENVIRONMENT beats it; the command line beats both", () =>
    Effect.gen(function*() {
      expect(yield* which({ env: { NODE_ENV: "development", ENVIRONMENT: "Staging" } })).toEqual(["Staging", "Staging"])
      expect(yield* which({ env: { ENVIRONMENT: "Development", EFFECT_HOST_ENVIRONMENT: "Staging" } })).toEqual(["Staging", "Staging"])
      expect(yield* which({ env: { EFFECT_HOST_ENVIRONMENT: "Staging" }, args: ["--environment", "Development"] })).toEqual(["Development", "Development"])
    }))

  it.effect("code beats every source; files cannot change the name that selected them", () =>
    Effect.gen(function*() {
      expect(yield* which({ environmentName: "Staging", args: ["--environment=Development"] })).toEqual(["Staging", "Staging"])
      const dir = contentRoot({ "appsettings.json": { environment: "Staging" }, "appsettings.Production.json": { Which: "Production" } })
      expect(yield* withConfig({ contentRoot: dir }, Effect.all([readString("Which"), readString("environment")]))).toEqual(["Production", "Production"])
    }))

  it.effect("the content root comes from the command line or EFFECT_HOST_CONTENTROOT", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Which: "here" } })
      const options = { env: {}, args: [] }
      const fromArgs = yield* Effect.flatMap(HostConfiguration.make({ ...options, args: [`--contentRoot=${dir}`] }), (p) => Effect.withConfigProvider(readString("Which"), p))
      const fromEnv = yield* Effect.flatMap(HostConfiguration.make({ ...options, env: { EFFECT_HOST_CONTENTROOT: dir } }), (p) => Effect.withConfigProvider(readString("Which"), p))
      expect([fromArgs, fromEnv]).toEqual(["here", "here"])
    }))

  it.effect("an environment-variable prefix limits (and strips) what the environment contributes", () =>
    withConfig(
      { envPrefix: "MYAPP_", env: { MYAPP_Db__Host: "mine", Db__Port: "1" } },
      Effect.all([readString("Db:Host"), Config.option(Config.number("Db:Port"))])
    ).pipe(Effect.map((v) => expect(v).toEqual(["mine", Option.none()]))))
})

describe("errors name the key and the source", () => {
  it.effect("an invalid value names where it came from", () =>
    withConfig({ env: { DB__PORT: "eighty" } }, Config.number("Db:Port")).pipe(
      Effect.flip,
      Effect.map((error) => {
        expect(error.message).toContain("eighty")
        expect(error.message).toContain("env DB__PORT")
      })
    ))

  it.effect("a missing value says how to set it", () =>
    withConfig({}, readString("Db:Host")).pipe(
      Effect.flip,
      Effect.map((error) => expect(error.message).toContain("DB__HOST"))
    ))

  it.effect("an invalid Config.redacted value is not quoted", () =>
    withConfig({ env: { API__PIN: "12ab34" } }, Config.redacted(Config.integer("Api:Pin"))).pipe(
      Effect.flip,
      Effect.map((error) => {
        expect(`${error.message} ${String(error)} ${JSON.stringify(error)}`).not.toContain("12ab34")
        expect(error).toMatchObject({ _op: "InvalidData", path: ["Api:Pin"] })
      })
    ))
})

describe("debug view", () => {
  it.effect("lists every effective key with value and source, secrets masked", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Db: { Host: "db.local", Password: "hunter2hunter2", Pin: "4711" } } })
      const view = yield* withConfig(
        { contentRoot: dir, env: { DB__PORT: "5432" }, args: ["--Db:User=app"], values: { Db: { Timeout: 30, Token: Redacted.make("tok-secret") } } },
        Effect.gen(function*() {
          // Db:Pin does not look secret, but the program reads it as one.
          yield* Config.redacted("Db:Pin")
          // An environment variable is listed once the program read it.
          yield* Config.number("Db:Port")
          return yield* HostConfiguration.debugView({ section: "Db" })
        })
      )
      const file = path.join(dir, "appsettings.json")
      expect(view).toMatch(/^Configuration: environment Production/)
      expect(view).toMatch(new RegExp(`Db:Host +\\s= db\\.local  \\(file ${file.replace(/[.]/g, "\\.")}\\)`))
      // Spelled as first seen: the file spelled `Db`, only the environment spelled `PORT`.
      expect(view).toMatch(/Db:PORT += 5432 {2}\(env DB__PORT\)/)
      expect(view).toMatch(/Db:User += app {2}\(command line --Db:User\)/)
      expect(view).toMatch(/Db:Timeout +\s*= 30 {2}\(code\)/)
      expect(view).toMatch(/Db:Password += <redacted>/)
      expect(view).toMatch(/Db:Pin +\s*= <redacted>/)
      expect(view).toMatch(/Db:Token +\s*= <redacted>/)
      for (const secret of ["hunter2hunter2", "4711", "tok-secret"]) expect(view).not.toContain(secret)
    }))

  it.effect("entries are structured too, and a foreign provider is listed with an unknown source", () =>
    Effect.gen(function*() {
      const entries = yield* Effect.withConfigProvider(
        HostConfiguration.entries(),
        ConfigProvider.fromMap(new Map([["Db.Host", "h"], ["Db.Secret", "s3"]]))
      )
      expect(entries).toEqual([
        { key: "Db:Host", value: "h", source: { _tag: "Provider" }, secret: false, changedSinceStart: false },
        { key: "Db:Secret", value: "<redacted>", source: { _tag: "Provider" }, secret: true, changedSinceStart: false }
      ])
    }))
})

describe("debug view: which environment variables, which secrets", () => {
  const env = {
    PWD: "/home/me/project",
    OLDPWD: "/home/me",
    PATH: "/usr/bin",
    HOME: "/home/me",
    APP__KEYBOARD: "qwerty",
    APP__MONKEY: "bonobo",
    APP__TOKENURL: "https://auth/token",
    APP__CLIENTSECRET: "cs-0123456",
    APP__URL: "https://app",
    GITHUB_TOKEN: "ghp_0123456",
    SHUTDOWNTIMEOUTSECONDS: "5",
    LOGGING__LOGLEVEL__DEFAULT: "Warning",
    NODE_ENV: "production"
  }

  it.effect("from the environment only the keys read and the host's own; code, files and command line always", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { App: { Name: "from-file" } } })
      const view = yield* withConfig(
        { contentRoot: dir, env, args: ["--App:Mode=fast"], values: { App: { Level: 3 } } },
        Effect.zipRight(Config.string("App:Url"), HostConfiguration.debugView())
      )
      for (const shown of ["App:Name", "App:Mode", "App:Level", "App:URL", "SHUTDOWNTIMEOUTSECONDS", "LOGGING:LOGLEVEL:DEFAULT", "NODE_ENV", "environment", "contentRoot"]) {
        expect(view).toMatch(new RegExp(`^${shown} +=`, "m"))
      }
      for (const hidden of ["PWD", "OLDPWD", "PATH", "HOME", "GITHUB_TOKEN", "App:KEYBOARD", "App:CLIENTSECRET"]) {
        expect(view).not.toMatch(new RegExp(`^${hidden} +=`, "m"))
      }
      for (const value of ["/usr/bin", "/home/me", "qwerty"]) expect(view).not.toContain(value)
    }))

  it.effect("secrets by rule: names that are secrets are masked, PWD, Keyboard, Monkey, TokenUrl are not", () =>
    Effect.gen(function*() {
      const rows = yield* withConfig({ env }, HostConfiguration.entries({ allEnvironmentVariables: true }))
      const secret = Object.fromEntries(rows.map((r) => [r.key, r.secret]))
      expect(secret).toMatchObject({
        PWD: false,
        OLDPWD: false,
        "APP:KEYBOARD": false,
        "APP:MONKEY": false,
        "APP:TOKENURL": false,
        "APP:URL": false,
        "APP:CLIENTSECRET": true,
        GITHUB_TOKEN: true
      })
      expect(rows.find((r) => r.key === "PWD")?.value).toBe("/home/me/project")
      expect(rows.find((r) => r.key === "GITHUB_TOKEN")?.value).toBe("<redacted>")
    }))

  it("the name rule: exact names and suffixes, not substrings", () => {
    const secretNames = [
      "Password", "DB_PASSWORD", "Passwd", "Secret", "ClientSecret", "Token", "AccessToken", "ApiKey", "api-key",
      "PrivateKey", "ConnectionString", "ConnectionStrings", "Credential", "Credentials", "Key", "AWS_SECRET_ACCESS_KEY"
    ]
    const plainNames = ["PWD", "OLDPWD", "Keyboard", "Monkey", "TokenUrl", "SecretName", "PasswordPolicy", "KeyVault", "Turkey", "Port"]
    expect(secretNames.filter((n) => !Secrets.isSecretName(n))).toEqual([])
    expect(plainNames.filter(Secrets.isSecretName)).toEqual([])
  })

  it.effect("a declared secret masks its key and everything below; a secret section masks its children", () =>
    withConfig(
      { values: { Vault: { Pin: "1234", Nested: { Code: "5678" } }, ConnectionStrings: { Default: "Server=db;Password=x" } }, secrets: ["Vault"] },
      HostConfiguration.entries()
    ).pipe(Effect.map((rows) => {
      expect(rows.filter((r) => !r.secret).map((r) => r.key)).toEqual(["contentRoot", "environment"])
    })))

  it.effect("a switch without a value is shown as such", () =>
    withConfig({ args: ["--verbose"] }, HostConfiguration.debugView()).pipe(
      Effect.map((view) => expect(view).toMatch(/^verbose += <no value> {2}\(command line --verbose\)$/m))
    ))
})

