/**
 * Configuration inside the host: the layered provider by default (replaceable), HostOptions and
 * HostEnvironment from configuration with code winning, every configuration error collected
 * into one `ConfigurationError` before any hook runs, and the host's logger.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Config, ConfigError, ConfigProvider, Context, Duration, Effect, Exit, FiberRef, HashSet, Layer, Logger, LogLevel, Option, Schema } from "effect"
import { ConfigurationError, Host, HostConfiguration, HostedService, HostEnvironment, HostError, Settings } from "effect-host"
import { TestHost } from "effect-host/testing"
import * as path from "node:path"
import { captureLogs, settle } from "../util/host.js"
import { captureConsole, contentRoot, isolated } from "./util.js"

/** A service recording each of its hooks into `trace`. */
const recorded = (trace: Array<string>, name: string, hooks: { readonly stop?: Effect.Effect<void> } = {}) =>
  HostedService.make(name, {
    starting: Effect.sync(() => void trace.push(`${name}.starting`)),
    start: Effect.sync(() => void trace.push(`${name}.start`)),
    stop: Effect.zipRight(Effect.sync(() => void trace.push(`${name}.stop`)), hooks.stop ?? Effect.void)
  })

/** A service that reads `effect` when it starts and records the result. */
const reading = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, seen: Array<unknown>) =>
  HostedService.scoped(name, Effect.flatMap(effect, (value) => Effect.sync(() => void seen.push(value))))

const failureOf = <E>(exit: Exit.Exit<void, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

describe("the configuration provider", () => {
  it.scoped("is the layered configuration by default", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const host = yield* TestHost.start([reading("Reader", HostConfiguration.info, seen)])
      yield* host.started
      yield* host.stop
      expect(Option.isSome(seen[0] as Option.Option<unknown>)).toBe(true)
    }))

  it.scoped("reads appsettings files from the configured content root, for services and their layers", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Greeting: "hello from the file" } })
      const seen: Array<unknown> = []
      const host = yield* TestHost.start([reading("Reader", Config.string("Greeting"), seen)], {
        configuration: isolated({ contentRoot: dir })
      })
      yield* host.started
      yield* host.stop
      expect(seen).toEqual(["hello from the file"])
    }))

  it.scoped("a ConfigProvider the program installed is used as is", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const host = yield* TestHost.start([
        reading("Reader", Effect.all([Config.string("Greeting"), HostConfiguration.info]), seen)
      ]).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["Greeting", "from the map"]]))))
      yield* host.started
      yield* host.stop
      expect(seen).toEqual([["from the map", Option.none()]])
    }))

  it.scoped("HostConfiguration.layer provided outside the host is reused, and configuration: false keeps Effect's", () =>
    Effect.gen(function*() {
      const dir = contentRoot()
      const seen: Array<unknown> = []
      const outer = yield* TestHost.start([reading("Reader", HostConfiguration.info, seen)]).pipe(
        Effect.provide(HostConfiguration.layer(isolated({ contentRoot: dir })))
      )
      yield* outer.started
      yield* outer.stop
      const plain = yield* TestHost.start([reading("Reader", HostConfiguration.info, seen)], { configuration: false })
      yield* plain.started
      yield* plain.stop
      expect(seen).toEqual([Option.some(expect.objectContaining({ contentRootPath: dir })), Option.none()])
    }))
})

