/**
 * effect-host's provider is a value of its own: it implements Effect's public `ConfigProvider`
 * interface and carries its configuration under a TypeId. These tests pin what the rest of the
 * library relies on: the provider Effect hands back after `withConfigProvider` /
 * `Layer.setConfigProvider` is still ours, so `HostConfiguration.info` and the debug view know
 * their sources.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Option } from "effect"
import { HostConfiguration } from "effect-host"
import * as Provider from "../../src/internal/config/provider.js"
import { isolated } from "./util.js"

describe("the layered provider as a value", () => {
  it.effect("carries its configuration under its TypeId, on itself and on its flat form", () =>
    Effect.gen(function*() {
      const provider = yield* HostConfiguration.make(isolated({ environmentName: "Staging" }))
      expect(Provider.TypeId in provider).toBe(true)
      expect(Provider.configurationOf(provider)?.environmentName).toBe("Staging")
      expect(HostConfiguration.isHostConfiguration(provider)).toBe(true)
      // A provider Effect rebuilds from the flat form is still recognized.
      expect(HostConfiguration.isHostConfiguration(ConfigProvider.fromFlat(provider.flattened))).toBe(true)
      expect(HostConfiguration.isHostConfiguration(ConfigProvider.fromMap(new Map()))).toBe(false)
    }))

  it.effect("two providers are independent values (no shared registry)", () =>
    Effect.gen(function*() {
      const a = yield* HostConfiguration.make(isolated({ environmentName: "A" }))
      const b = yield* HostConfiguration.make(isolated({ environmentName: "B" }))
      expect([Provider.configurationOf(a)?.environmentName, Provider.configurationOf(b)?.environmentName]).toEqual(["A", "B"])
    }))

  it.effect("Effect.withConfigProvider and Layer.setConfigProvider keep it recognizable (HostConfiguration.info)", () =>
    Effect.gen(function*() {
      const provider = yield* HostConfiguration.make(isolated({ environmentName: "Staging" }))
      const viaEffect = yield* Effect.withConfigProvider(HostConfiguration.info, provider)
      const viaLayer = yield* HostConfiguration.info.pipe(Effect.provide(Layer.setConfigProvider(provider)))
      const viaWith = yield* Effect.withConfigProvider(Effect.configProviderWith((p) => Effect.succeed(p)), provider)
      expect(Option.map(viaEffect, (i) => i.environmentName)).toEqual(Option.some("Staging"))
      expect(Option.map(viaLayer, (i) => i.environmentName)).toEqual(Option.some("Staging"))
      expect(viaWith).toBe(provider)
      expect(yield* Effect.withConfigProvider(HostConfiguration.info, ConfigProvider.fromMap(new Map()))).toEqual(Option.none())
    }))

  it.effect("it is a complete ConfigProvider: load, pipe, and Effect's combinators over it", () =>
    Effect.gen(function*() {
      const provider = yield* HostConfiguration.make(isolated({ values: { Db: { Host: "h" }, Other: { Host: "o" } } }))
      expect(yield* provider.load(Config.string("Db:Host"))).toBe("h")
      const nested = provider.pipe(ConfigProvider.nested("Db"))
      expect(yield* nested.load(Config.string("Host"))).toBe("h")
      const fallback = ConfigProvider.fromMap(new Map([["Only", "map"]])).pipe(ConfigProvider.orElse(() => provider))
      expect(yield* fallback.load(Config.all([Config.string("Only"), Config.string("Other:Host")]))).toEqual(["map", "o"])
    }))
})
