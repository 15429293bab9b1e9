/**
 * The host's logger: format by environment (overridable), split output by default (below
 * Warning on stdout, the rest on stderr), levels from
 * `Logging:LogLevel:*` with per-category levels, and secrets never written.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, FiberRef, HashSet, Logger, Redacted, Schema } from "effect"
import type { HostConfiguration } from "effect-host"
import { HostLogger, Settings } from "effect-host"
import * as LoggerInternal from "../../src/internal/config/logger.js"
import { captureConsole, withConfig } from "./util.js"

/** Runs `effect` under the host logger configured from `options`, capturing the console. */
const logged = (
  options: HostConfiguration.Options,
  effect: Effect.Effect<void>,
  environment = { isDevelopment: false }
) =>
  Effect.gen(function*() {
    const captured = captureConsole()
    yield* withConfig(
      options,
      Effect.gen(function*() {
        const settings = yield* HostLogger.settings
        yield* Effect.scoped(Effect.zipRight(LoggerInternal.install(HostLogger.make(settings, environment), settings), effect))
      })
    ).pipe(Effect.withConsole(captured.console))
    return captured
  })

const json = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>

describe("format and output", () => {
  it.effect("Production: one JSON object per line, information on stdout, with annotations", () =>
    Effect.gen(function*() {
      const out = yield* logged({}, Effect.logInfo("hello").pipe(Effect.annotateLogs("service", "Worker")))
      expect(out.stderr).toEqual([])
      expect(out.stdout).toHaveLength(1)
      expect(json(out.stdout[0] as string)).toMatchObject({ message: "hello", logLevel: "INFO", annotations: { service: "Worker" } })
    }))

  it.effect("split by default: below Warning on stdout, Warning and above on stderr", () =>
    Effect.gen(function*() {
      const out = yield* logged(
        {},
        Effect.all([Effect.logInfo("status"), Effect.logWarning("careful"), Effect.logError("broken"), Effect.logFatal("dead")], {
          discard: true
        })
      )
      expect(out.stdout.map((l) => json(l).message)).toEqual(["status"])
      expect(out.stderr.map((l) => json(l).message)).toEqual(["careful", "broken", "dead"])
    }))

  it.effect("Development: human-readable lines on stderr", () =>
    Effect.gen(function*() {
      const out = yield* logged({}, Effect.logWarning("careful"), { isDevelopment: true })
      expect(out.stderr.join("\n")).toMatch(/WARN .*careful/)
      expect(() => JSON.parse(out.stderr[0] as string)).toThrow()
    }))

  it.effect("Logging:Format and Logging:Output override the defaults", () =>
    Effect.gen(function*() {
      const out = yield* logged({ env: { LOGGING__FORMAT: "logfmt", LOGGING__OUTPUT: "stdout" } }, Effect.logInfo("hi"), { isDevelopment: true })
      expect(out.stderr).toEqual([])
      expect(out.stdout.join("\n")).toMatch(/level=INFO .*message=hi/)
    }))
})

describe("levels", () => {
  const all = Effect.all([
    Effect.logDebug("plain debug"),
    Effect.logInfo("plain info"),
    Effect.logWarning("plain warning"),
    Effect.logDebug("worker debug").pipe(Effect.annotateLogs("service", "Worker")),
    Effect.logTrace("worker trace").pipe(Effect.annotateLogs("service", "Worker")),
    Effect.logWarning("db warning").pipe(Effect.annotateLogs("category", "Db")),
    Effect.logError("db error").pipe(Effect.annotateLogs("category", "Db"))
  ], { discard: true })
  const messages = (lines: ReadonlyArray<string>) => lines.map((l) => json(l).message)

  // One stream (Logging:Output=stderr), so that the order across levels is observable.
  it.effect("the default minimum is Information", () =>
    logged({ env: { LOGGING__OUTPUT: "stderr" } }, all).pipe(Effect.map((out) => expect(messages(out.stderr)).toEqual(["plain info", "plain warning", "db warning", "db error"]))))

  it.effect("Logging:LogLevel:Default sets the minimum; a category's level applies to its service or category annotation", () =>
    logged(
      {
        values: { Logging: { LogLevel: { Default: "Warning", worker: "Debug" } } },
        env: { LOGGING__LOGLEVEL__DB: "Error", LOGGING__OUTPUT: "stderr" }
      },
      all
    ).pipe(Effect.map((out) => expect(messages(out.stderr)).toEqual(["plain warning", "worker debug", "db error"]))))

  it.effect("a dotted category on the command line is that category: in a key with ':', a dot is no separator", () =>
    logged(
      { args: ["--Logging:LogLevel:effect-host.Lifetime=Warning", "--Logging.Output=stderr"] },
      Effect.all([Effect.logInfo("status").pipe(Effect.annotateLogs("category", "effect-host.Lifetime")), Effect.logInfo("other")], {
        discard: true
      })
    ).pipe(Effect.map((out) => expect(messages(out.stderr)).toEqual(["other"]))))

  it.effect(".NET and Effect level names are both accepted, any case", () =>
    Effect.forEach(
      [["information", "Info"], ["Critical", "Fatal"], ["TRACE", "Trace"], ["none", "None"], ["warn", "Warning"]] as const,
      ([text, tag]) => Effect.sync(() => expect(HostLogger.parseLevel(text)).toMatchObject({ value: { _tag: tag } }))
    ))

  it.effect("an invalid level is a ConfigurationError naming the key and its source", () =>
    withConfig({ env: { Logging__LogLevel__Worker: "Loud" }, args: ["--Logging:Format=xml"] }, HostLogger.settings).pipe(
      Effect.flip,
      Effect.map((error) => {
        expect(error._tag).toBe("ConfigurationError")
        expect(error.keys).toEqual(["Logging:Format", "Logging:LogLevel:Worker"])
        expect(error.message).toContain("(from env Logging__LogLevel__Worker)")
        expect(error.message).toContain("(from command line --Logging:Format)")
      })
    ))
})