describe("Host.make", () => {
  it.effect("the program using the host as a layer runs with the host's configuration", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { Greeting: "hi" } })
      const value = yield* Config.string("Greeting").pipe(
        Effect.provide(Host.make([HostedService.make("A", {})], { configuration: isolated({ contentRoot: dir }) }))
      )
      expect(value).toBe("hi")
    }))

  it.effect("the host's provider, loggers and minimum level last as long as its scope; a level the program set meanwhile stays", () =>
    Effect.gen(function*() {
      const refs = Effect.all([
        Effect.configProviderWith(Effect.succeed),
        FiberRef.get(FiberRef.currentLoggers),
        FiberRef.get(FiberRef.currentMinimumLogLevel)
      ])
      // Effect's default logger, as a program has it (the test runner's loggers are its own).
      yield* FiberRef.set(FiberRef.currentLoggers, HashSet.make(Logger.defaultLogger))
      const [provider, loggers] = yield* refs
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(Host.make([HostedService.make("A", {})], { configuration: isolated({ values: { Greeting: "hi" } }) }))
        expect(yield* Config.string("Greeting")).toBe("hi")
        const [inside, insideLoggers] = yield* refs
        expect(inside).not.toBe(provider)
        expect(insideLoggers).not.toBe(loggers)
        yield* FiberRef.set(FiberRef.currentMinimumLogLevel, LogLevel.Error)
      }))
      const [after, afterLoggers, afterLevel] = yield* refs
      expect(after).toBe(provider)
      expect(afterLoggers).toBe(loggers)
      expect(afterLevel).toBe(LogLevel.Error)
    }))
})

describe("HostOptions from configuration", () => {
  const stuck = (trace: Array<string>) => recorded(trace, "Stuck", { stop: Effect.never })

  it.scoped("shutdownTimeoutSeconds from configuration bounds the stop", () =>
    Effect.gen(function*() {
      const trace: Array<string> = []
      const host = yield* TestHost.start([stuck(trace)], { configuration: isolated({ env: { SHUTDOWNTIMEOUTSECONDS: "2" } }) })
      yield* host.started
      yield* host.requestStop
      yield* host.advance(Duration.seconds(2))
      const error = failureOf(yield* host.exit)
      expect(error).toMatchObject({ _tag: "ShutdownTimeoutError", stuck: ["Stuck"] })
    }))

  it.scoped("code wins over configuration", () =>
    Effect.gen(function*() {
      const trace: Array<string> = []
      const host = yield* TestHost.start([stuck(trace)], {
        shutdownTimeout: "10 seconds",
        configuration: isolated({ args: ["--shutdownTimeoutSeconds=2"] })
      })
      yield* host.started
      yield* host.requestStop
      yield* host.advance(Duration.seconds(2))
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.advance(Duration.seconds(8))
      expect(failureOf(yield* host.exit)).toMatchObject({ _tag: "ShutdownTimeoutError" })
    }))

  it.scoped("servicesStartConcurrently from configuration", () =>
    Effect.gen(function*() {
      // Two slow starts of 5 s each: concurrently the host is up after 5 s, sequentially after 10 s.
      const slow = (name: string) => HostedService.make(name, { start: Effect.sleep(Duration.seconds(5)) })
      const host = yield* TestHost.start([slow("A"), slow("B")], {
        configuration: isolated({ values: { servicesStartConcurrently: true } })
      })
      yield* host.advance(Duration.seconds(5))
      expect(yield* host.trace).toContain("lifetime.started")
      yield* host.stop
    }))

  it.scoped("enum and boolean values are case-insensitive, as .NET binds them", () =>
    Effect.gen(function*() {
      // With backgroundServiceExceptionBehavior "ignore" an injected failure does not stop the host.
      const host = yield* TestHost.start([HostedService.make("A", {})], {
        configuration: isolated({ env: { BACKGROUNDSERVICEEXCEPTIONBEHAVIOR: "ignore", SERVICESSTOPCONCURRENTLY: "True" } })
      })
      yield* host.started
      yield* host.injectFailure("Worker", "boom")
      yield* settle
      expect(Option.isNone(yield* host.poll)).toBe(true)
      yield* host.stop
    }))

  it.scoped("an invalid key fails the host with a ConfigurationError before any hook runs", () =>
    Effect.gen(function*() {
      const trace: Array<string> = []
      const host = yield* TestHost.start([recorded(trace, "A")], {
        configuration: isolated({ env: { shutdownTimeoutSeconds: "soon", backgroundServiceExceptionBehavior: "Explode" } })
      })
      const error = failureOf(yield* host.exit)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).keys).toEqual(["shutdownTimeoutSeconds", "backgroundServiceExceptionBehavior"])
      expect((error as ConfigurationError).message).toContain("(from env shutdownTimeoutSeconds)")
      expect(trace).toEqual([])
      expect(yield* host.trace).toEqual([])
    }))
})

