/**
 * CONTRIBUTING's layout rule for the configuration area: internal modules import only types from
 * public modules, public modules hold no implementation, and no value is patched or kept in a
 * global registry. Read from the sources, so a violation fails here even before a lint rule does.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")

const internalFiles = [
  ...fs.readdirSync(path.join(root, "src/internal/config")).map((f) => `src/internal/config/${f}`),
  "src/internal/node/logger.ts"
]
const publicFiles = [
  "src/ConfigurationError.ts",
  "src/HostConfiguration.ts",
  "src/HostEnvironment.ts",
  "src/HostLogger.ts",
  "src/HostOptions.ts",
  "src/Settings.ts"
]

/** `[statement, specifier]` for every static import in `text`. */
const imports = (text: string): Array<readonly [string, string]> =>
  [...text.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => [m[0], m[1] as string] as const)

/** Whether `specifier`, imported from `file`, is a public module (`src/<Module>.ts`). */
const isPublic = (file: string, specifier: string): boolean => {
  if (!specifier.startsWith(".")) return false
  const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier))
  return path.dirname(target) === "src"
}

describe("layout", () => {
  it("internal configuration modules import only types from public modules", () => {
    const offending = internalFiles.flatMap((file) =>
      imports(read(file))
        .filter(([statement, specifier]) => isPublic(file, specifier) && !/^import\s+type\s/.test(statement))
        .map(([statement]) => `${file}: ${statement}`)
    )
    expect(offending).toEqual([])
  })

  it("the layout check itself sees a value import of a public module", () => {
    const sample = `import { x } from "../../HostLogger.js"\nimport type { y } from "../../HostOptions.js"\n`
    const values = imports(sample).filter(([s, spec]) => isPublic("src/internal/config/a.ts", spec) && !/^import\s+type\s/.test(s))
    expect(values.map(([, spec]) => spec)).toEqual(["../../HostLogger.js"])
  })

  it("public modules delegate: no generators, registries or patched values", () => {
    const offending = publicFiles.flatMap((file) => {
      // Without comments: the JSDoc examples are code too, but not the module's.
      const text = read(file).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
      return [/Effect\.gen\(/, /globalValue\(/, /Object\.assign\(/, /new WeakMap|new WeakSet/, /Object\.defineProperty\(/]
        .filter((pattern) => pattern.test(text))
        .map((pattern) => `${file}: ${pattern}`)
    })
    expect(offending).toEqual([])
  })

  it("the configuration internals keep no global registries and patch no values", () => {
    const offending = internalFiles.flatMap((file) => {
      const text = read(file).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
      return [/new WeakMap|new WeakSet/, /Object\.assign\(/, /Object\.defineProperty\(/]
        .filter((pattern) => pattern.test(text))
        .map((pattern) => `${file}: ${pattern}`)
    })
    expect(offending).toEqual([])
  })

  it("engine plumbing is not part of the public API", async () => {
    const HostLogger = await import("../../src/HostLogger.js")
    const HostConfiguration = await import("../../src/HostConfiguration.js")
    for (const name of ["levelFor", "install", "lowestLevel", "standIn", "formatFor"]) expect(HostLogger).not.toHaveProperty(name)
    expect(HostConfiguration).not.toHaveProperty("isEffectDefault")
  })
})
