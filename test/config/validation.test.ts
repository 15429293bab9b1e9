/**
 * Invalid values are configuration errors, all reported together, each naming the key or option
 * and its source, before any hosted service starts (the host fails with a `ConfigurationError`,
 * which the runner maps to exit code 78): options given in code, host keys (including
 * `suppressStatusMessages`), command-line switches without a value, the environment name, the
 * content root and the Logging keys.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Config, Duration, Effect, Exit, Option, Schema } from "effect"
import { ConfigurationError, HostConfiguration, HostedService, HostLogger, HostOptions, Settings } from "effect-host"
import { TestHost } from "effect-host/testing"
import type { Host } from "effect-host"
import * as path from "node:path"
import * as HostSetup from "../../src/internal/config/hostSetup.js"
import { contentRoot, isolated, withConfig } from "./util.js"

const failureOf = <E>(exit: Exit.Exit<void, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

/** Runs a host with one recording service; returns its failure and whether any hook ran. */
const hostWith = (options: Host.Options) =>
  Effect.gen(function*() {
    const trace: Array<string> = []
    const service = HostedService.make("A", {
      starting: Effect.sync(() => void trace.push("A.starting")),
      start: Effect.sync(() => void trace.push("A.start"))
    })
    const host = yield* TestHost.start([service], { configuration: isolated(), ...options })
    const exit = yield* Effect.race(host.exit, Effect.zipRight(host.started, host.stop))
    return { error: failureOf(exit), trace }
  })

const issuesOf = (error: unknown) => {
  expect(error).toBeInstanceOf(ConfigurationError)
  return (error as ConfigurationError).issues
}

describe("HostOptions given in code", () => {
  const codeOption = { _tag: "Option" }

  it.scoped("a negative shutdownTimeout fails the host before any hook, naming the option and its source", () =>
    Effect.gen(function*() {
      const { error, trace } = yield* hostWith({ shutdownTimeout: -1000 })
      expect(issuesOf(error)).toEqual([{ key: "shutdownTimeout", message: expect.stringContaining("actual -1000"), source: codeOption }])
      expect((error as ConfigurationError).message).toContain("shutdownTimeout: Expected a duration >= 0")
      expect((error as ConfigurationError).message).toContain("(from option given in code)")
      expect(trace).toEqual([])
    }))

  it.effect("NaN, an unparsable string, a negative string, an infinite shutdownTimeout are each named", () =>
    Effect.gen(function*() {
      for (const [input, expected] of [
        [Number.NaN, "actual NaN"],
        ["soon", "actual \"soon\""],
        ["-5 seconds", "Expected a duration >= 0"],
        [Number.POSITIVE_INFINITY, "Expected a finite duration"],
        [Duration.infinity, "Expected a finite duration"]
      ] as const) {
        // Strings outside DurationInput's template reach the host from JavaScript callers.
        const error = yield* Effect.flip(withConfig({}, HostOptions.resolve({ shutdownTimeout: input as Duration.DurationInput })))
        expect(error.issues).toEqual([{ key: "shutdownTimeout", message: expect.stringContaining(expected), source: codeOption }])
      }
    }))

  it.effect("startupTimeout: negative is an error, Infinity means no deadline, valid values are kept", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(withConfig({}, HostOptions.resolve({ startupTimeout: -1 })))
      expect(error.keys).toEqual(["startupTimeout"])
      const infinite = yield* withConfig({}, HostOptions.resolve({ startupTimeout: Number.POSITIVE_INFINITY }))
      expect(Option.isNone(infinite.startupTimeout)).toBe(true)
      const valid = yield* withConfig({}, HostOptions.resolve({ startupTimeout: "2 seconds", shutdownTimeout: 0 }))
      expect(Option.map(valid.startupTimeout, Duration.toMillis)).toEqual(Option.some(2000))
      expect(Duration.toMillis(valid.shutdownTimeout)).toBe(0)
    }))

  it.effect("every invalid option and key is reported together (code and configuration)", () =>
    withConfig(
      { env: { startupTimeoutSeconds: "NaN", servicesStopConcurrently: "often" } },
      Effect.flip(HostOptions.resolve({
        shutdownTimeout: -1,
        // A JavaScript caller is not stopped by the types.
        servicesStartConcurrently: "yes" as unknown as boolean,
        backgroundServiceExceptionBehavior: "Explode" as unknown as "StopHost"
      }))
    ).pipe(Effect.map((error) => {
      expect(error.keys).toEqual([
        "shutdownTimeout",
        "servicesStartConcurrently",
        "backgroundServiceExceptionBehavior",
        "startupTimeoutSeconds",
        "servicesStopConcurrently"
      ])
      expect(error.issues[3]?.source).toEqual({ _tag: "Env", name: "startupTimeoutSeconds" })
    })))
})