describe("all configuration errors at once, before any service starts", () => {
  class Smtp extends Settings.Tag("test/host/Smtp")<Smtp>()("Smtp", Schema.Struct({ Host: Schema.String, Port: Schema.Number })) {}
  const Db = Schema.Struct({ Url: Schema.String, PoolSize: Schema.Number })

  it.scoped("settings errors of several services and host options are reported together", () =>
    Effect.gen(function*() {
      const trace: Array<string> = []
      const dir = contentRoot({ "appsettings.json": { Smtp: { Host: "mail", Port: "twenty-five" } } })
      const Mailer = HostedService.scoped("Mailer", Effect.zipRight(Smtp, Effect.sync(() => void trace.push("Mailer.built")))).pipe(
        Layer.provide(Smtp.layer)
      )
      // Settings read while the layer is built (not in a hook), as the README recommends.
      const Repo = Layer.unwrapEffect(
        Effect.map(Settings.section("Db", Db), (db) => HostedService.make("Repo", { start: Effect.log(db.Url) }))
      )
      const host = yield* TestHost.start([recorded(trace, "First"), Mailer, Repo, recorded(trace, "Last")], {
        configuration: isolated({ contentRoot: dir, env: { DB__POOLSIZE: "ten", startupTimeoutSeconds: "-1" } })
      })
      const error = failureOf(yield* host.exit) as ConfigurationError
      expect(error._tag).toBe("ConfigurationError")
      expect(error.keys).toEqual(["startupTimeoutSeconds", "Smtp:Port", "Db:Url", "Db:PoolSize"])
      expect(error.message).toContain(`(from file ${path.join(dir, "appsettings.json")})`)
      expect(error.message).toContain("(from env DB__POOLSIZE)")
      expect(trace).toEqual([])
    }))

  it.scoped("a malformed appsettings file fails the host before any hook, naming file:line:column", () =>
    Effect.gen(function*() {
      const trace: Array<string> = []
      const dir = contentRoot({ "appsettings.json": "{\n  \"A\": 1,\n  \"B\" 2\n}" })
      const host = yield* TestHost.start([recorded(trace, "A")], { configuration: isolated({ contentRoot: dir }) })
      const error = failureOf(yield* host.exit) as ConfigurationError
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain(`${path.join(dir, "appsettings.json")}:3:7`)
      expect(trace).toEqual([])
    }))

  it.scoped("a secret read with Schema.Config and Schema.Redacted is never quoted in the report (the ParseError quotes it)", () =>
    Effect.gen(function*() {
      const Pin = Schema.Config("Db:Pin", Schema.Redacted(Schema.NumberFromString))
      const Repo = Layer.unwrapEffect(Effect.as(Pin, HostedService.make("Repo", {})))
      const host = yield* TestHost.start([Repo], { configuration: isolated({ args: ["--Db:Pin=S3CR3T-VALUE"] }) })
      const error = failureOf(yield* host.exit) as ConfigurationError
      expect(error.keys).toEqual(["Db:Pin"])
      expect(error.message).toContain("(from command line --Db:Pin)")
      expect(`${error.message} ${JSON.stringify(error.issues)}`).not.toContain("S3CR3T-VALUE")
    }))

  it.scoped("a member that needs one whose configuration is invalid: the configuration error is the report, not \"Service not found\"", () =>
    Effect.gen(function*() {
      class Pool extends Context.Tag("test/host/Pool")<Pool, { readonly size: number }>() {}
      const PoolLive = Layer.effect(Pool, Effect.map(Config.integer("Db:PoolSize"), (size) => ({ size })))
      // Reads the pool while it is built: without PoolLive's tag it dies ("Service not found").
      const Repo = Layer.unwrapEffect(Effect.map(Pool, (pool) => HostedService.make("Repo", { start: Effect.log(pool.size) })))
      const logs = captureLogs()
      const host = yield* TestHost.start([PoolLive, Repo], { configuration: isolated({ env: { DB__POOLSIZE: "ten" } }) }).pipe(
        Effect.provide(logs.layer)
      )
      const error = failureOf(yield* host.exit) as ConfigurationError
      expect(error._tag).toBe("ConfigurationError")
      expect(error.keys).toEqual(["Db:PoolSize"])
      // The other failure is not lost: logged, as a consequence.
      expect(logs.lines.filter((l) => l.level === "WARN").map((l) => l.message)).toContain(
        "A hosted service could not be built after the invalid configuration reported with it"
      )
    }))

  it.scoped("a ConfigError next to another failure of the same layer is still reported as a ConfigurationError", () =>
    Effect.gen(function*() {
      const Both = Layer.effectDiscard(Effect.zip(Config.integer("Db:PoolSize"), Effect.fail("boom"), { concurrent: true }))
      const host = yield* TestHost.start([Both], { configuration: isolated({ env: { DB__POOLSIZE: "ten" } }) })
      const exit = yield* host.exit
      const failures = Exit.isFailure(exit) ? [...Cause.failures(exit.cause)] : []
      expect(failures.some((f) => ConfigError.isConfigError(f))).toBe(false)
      expect(failures).toContainEqual("boom")
      expect(failures.map((f) => (f as { readonly _tag?: unknown })._tag)).toContain("ConfigurationError")
    }))

  it.scoped("a failure that is not about configuration is not held back", () =>
    Effect.gen(function*() {
      const Broken = Layer.fail("boom")
      const Repo = Layer.unwrapEffect(Effect.as(Settings.section("Db", Db), HostedService.make("Repo", {})))
      const host = yield* TestHost.start([Broken, Repo], { configuration: isolated() })
      expect(failureOf(yield* host.exit)).toBe("boom")
    }))
})

