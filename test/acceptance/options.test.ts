/**
 * Acceptance, black-box: HostOptions names, defaults and config keys; HostEnvironment from code,
 * configuration and NODE_ENV (DESIGN.md, "HostOptions" and "Environment and configuration").
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import { ApplicationLifetime, BackgroundService, Host, HostedService, HostEnvironment, HostOptions } from "effect-host"

const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow(), { discard: true })
const fromMap = (entries: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(entries)))
const Stopper = HostedService.make("Stopper", { started: ApplicationLifetime.stopApplication })

/** Reads the environment the host provides, through the Tag as a user would. */
const envOf = (options?: Host.Options) =>
  Effect.gen(function*() {
    const env = yield* HostEnvironment
    return env
    // (`Host.make([])` does not type-check in an Effect test, see the report: one no-op service)
  }).pipe(Effect.provide(Host.make([HostedService.make("Noop", {})], options)))

describe("acceptance: HostOptions", () => {
  it("defaults", () => {
    expect(Duration.toMillis(HostOptions.defaults.shutdownTimeout)).toBe(30_000)
    expect(Option.isNone(HostOptions.defaults.startupTimeout)).toBe(true)
    expect(HostOptions.defaults.servicesStartConcurrently).toBe(false)
    expect(HostOptions.defaults.servicesStopConcurrently).toBe(false)
    expect(HostOptions.defaults.backgroundServiceExceptionBehavior).toBe("StopHost")
  })

  it.effect("resolve reads every config key", () =>
    Effect.gen(function*() {
      const resolved = yield* HostOptions.resolve({}).pipe(Effect.withConfigProvider(fromMap({
        shutdownTimeoutSeconds: "7",
        startupTimeoutSeconds: "3",
        servicesStartConcurrently: "true",
        servicesStopConcurrently: "true",
        backgroundServiceExceptionBehavior: "Ignore"
      })))
      expect(Duration.toMillis(resolved.shutdownTimeout)).toBe(7000)
      expect(Option.map(resolved.startupTimeout, Duration.toMillis)).toStrictEqual(Option.some(3000))
      expect(resolved.servicesStartConcurrently).toBe(true)
      expect(resolved.servicesStopConcurrently).toBe(true)
      expect(resolved.backgroundServiceExceptionBehavior).toBe("Ignore")
    }))

  it.effect("code wins over configuration", () =>
    Effect.gen(function*() {
      const resolved = yield* HostOptions.resolve({ shutdownTimeout: "2 seconds", backgroundServiceExceptionBehavior: "StopHost" }).pipe(
        Effect.withConfigProvider(fromMap({ shutdownTimeoutSeconds: "7", backgroundServiceExceptionBehavior: "Ignore" }))
      )
      expect(Duration.toMillis(resolved.shutdownTimeout)).toBe(2000)
      expect(resolved.backgroundServiceExceptionBehavior).toBe("StopHost")
    }))

  it.effect("shutdownTimeoutSeconds from the program's ConfigProvider bounds the host's stop", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Host.launch([HostedService.make("Stuck", { stop: Effect.never }), Stopper]).pipe(
          Effect.withConfigProvider(fromMap({ shutdownTimeoutSeconds: "2" }))
        )
      )
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("ShutdownTimeoutError")
    }))

  it.effect("shutdownTimeoutSeconds via Layer.setConfigProvider", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Host.launch([HostedService.make("Stuck", { stop: Effect.never }), Stopper]).pipe(
          Effect.provide(Layer.setConfigProvider(fromMap({ shutdownTimeoutSeconds: "2" })))
        )
      )
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.effect("shutdownTimeoutSeconds via Host options `configuration: ConfigProvider`", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Host.launch([HostedService.make("Stuck", { stop: Effect.never }), Stopper], {
          configuration: fromMap({ shutdownTimeoutSeconds: "2" })
        })
      )
      yield* settle
      yield* TestClock.adjust("2 seconds")
      expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
    }))

  it.effect("backgroundServiceExceptionBehavior=Ignore from configuration", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Host.launch([BackgroundService.make("Failing", Effect.fail("x"))]).pipe(
          Effect.withConfigProvider(fromMap({ backgroundServiceExceptionBehavior: "Ignore" }))
        )
      )
      yield* settle
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("invalid host option in configuration fails before any service starts", () =>
    Effect.gen(function*() {
      let started = false
      const exit = yield* Effect.exit(
        Host.launch([HostedService.make("A", { start: Effect.sync(() => started = true) }), Stopper]).pipe(
          Effect.withConfigProvider(fromMap({ shutdownTimeoutSeconds: "soon" }))
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(started).toBe(false)
    }))
})

