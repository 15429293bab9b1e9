/**
 * Builds every child-process fixture once before the process tests run: each entry (the
 * fixtures under test/, the examples) is bundled with esbuild into one ESM file, with effect-host
 * taken from src/ and every package left to node_modules. A test then spawns `node bundle.mjs`
 * (about 50 ms) instead of `node --import tsx file.ts` (a TypeScript loader start-up per spawn).
 *
 * The bundles go to node_modules/.cache/effect-host-fixtures, mirroring the source paths, and
 * `import.meta.url` keeps pointing at the source, so a fixture finds files next to it.
 * `EFFECT_HOST_FIXTURES` tells the spawn helpers (test/util/child.ts) where they are.
 */
import { build } from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
export const fixturesDir = path.join(root, "node_modules", ".cache", "effect-host-fixtures")

/** The directories whose .ts files are spawned as programs. */
const entryDirs = ["test/fixtures", "test/acceptance/fixtures", "test/config/fixtures", "examples"]

const entries = (): ReadonlyArray<string> =>
  entryDirs.flatMap((dir) =>
    (fs.readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" }))
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
      .map((file) => path.join(dir, file))
  )

const entryPoints: Record<string, string> = {
  "effect-host": "src/index.ts",
  "effect-host/node": "src/node.ts",
  "effect-host/testing": "src/testing.ts",
  "effect-host/http": "src/http.ts",
  "effect-host/cluster": "src/cluster.ts"
}

export default async function setup(): Promise<void> {
  fs.rmSync(fixturesDir, { recursive: true, force: true })
  const started = performance.now()
  const files = entries()
  await Promise.all(files.map((file) =>
    build({
      entryPoints: [path.join(root, file)],
      outfile: path.join(fixturesDir, file.replace(/\.ts$/, ".mjs")),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "inline",
      logLevel: "error",
      // Packages come from node_modules at run time (the bundles live inside the repository);
      // only effect-host itself is bundled, from its sources.
      packages: "external",
      plugins: [{
        name: "effect-host-from-src",
        setup(b) {
          b.onResolve({ filter: /^effect-host(\/.*)?$/ }, (args) => {
            const target = entryPoints[args.path]
            return target === undefined ? undefined : { path: path.join(root, target) }
          })
        }
      }],
      define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(root, file)).href) }
    })
  ))
  process.env["EFFECT_HOST_FIXTURES"] = fixturesDir
  console.log(`built ${files.length} child-process fixtures in ${Math.round(performance.now() - started)} ms`)
}
