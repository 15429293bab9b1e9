/**
 * `HostEnvironment`: defaults (Production, cwd, package.json name), configuration keys, NODE_ENV,
 * and code overrides; and the host providing it.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { Host, HostedService, HostEnvironment } from "effect-host"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const withConfig = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

describe("HostEnvironment", () => {
  it.effect("defaults: Production, the current directory, the package.json name", () =>
    Effect.gen(function*() {
      const env = yield* HostEnvironment.resolve().pipe(withConfig({}))
      expect(env.environmentName).toBe("Production")
      expect(env.isProduction).toBe(true)
      expect(env.isDevelopment).toBe(false)
      expect(env.contentRootPath).toBe(process.cwd())
      const pkg = JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { name: string }
      expect(env.applicationName).toBe(pkg.name)
    }))

  it.effect("NODE_ENV sets the name (normalized to the well-known spelling); the environment key wins over it", () =>
    Effect.gen(function*() {
      const dev = yield* HostEnvironment.resolve().pipe(withConfig({ NODE_ENV: "development" }))
      expect(dev.environmentName).toBe("Development")
      expect(dev.isDevelopment).toBe(true)
      const staging = yield* HostEnvironment.resolve().pipe(withConfig({ NODE_ENV: "development", environment: "Staging" }))
      expect(staging.environmentName).toBe("Staging")
      expect(staging.isStaging).toBe(true)
    }))

  it.effect("configuration keys applicationName and contentRoot; code wins over all of them", () =>
    Effect.gen(function*() {
      const config = withConfig({ environment: "Staging", applicationName: "from-config", contentRoot: "/srv/app" })
      const fromConfig = yield* HostEnvironment.resolve().pipe(config)
      expect(fromConfig).toMatchObject({ applicationName: "from-config", contentRootPath: path.resolve("/srv/app") })
      const fromCode = yield* HostEnvironment.resolve({
        applicationName: "from-code",
        environmentName: "QA",
        contentRootPath: "/opt/app"
      }).pipe(config)
      expect(fromCode).toMatchObject({ applicationName: "from-code", environmentName: "QA", contentRootPath: path.resolve("/opt/app") })
      expect(fromCode.isEnvironment("qa")).toBe(true)
      expect(fromCode.isProduction || fromCode.isStaging || fromCode.isDevelopment).toBe(false)
    }))

  it.effect("without a package.json in the content root, the name is the entry file's", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-env-"))
      try {
        const env = yield* HostEnvironment.resolve({ contentRootPath: dir }).pipe(withConfig({}))
        const entry = process.argv[1]
        expect(env.applicationName).toBe(entry ? path.basename(entry, path.extname(entry)) : "app")
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("the host provides the environment set in code (Host options) to services and the program", () =>
    Effect.gen(function*() {
      const env = yield* HostEnvironment.pipe(
        Effect.provide(Host.make([HostedService.make("A", {})], { environment: { environmentName: "Development", applicationName: "shop" } })),
        withConfig({ environment: "Staging" })
      )
      expect(env).toMatchObject({ environmentName: "Development", applicationName: "shop", isDevelopment: true })
    }))

  it.effect("HostEnvironment.layer and HostEnvironment.make", () =>
    Effect.gen(function*() {
      const env = yield* HostEnvironment.pipe(Effect.provide(HostEnvironment.layer({ environmentName: "Staging" })), withConfig({}))
      expect(env.isStaging).toBe(true)
      const made = HostEnvironment.make({ applicationName: "a", environmentName: "production", contentRootPath: "/x" })
      expect(made.isProduction).toBe(true)
    }))
})