describe("acceptance: HostEnvironment", () => {
  it.effect("default environment name is Production (no NODE_ENV, no key)", () =>
    Effect.gen(function*() {
      const env = yield* envOf().pipe(Effect.withConfigProvider(fromMap({})))
      expect(env.environmentName).toBe("Production")
      expect(env.isDevelopment).toBe(false)
      expect(env.isProduction).toBe(true)
      expect(env.contentRootPath).toBe(process.cwd())
      expect(env.applicationName).toBe("effect-host")
    }))

  it.effect("environment key from configuration: Development", () =>
    Effect.gen(function*() {
      const env = yield* envOf().pipe(Effect.withConfigProvider(fromMap({ environment: "Development" })))
      expect(env.environmentName).toBe("Development")
      expect(env.isDevelopment).toBe(true)
    }))

  it.effect("NODE_ENV=development reads as Development", () =>
    Effect.gen(function*() {
      const env = yield* envOf().pipe(Effect.withConfigProvider(fromMap({ NODE_ENV: "development" })))
      expect(env.environmentName).toBe("Development")
      expect(env.isDevelopment).toBe(true)
    }))

  it.effect("the config key wins over NODE_ENV", () =>
    Effect.gen(function*() {
      const env = yield* envOf().pipe(Effect.withConfigProvider(fromMap({ NODE_ENV: "development", environment: "Staging" })))
      expect(env.environmentName).toBe("Staging")
    }))

  it.effect("code wins: Host option environment.environmentName", () =>
    Effect.gen(function*() {
      const env = yield* envOf({ environment: { environmentName: "Development", applicationName: "my-app" } }).pipe(
        Effect.withConfigProvider(fromMap({ environment: "Staging" }))
      )
      expect(env.environmentName).toBe("Development")
      expect(env.applicationName).toBe("my-app")
    }))

  it.effect("static accessors: HostEnvironment.environmentName / isDevelopment inside a hosted service", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const A = HostedService.make("A", {
        start: Effect.gen(function*() {
          seen.push(yield* HostEnvironment.environmentName)
          seen.push(yield* HostEnvironment.isDevelopment)
          seen.push(yield* HostEnvironment.applicationName)
        })
      })
      yield* Host.launch([A, Stopper], { environment: { environmentName: "Development", applicationName: "app" } })
      expect(seen).toStrictEqual(["Development", true, "app"])
    }))

  it.effect("NODE_ENV from the process environment with the default configuration", () =>
    Effect.gen(function*() {
      const before = process.env["NODE_ENV"]
      process.env["NODE_ENV"] = "Development"
      try {
        const env = yield* envOf()
        expect(env.environmentName).toBe("Development")
      } finally {
        if (before === undefined) delete process.env["NODE_ENV"]
        else process.env["NODE_ENV"] = before
      }
    }))

  it.effect("no NODE_ENV in the process and default configuration: Production", () =>
    Effect.gen(function*() {
      const before = process.env["NODE_ENV"]
      delete process.env["NODE_ENV"]
      try {
        const env = yield* envOf()
        expect(env.environmentName).toBe("Production")
      } finally {
        if (before !== undefined) process.env["NODE_ENV"] = before
      }
    }))
})
