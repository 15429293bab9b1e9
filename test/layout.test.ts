/**
 * CONTRIBUTING's layout rule, read from the sources (the lint rule enforces the import part too;
 * this also covers what no lint rule sees): internal modules import only types from public
 * modules, public modules hold no implementation, and no value is patched or kept in a global
 * registry; engine plumbing is not public API.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")
/** Without comments: the JSDoc examples are code too, but not the module's. */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")

const internalFiles = (fs.readdirSync(path.join(root, "src", "internal"), { recursive: true, encoding: "utf8" }))
  .filter((file) => file.endsWith(".ts"))
  .map((file) => path.join("src", "internal", file))
const entryPoints = new Set(["index.ts", "node.ts", "testing.ts", "http.ts", "cluster.ts", "otel.ts"])
const publicFiles = fs.readdirSync(path.join(root, "src"))
  .filter((file) => file.endsWith(".ts") && !entryPoints.has(file))
  .map((file) => path.join("src", file))

/** `[statement, specifier]` for every static import in `text`. */
const imports = (text: string): Array<readonly [string, string]> =>
  [...text.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => [m[0], m[1] as string] as const)

/** Whether `specifier`, imported from `file`, is a public module or entry point (`src/<x>.ts`). */
const isPublic = (file: string, specifier: string): boolean => {
  if (!specifier.startsWith(".")) return false
  const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier))
  return path.dirname(target) === "src"
}

const valueImportsOfPublicModules = (file: string, text: string) =>
  imports(text)
    .filter(([statement, specifier]) => isPublic(file, specifier) && !/^import\s+type\s/.test(statement))
    .map(([statement]) => `${file}: ${statement}`)

const patterns = (files: ReadonlyArray<string>, forbidden: ReadonlyArray<RegExp>) =>
  files.flatMap((file) =>
    forbidden.filter((pattern) => pattern.test(withoutComments(read(file)))).map((pattern) => `${file}: ${pattern}`)
  )

describe("layout", () => {
  it("internal modules import only types from public modules", () => {
    expect(internalFiles.length).toBeGreaterThan(20)
    expect(internalFiles.flatMap((file) => valueImportsOfPublicModules(file, read(file)))).toEqual([])
  })

  it("the check itself sees a value import of a public module", () => {
    const sample = `import { x } from "../../ScheduledService.js"\nimport type { y } from "../../HostOptions.js"\n`
    expect(valueImportsOfPublicModules("src/internal/background/a.ts", sample)).toEqual([
      "src/internal/background/a.ts: import { x } from \"../../ScheduledService.js\""
    ])
  })

  it("public modules delegate: no generators, registries or patched values", () => {
    expect(publicFiles.length).toBeGreaterThan(15)
    expect(patterns(publicFiles, [
      /Effect\.gen\(/,
      /globalValue\(/,
      /Object\.assign\(/,
      /new WeakMap|new WeakSet/,
      /Object\.defineProperty\(/,
      /register\(/
    ])).toEqual([])
  })

  it("the internals keep no global registries and patch no values", () => {
    expect(patterns(internalFiles, [/new WeakMap|new WeakSet/, /Object\.assign\(/, /Object\.defineProperty\(/])).toEqual([])
  })

  it("engine plumbing is not part of the public API", async () => {
    const HostLogger = await import("../src/HostLogger.js")
    const HostConfiguration = await import("../src/HostConfiguration.js")
    const HostError = await import("../src/HostError.js")
    for (const name of ["levelFor", "install", "lowestLevel", "standIn", "formatFor"]) expect(HostLogger).not.toHaveProperty(name)
    expect(HostConfiguration).not.toHaveProperty("isEffectDefault")
    for (const name of ["startPhases", "stopPhases", "serviceFailure", "emptyStopReport"]) expect(HostError).not.toHaveProperty(name)
  })
})