describe("HostEnvironment from configuration", () => {
  const files = { "appsettings.json": { Which: "base" }, "appsettings.Development.json": { Which: "Development" }, "appsettings.Staging.json": { Which: "Staging" } }
  const run = (options: Host.Options) =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const host = yield* TestHost.start([reading("Reader", Effect.all([HostEnvironment, Config.string("Which")]), seen)], options)
      yield* host.started
      yield* host.stop
      return seen[0] as [HostEnvironment.Values, string]
    })

  it.scoped("NODE_ENV selects the environment and its file", () =>
    Effect.gen(function*() {
      const dir = contentRoot(files)
      const [env, which] = yield* run({ configuration: isolated({ contentRoot: dir, env: { NODE_ENV: "development" }, values: { applicationName: "shop" } }) })
      expect([env.environmentName, env.isDevelopment, env.contentRootPath, env.applicationName, which]).toEqual(["Development", true, dir, "shop", "Development"])
    }))

  it.scoped("a blank NODE_ENV (`NODE_ENV= node app.js`, a Dockerfile's `ENV NODE_ENV=`) is unset: Production, no error", () =>
    Effect.gen(function*() {
      for (const blank of ["", "  "]) {
        const [env] = yield* run({ configuration: isolated({ contentRoot: contentRoot(files), env: { NODE_ENV: blank } }) })
        expect(env.environmentName).toBe("Production")
      }
    }))

  it.scoped("the name fixed in code wins and selects its file", () =>
    Effect.gen(function*() {
      const dir = contentRoot(files)
      const [env, which] = yield* run({
        environment: { environmentName: "Staging", contentRootPath: dir },
        configuration: isolated({ contentRoot: undefined, env: { NODE_ENV: "development" } })
      })
      expect([env.environmentName, env.contentRootPath, which]).toEqual(["Staging", dir, "Staging"])
    }))
})

