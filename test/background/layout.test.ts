/**
 * CONTRIBUTING's layout rule for the background-work area (BackgroundService, ScheduledService,
 * BackgroundTaskQueue): internal modules import only types from public modules, public modules
 * hold no implementation, and no value is patched or kept in a global registry. Read from the
 * sources, so a violation fails here even before a lint rule does.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")

const internalFiles = fs.readdirSync(path.join(root, "src/internal/background")).map((f) => `src/internal/background/${f}`)
const publicFiles = ["src/BackgroundService.ts", "src/BackgroundTaskQueue.ts", "src/ScheduledService.ts"]

/** `[statement, specifier]` for every static import in `text`. */
const imports = (text: string): Array<readonly [string, string]> =>
  [...text.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => [m[0], m[1] as string] as const)

/** Whether `specifier`, imported from `file`, is a public module (`src/<Module>.ts`). */
const isPublic = (file: string, specifier: string): boolean => {
  if (!specifier.startsWith(".")) return false
  const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier))
  return path.dirname(target) === "src"
}

const valueImportsOfPublicModules = (file: string, text: string) =>
  imports(text)
    .filter(([statement, specifier]) => isPublic(file, specifier) && !/^import\s+type\s/.test(statement))
    .map(([statement]) => `${file}: ${statement}`)

/**
 * The one exception, until the configuration area defines `ConfigurationError` under
 * src/internal/config/ (its class is only in the public module on this branch): invalid options
 * must fail with the very class the host collects.
 */
const allowed = ["src/internal/background/options.ts: import { ConfigurationError } from \"../../ConfigurationError.js\""]

describe("layout (background work)", () => {
  it("internal background modules import only types from public modules", () => {
    const offending = internalFiles.flatMap((file) => valueImportsOfPublicModules(file, read(file)))
    expect(offending.filter((line) => !allowed.includes(line))).toEqual([])
  })

  it("the check itself sees a value import of a public module", () => {
    const sample = `import { x } from "../../ScheduledService.js"\nimport type { y } from "../../BackgroundService.js"\n`
    expect(valueImportsOfPublicModules("src/internal/background/a.ts", sample)).toEqual([
      "src/internal/background/a.ts: import { x } from \"../../ScheduledService.js\""
    ])
  })

  it("public modules delegate: no generators, registries or patched values", () => {
    const offending = publicFiles.flatMap((file) =>
      [/Effect\.gen\(/, /Effect\.suspend\(/, /globalValue\(/, /Object\.assign\(/, /new WeakMap|new WeakSet/, /Object\.defineProperty\(/, /register\(/]
        .filter((pattern) => pattern.test(withoutComments(read(file))))
        .map((pattern) => `${file}: ${pattern}`)
    )
    expect(offending).toEqual([])
  })

  it("the internals keep no global registries and patch no values", () => {
    const offending = internalFiles.flatMap((file) =>
      [/new WeakMap|new WeakSet/, /Object\.assign\(/, /Object\.defineProperty\(/]
        .filter((pattern) => pattern.test(withoutComments(read(file))))
        .map((pattern) => `${file}: ${pattern}`)
    )
    expect(offending).toEqual([])
  })
})