describe("secrets never reach the log", () => {
  const secret = "p@ss-0123456789"
  const Db = Schema.Struct({ Host: Schema.String, Password: Schema.Redacted(Schema.String) })
  const logSecrets = Effect.gen(function*() {
    const db = yield* Settings.section("Db", Db)
    yield* Effect.logInfo("settings", db)
    yield* Effect.logInfo(db.Password)
    yield* Effect.logInfo("with annotation").pipe(Effect.annotateLogs("password", db.Password))
    yield* Effect.logError("failed", db)
  }).pipe(Effect.orDie)

  for (const isDevelopment of [false, true]) {
    it.effect(`${isDevelopment ? "pretty" : "JSON"} logger`, () =>
      Effect.gen(function*() {
        const out = yield* logged({ env: { DB__HOST: "h", DB__PASSWORD: secret } }, logSecrets, { isDevelopment })
        const text = [...out.stdout, ...out.stderr].join("\n")
        expect(text).toContain("<redacted>")
        expect(text).not.toContain(secret)
      }))
  }

  it.effect("Effect's own loggers redact too (the host's logger is not the only line of defence)", () =>
    Effect.gen(function*() {
      const captured = captureConsole()
      yield* Effect.logInfo("token", Redacted.make(secret)).pipe(
        Effect.provide(Logger.json),
        Effect.withConsole(captured.console)
      )
      expect(captured.stdout.join("")).not.toContain(secret)
    }))
})

describe("stand-in loggers", () => {
  it("standIn builds a new, marked logger and leaves the original alone", () => {
    const original = Logger.make(() => {})
    const marked = LoggerInternal.standIn(original)
    expect(marked).not.toBe(original)
    expect(LoggerInternal.isStandIn(marked)).toBe(true)
    expect(LoggerInternal.isStandIn(original)).toBe(false)
    expect(LoggerInternal.isStandIn(Logger.defaultLogger)).toBe(true)
  })

  it.effect("the host's logger takes a stand-in's place; the program's own loggers stay", () =>
    Effect.gen(function*() {
      const standInLines: Array<unknown> = []
      const ownLines: Array<unknown> = []
      const standIn: Logger.Logger<unknown, unknown> = LoggerInternal.standIn(Logger.make(({ message }) => void standInLines.push(message)))
      const own: Logger.Logger<unknown, unknown> = Logger.make(({ message }) => void ownLines.push(message))
      const captured = captureConsole()
      yield* Effect.scoped(Effect.zipRight(
        LoggerInternal.install(HostLogger.make(HostLogger.defaults), HostLogger.defaults, { replaceDefaultOnly: true }),
        Effect.logInfo("hello")
      )).pipe(
        Effect.locallyWith(FiberRef.currentLoggers, HashSet.union(HashSet.make(standIn, own))),
        Effect.withConsole(captured.console)
      )
      expect(standInLines).toEqual([])
      expect(ownLines).toEqual([["hello"]])
      expect(captured.stdout.map((l) => json(l).message)).toEqual(["hello"])
    }))
})

describe("a value the format cannot write never fails what logged it", () => {
  // Effect's jsonLogger throws on a BigInt (JSON.stringify), and Cause.pretty on a failure that
  // is a plain object holding one: the line is written again with the value made writable.
  const order = { event: "order processed", orderId: 9007199254740993n, token: Redacted.make("t0ken-secret") }
  const failure = { _tag: "OrderError", orderId: 5n }

  it.effect("JSON: a BigInt in the message or an annotation is written as its digits", () =>
    Effect.gen(function*() {
      const out = yield* logged({}, Effect.logInfo(order).pipe(Effect.annotateLogs("batch", { size: 12n })))
      expect(out.stdout).toHaveLength(1)
      const line = json(out.stdout[0] as string)
      expect(line).toMatchObject({ message: { event: "order processed", orderId: "9007199254740993" }, annotations: { batch: { size: "12" } } })
      // Made writable, a secret is still redacted.
      expect(out.stdout[0]).not.toContain("t0ken-secret")
    }))

  it.effect("pretty: a message part whose inspect throws is written once, whole, and leaves no console group open", () =>
    Effect.gen(function*() {
      const hostile = { [Symbol.for("nodejs.util.inspect.custom")]: () => { throw new Error("no inspecting me") } }
      const out = yield* logged({}, Effect.zipRight(Effect.logError("first line", hostile), Effect.logError("after")), { isDevelopment: true })
      const text = out.stderr.join("\n")
      expect(text.match(/first line/g)).toHaveLength(1)
      expect(text).toMatch(/after/)
      expect(out.openGroups()).toBe(0)
    }))

  for (const isDevelopment of [false, true]) {
    it.effect(`${isDevelopment ? "pretty" : "JSON"}: a failure holding a BigInt is logged with its message and its value`, () =>
      Effect.gen(function*() {
        const out = yield* logged({}, Effect.logError("Hosted service Orders failed in start", Cause.fail(failure)), { isDevelopment })
        const text = out.stderr.join("\n")
        expect(text).toContain("Hosted service Orders failed in start")
        expect(text).toContain("OrderError")
        expect(text).toMatch(/orderId\\?":\\?"5/)
        // Written once, whole: the pretty logger's console group is closed again.
        expect(text.match(/Hosted service Orders failed in start/g)).toHaveLength(1)
        expect(out.openGroups()).toBe(0)
      }))
  }
})
