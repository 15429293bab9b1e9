/**
 * The core pays nothing for effect-host/cluster: bundled with everything they import (packages
 * included), the entry points `effect-host`, `/node`, `/http` and `/testing` contain no code of
 * @effect/cluster, @effect/rpc, the SQL packages or their drivers, and none of
 * src/internal/cluster — from the sources, and from dist/ when it is built (`npm ci` builds it).
 * The cluster entry, bundled the same way, does (so the check sees what it looks for).
 */
import { build } from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

const forbidden = [
  /node_modules\/@effect\/cluster\//,
  /node_modules\/@effect\/rpc\//,
  /node_modules\/@effect\/sql\//,
  /node_modules\/@effect\/sql-sqlite-node\//,
  /node_modules\/@effect\/sql-pg\//,
  /node_modules\/@effect\/experimental\//,
  /node_modules\/better-sqlite3\//,
  /node_modules\/pg[^/]*\//,
  /(src|dist)\/internal\/cluster\//
]

/** The files (relative to the repository) that bundling `entry` pulls in. */
const inputsOf = async (entry: string): Promise<ReadonlyArray<string>> => {
  const result = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "silent",
    // Native addons and optional drivers cannot be bundled; they are seen as imports instead.
    external: ["*.node", "better-sqlite3", "pg-native"]
  })
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => `node_modules/${i.path}/`))
  return [...Object.keys(result.metafile.inputs), ...imports]
}

const offending = (inputs: ReadonlyArray<string>) => inputs.filter((file) => forbidden.some((pattern) => pattern.test(file)))

describe("the core entry points import nothing of effect-host/cluster", () => {
  for (const entry of ["src/index.ts", "src/node.ts", "src/http.ts", "src/testing.ts"]) {
    it(`${entry} bundles without @effect/cluster, @effect/rpc, the SQL packages or src/internal/cluster`, async () => {
      const inputs = await inputsOf(entry)
      expect(inputs.length).toBeGreaterThan(50)
      expect(offending(inputs)).toEqual([])
    }, 30_000)
  }

  const built = ["dist/index.js", "dist/node.js", "dist/http.js", "dist/testing.js"]
  it.skipIf(!built.every((file) => fs.existsSync(path.join(root, file))))("the built entries in dist/ bundle without them too", async () => {
    for (const entry of built) expect(offending(await inputsOf(entry))).toEqual([])
  }, 60_000)

  it("src/cluster.ts does bundle them (the check can fail)", async () => {
    const found = offending(await inputsOf("src/cluster.ts"))
    expect(found.some((f) => f.includes("@effect/cluster/"))).toBe(true)
    expect(found.some((f) => f.includes("src/internal/cluster/"))).toBe(true)
  }, 30_000)
})