describe("HostOptions from configuration", () => {
  for (
    const [value, what] of [
      ["-1", "negative"],
      ["NaN", "NaN"],
      ["Infinity", "infinite"],
      ["", "empty: not 0"],
      ["0x2", "hexadecimal"],
      ["1e400", "beyond a double"]
    ] as const
  ) {
    it.scoped(`shutdownTimeoutSeconds=${value} (${what}) fails the host, naming the key and its source`, () =>
      Effect.gen(function*() {
        const { error, trace } = yield* hostWith({ configuration: isolated({ args: [`--shutdownTimeoutSeconds=${value}`] }) })
        expect(issuesOf(error)).toEqual([{
          key: "shutdownTimeoutSeconds",
          message: expect.any(String),
          source: { _tag: "CommandLine", arg: "--shutdownTimeoutSeconds" }
        }])
        expect(trace).toEqual([])
      }))
  }

  it.scoped("the message names the value it rejected", () =>
    Effect.gen(function*() {
      const { error } = yield* hostWith({ configuration: isolated({ args: ["--shutdownTimeoutSeconds=-1"] }) })
      expect(issuesOf(error).map((issue) => issue.message)).toEqual([
        "Expected a number of seconds >= 0 and at most 2147483 seconds (24.8 days, the longest timer Node.js has), actual -1"
      ])
    }))

  it.scoped("a host key given as a section is reported, naming the key set below it and its source (it was ignored)", () =>
    Effect.gen(function*() {
      const dir = contentRoot({ "appsettings.json": { shutdownTimeoutSeconds: { Value: 2 }, servicesStopConcurrently: [true] } })
      const { error, trace } = yield* hostWith({
        configuration: isolated({
          contentRoot: dir,
          env: { SUPPRESSSTATUSMESSAGES__A: "maybe" },
          args: ["--startupTimeoutSeconds:0=5"]
        })
      })
      expect(issuesOf(error).map((issue) => [issue.key, issue.message, issue.source?._tag])).toEqual([
        ["shutdownTimeoutSeconds", "Expected a value, found a section (shutdownTimeoutSeconds:Value is set)", "File"],
        ["startupTimeoutSeconds", "Expected a value, found a section (startupTimeoutSeconds:0 is set)", "CommandLine"],
        ["servicesStopConcurrently", "Expected a value, found a section (servicesStopConcurrently:0 is set)", "File"],
        ["suppressStatusMessages", "Expected a value, found a section (SUPPRESSSTATUSMESSAGES:A is set)", "Env"]
      ])
      expect(trace).toEqual([])
    }))

  it.scoped("a timeout longer than a timer can wait (2^31 - 1 ms) is refused, from configuration and from code", () =>
    Effect.gen(function*() {
      // 30 days: Node ends a longer timer at once (the watchdog fired on the first signal),
      // Effect's clock never (the stop had no deadline).
      const fromConfig = yield* hostWith({ configuration: isolated({ args: ["--shutdownTimeoutSeconds=2592000"] }) })
      expect(issuesOf(fromConfig.error).map((issue) => [issue.key, issue.message])).toEqual([[
        "shutdownTimeoutSeconds",
        "Expected a number of seconds >= 0 and at most 2147483 seconds (24.8 days, the longest timer Node.js has), actual 2592000"
      ]])
      const fromCode = yield* hostWith({ shutdownTimeout: "30 days", startupTimeout: "25 days", configuration: isolated() })
      expect(issuesOf(fromCode.error).map((issue) => issue.key)).toEqual(["shutdownTimeout", "startupTimeout"])
      expect(issuesOf(fromCode.error)[0]?.message).toContain("at most 2147483 seconds")
      // The longest one allowed is accepted, and Infinity still means no start deadline.
      const host = yield* TestHost.start([HostedService.make("A", {})], {
        shutdownTimeout: 2 ** 31 - 1,
        startupTimeout: Infinity,
        configuration: isolated()
      })
      yield* host.started
      expect(Exit.isSuccess(yield* host.stop)).toBe(true)
    }))

  it.scoped("a decimal number of seconds, with a fraction or an exponent, and spaces around it", () =>
    Effect.gen(function*() {
      for (const [value, millis] of [["1.5", 1500], [" 2 ", 2000], ["2.5e1", 25000], [".25", 250]] as const) {
        const options = yield* Effect.scoped(HostSetup.prepare({ configuration: isolated({ args: [`--shutdownTimeoutSeconds=${value}`] }), logger: false }))
        expect(Duration.toMillis(options.options.shutdownTimeout)).toBe(millis)
      }
    }))
})