describe("the host's logger", () => {
  const withDefaultLogger = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    // @effect/vitest removes Effect's default logger; a real program has it.
    Effect.locallyWith(effect, FiberRef.currentLoggers, HashSet.add(Logger.defaultLogger))

  const Chatty = HostedService.make("Chatty", { start: Effect.logInfo("chatty is up") })

  it.scoped("replaces Effect's default logger: JSON lines in Production (information on stdout), with the service annotation", () =>
    Effect.gen(function*() {
      const captured = captureConsole()
      const host = yield* withDefaultLogger(TestHost.start([Chatty], { configuration: isolated() })).pipe(Effect.withConsole(captured.console))
      yield* host.started
      yield* host.stop
      const line = captured.stdout.map((l) => JSON.parse(l) as { message: unknown; annotations: Record<string, unknown> })
        .find((l) => l.message === "chatty is up")
      expect(line?.annotations).toMatchObject({ service: "Chatty", phase: "start" })
      expect(captured.stderr).toEqual([])
    }))

  it.scoped("per-service level from Logging:LogLevel:<service>", () =>
    Effect.gen(function*() {
      const captured = captureConsole()
      const host = yield* withDefaultLogger(
        TestHost.start([Chatty, HostedService.make("Quiet", { start: Effect.logInfo("quiet is up") })], {
          configuration: isolated({ values: { Logging: { LogLevel: { Quiet: "Warning" } } } })
        })
      ).pipe(Effect.withConsole(captured.console))
      yield* host.started
      yield* host.stop
      const text = captured.stdout.join("\n")
      expect(text).toContain("chatty is up")
      expect(text).not.toContain("quiet is up")
    }))

  it.scoped("logger: false leaves logging alone", () =>
    Effect.gen(function*() {
      const captured = captureConsole()
      const host = yield* withDefaultLogger(TestHost.start([Chatty], { configuration: isolated(), logger: false })).pipe(
        Effect.withConsole(captured.console)
      )
      yield* host.started
      yield* host.stop
      // Effect's default logger prints logfmt-like text to stdout.
      expect(captured.stdout.join("\n")).toMatch(/message="chatty is up"/)
      expect(captured.stderr).toEqual([])
    }))

  it.scoped("a BigInt in a logged value or in a failure fails nothing, and the failure is reported in full", () =>
    Effect.gen(function*() {
      const captured = captureConsole()
      // Effect's JSON logger throws on a BigInt; the line used to fail the hook that logged it,
      // and a failed hook whose error held one lost its report.
      const Logs = HostedService.make("Logs", { start: Effect.logInfo({ event: "order processed", orderId: 9007199254740993n }) })
      const Orders = HostedService.make("Orders", { start: Effect.fail({ _tag: "OrderError", orderId: 5n }) })
      const host = yield* withDefaultLogger(TestHost.start([Logs, Orders], { configuration: isolated() })).pipe(
        Effect.withConsole(captured.console)
      )
      const exit = yield* host.exit
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(HostError.HostStartError)
      expect(error instanceof HostError.HostStartError ? error.failures.map((f) => [f.service, f.phase]) : []).toEqual([["Orders", "start"]])
      // The error's message renders the cause too (Cause.pretty threw on it).
      expect(error?.message).toMatch(/Orders \(start\): .*OrderError.*orderId/)
      expect(captured.stdout.join("\n")).toContain("\"orderId\":\"9007199254740993\"")
      const failed = captured.stderr.find((l) => l.includes("Hosted service Orders failed in start"))
      expect(failed).toBeDefined()
      expect(failed).toContain("OrderError")
    }))

  it.scoped("a logger the program put in place of the default one is kept", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const mine = Logger.make(({ message }) => void lines.push(String(message)))
      const host = yield* TestHost.start([Chatty], { configuration: isolated() }).pipe(
        Effect.locallyWith(FiberRef.currentLoggers, HashSet.add(mine))
      )
      yield* host.started
      yield* host.stop
      expect(lines).toContain("chatty is up")
    }))
})
