/**
 * The runner's fallback when the configuration itself is broken (a malformed appsettings.json
 * fails the host before it installs its logger): the host's log format and levels decided from
 * what is known without the files, so the failure is reported as the host would have logged it
 * (one JSON line in Production), and a file error's message has one line per issue.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, FiberRef, HashSet } from "effect"
import { ConfigurationError, HostConfiguration } from "effect-host"
import * as path from "node:path"
import * as Fallback from "../../src/internal/config/fallback.js"
import * as LoggerInternal from "../../src/internal/config/logger.js"
import { captureConsole, contentRoot, isolated } from "./util.js"

describe("what the fallback decides", () => {
  const decide = (input: Fallback.FallbackInput) => {
    const fallback = Fallback.resolve({ env: {}, args: [], ...input })
    return [fallback.environmentName, fallback.format, fallback.settings.minimumLevel._tag, fallback.settings.output]
  }

  it("Production and JSON when nothing says otherwise", () => {
    expect(decide({})).toEqual(["Production", "json", "Info", "split"])
  })

  it("the environment name as the host resolves it: Development is pretty", () => {
    expect(decide({ env: { NODE_ENV: "development" } })).toEqual(["Development", "pretty", "Info", "split"])
    expect(decide({ env: { NODE_ENV: "development", ENVIRONMENT: "Staging" } })[0]).toBe("Staging")
    expect(decide({ env: { EFFECT_HOST_ENVIRONMENT: "Staging" }, args: ["--environment", "Development"] })[1]).toBe("pretty")
    expect(decide({ options: { environment: { environmentName: "Development" } }, args: ["--environment=Production"] })[1]).toBe("pretty")
    expect(decide({ options: { configuration: { values: { environment: "Development" } } } })[1]).toBe("pretty")
  })

  it("Logging keys from the environment, the command line and values in code", () => {
    expect(decide({ env: { NODE_ENV: "development", Logging__Format: "json" } })[1]).toBe("json")
    expect(decide({ args: ["--Logging:Format", "logfmt", "--Logging:LogLevel:Default=Error", "--Logging:Output=stderr"] })).toEqual([
      "Production",
      "logfmt",
      "Error",
      "stderr"
    ])
    expect(decide({ options: { configuration: { values: { Logging: { LogLevel: { Default: "Debug" } } } } } })[2]).toBe("Debug")
  })

  it("the configuration's own env and args replace the process's, as for the host", () => {
    expect(decide({ env: { NODE_ENV: "development" }, options: { configuration: { env: false } } })[1]).toBe("json")
    expect(decide({ options: { configuration: { args: ["--environment=Development"] } } })[1]).toBe("pretty")
  })

  it("never the files: a broken file is what it reports", () => {
    const dir = contentRoot({ "appsettings.json": "{ \"Logging\": { \"Format\": \"pretty\" }", "appsettings.Production.json": { Logging: { Format: "pretty" } } })
    expect(decide({ options: { configuration: { contentRoot: dir } } })[1]).toBe("json")
  })

  it("an invalid value keeps its default instead of failing", () => {
    expect(decide({ env: { LOGGING__FORMAT: "xml", LOGGING__LOGLEVEL__DEFAULT: "Warning" } })).toEqual(["Production", "json", "Warning", "split"])
    expect(decide({ args: ["--Logging:Format"] })[1]).toBe("json")
  })
})

describe("a configuration failure reported with the fallback logger", () => {
  const brokenFileError = Effect.gen(function*() {
    const dir = contentRoot({ "appsettings.json": "{\n  \"A\": 1,\n  \"B\" 2\n}", "appsettings.Production.json": "[1," })
    const error = yield* Effect.flip(HostConfiguration.make(isolated({ contentRoot: dir })))
    return { dir, error }
  })

  it.effect("in Production: one JSON line on stderr, the issues (file:line:column) in it", () =>
    Effect.gen(function*() {
      const { dir, error } = yield* brokenFileError
      const captured = captureConsole()
      const logger = Fallback.fallbackLogger({ env: {}, args: [] })
      yield* Effect.logError("The configuration is invalid (exit code 78)", Cause.fail(error)).pipe(
        Effect.locallyWith(FiberRef.currentLoggers, () => HashSet.make(logger)),
        Effect.withConsole(captured.console)
      )
      expect(captured.stdout).toEqual([])
      expect(captured.stderr).toHaveLength(1)
      const line = JSON.parse(captured.stderr[0] as string) as { message: string; cause: string; logLevel: string }
      expect(line).toMatchObject({ message: "The configuration is invalid (exit code 78)", logLevel: "ERROR" })
      expect(line.cause).toContain(`${path.join(dir, "appsettings.json")}:3:7`)
      expect(line.cause).toContain(`${path.join(dir, "appsettings.Production.json")}:1:4`)
    }))

  it.effect("the error's message has exactly one line per issue", () =>
    Effect.gen(function*() {
      const { error } = yield* brokenFileError
      const lines = error.message.split("\n")
      expect(lines).toHaveLength(1 + error.issues.length)
      expect(lines.slice(1).every((l) => l.startsWith("  - ") && /:\d+:\d+: invalid JSON/.test(l))).toBe(true)
      const multiLine = new ConfigurationError({ issues: [{ key: "Db", message: "first line\nsecond line\r\n  third", source: { _tag: "Code" } }] })
      expect(multiLine.message.split("\n")).toEqual(["Invalid configuration (1 problem):", "  - Db: first line second line third (from code)"])
    }))

  it.effect("in Development: Effect's pretty logger", () =>
    Effect.gen(function*() {
      const captured = captureConsole()
      const logger = Fallback.fallbackLogger({ env: { NODE_ENV: "Development" }, args: [] })
      yield* Effect.logError("broken").pipe(
        Effect.locallyWith(FiberRef.currentLoggers, () => HashSet.make(logger)),
        Effect.withConsole(captured.console)
      )
      expect(captured.stderr.join("\n")).toMatch(/ERROR .*broken/)
      expect(() => JSON.parse(captured.stderr[0] ?? "")).toThrow()
    }))

  it("the fallback logger is a stand-in: a host that starts replaces it with its own", () => {
    expect(LoggerInternal.isStandIn(Fallback.fallbackLogger({ env: {}, args: [] }))).toBe(true)
  })
})