describe("suppressStatusMessages is a host key", () => {
  const setupOf = (args: ReadonlyArray<string>) => Effect.scoped(HostSetup.prepare({ configuration: isolated({ args }), logger: false }))

  it.effect("read with the other host keys and exposed in the setup", () =>
    Effect.gen(function*() {
      expect((yield* setupOf(["--suppressStatusMessages=True"])).suppressStatusMessages).toEqual(Option.some(true))
      expect((yield* setupOf(["--SUPPRESSSTATUSMESSAGES", "false"])).suppressStatusMessages).toEqual(Option.some(false))
      expect((yield* setupOf([])).suppressStatusMessages).toEqual(Option.none())
    }))

  it.effect("an invalid value is a configuration error of the setup, together with the others", () =>
    Effect.gen(function*() {
      const setup = yield* setupOf(["--suppressStatusMessages=maybe", "--shutdownTimeoutSeconds=-3"])
      expect(setup.suppressStatusMessages).toEqual(Option.none())
      expect(setup.error?.keys).toEqual(["shutdownTimeoutSeconds", "suppressStatusMessages"])
      expect(setup.error?.message).toContain("(from command line --suppressStatusMessages)")
    }))

  it.scoped("and fails the host before any service starts", () =>
    Effect.gen(function*() {
      const { error, trace } = yield* hostWith({ configuration: isolated({ env: { SUPPRESSSTATUSMESSAGES: "maybe" } }) })
      expect(issuesOf(error).map((i) => [i.key, i.source])).toEqual([["suppressStatusMessages", { _tag: "Env", name: "SUPPRESSSTATUSMESSAGES" }]])
      expect(trace).toEqual([])
    }))
})

describe("a command-line switch without a value", () => {
  it.effect("a bare trailing --environment is a configuration error naming the switch", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ args: ["--Http:Port=80", "--environment"] })))
      expect(error.issues).toEqual([{
        key: "environment",
        message: "the switch was given without a value; write --environment=<value> or --environment <value>",
        source: { _tag: "CommandLine", arg: "--environment" }
      }])
    }))

  it.effect("so is --contentRoot followed by another switch", () =>
    Effect.flip(HostConfiguration.make(isolated({ contentRoot: undefined, args: ["--contentRoot", "--Http:Port=80"] }))).pipe(
      Effect.map((error) => expect(error.keys).toEqual(["contentRoot"]))
    ))

  it.scoped("it fails the host (exit 78 through the runner) before any hook", () =>
    Effect.gen(function*() {
      const { error, trace } = yield* hostWith({ configuration: isolated({ args: ["--environment"] }) })
      expect((error as ConfigurationError).message).toContain("environment: the switch was given without a value")
      expect(trace).toEqual([])
    }))

  it.effect("any key read through Config or Settings; a switch nobody reads is harmless", () =>
    Effect.gen(function*() {
      const options = { args: ["--Db:Host=h", "--Db:Port", "--verbose"] }
      const config = yield* withConfig(options, Effect.flip(Config.integer("Db:Port")))
      expect(config.message).toContain("--Db:Port=<value>")
      const settings = yield* withConfig(options, Effect.flip(Settings.section("Db", Schema.Struct({ Host: Schema.String, Port: Schema.String }))))
      expect(settings.issues).toEqual([{
        key: "Db:Port",
        message: "the switch was given without a value; write --Db:Port=<value> or --Db:Port <value>",
        source: { _tag: "CommandLine", arg: "--Db:Port" }
      }])
      expect(yield* withConfig(options, Config.string("Db:Host"))).toBe("h")
    }))
})

describe("environment and content root", () => {
  it.effect("an environment name that is a path is refused, from any source", () =>
    Effect.gen(function*() {
      const fromArgs = yield* Effect.flip(HostConfiguration.make(isolated({ args: ["--environment=../secrets"] })))
      expect(fromArgs.issues).toEqual([{ key: "environment", message: expect.stringContaining("not a path"), source: { _tag: "CommandLine", arg: "--environment" } }])
      const fromEnv = yield* Effect.flip(HostConfiguration.make(isolated({ env: { NODE_ENV: "a/b" } })))
      expect(fromEnv.issues[0]?.source).toEqual({ _tag: "Env", name: "NODE_ENV" })
    }))

  it.effect("a content root that does not exist is refused, naming its source", () =>
    Effect.gen(function*() {
      const missing = path.join(contentRoot(), "no-such-dir")
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ contentRoot: undefined, env: { EFFECT_HOST_CONTENTROOT: missing } })))
      expect(error.issues).toEqual([{ key: "contentRoot", message: expect.stringContaining(missing), source: { _tag: "Env", name: "EFFECT_HOST_CONTENTROOT" } }])
    }))

  it.scoped("blank names given in code are errors of the option, not silently ignored", () =>
    Effect.gen(function*() {
      const { error, trace } = yield* hostWith({ environment: { environmentName: " ", applicationName: "" } })
      expect(issuesOf(error).map((i) => [i.key, i.source])).toEqual([
        ["environment.environmentName", { _tag: "Option" }],
        ["environment.applicationName", { _tag: "Option" }]
      ])
      expect(trace).toEqual([])
      const configuration = yield* Effect.flip(HostConfiguration.make(isolated({ environmentName: "" })))
      expect(configuration.keys).toEqual(["environmentName"])
    }))
})

describe("Logging keys", () => {
  it.effect("a level given for the whole LogLevel section is reported, not ignored", () =>
    withConfig({ env: { LOGGING__LOGLEVEL: "Debug" } }, Effect.flip(HostLogger.settings)).pipe(
      Effect.map((error) => {
        expect(error.keys).toEqual(["Logging:LogLevel"])
        expect(error.message).toContain("Logging:LogLevel:Default")
        expect(error.issues[0]?.source).toEqual({ _tag: "Env", name: "LOGGING__LOGLEVEL" })
      })
    ))

  it.effect("a switch without a value under Logging is named", () =>
    withConfig({ args: ["--Logging:Format"] }, Effect.flip(HostLogger.settings)).pipe(
      Effect.map((error) => expect(error.issues.map((i) => i.key)).toEqual(["Logging:Format"]))
    ))
})
