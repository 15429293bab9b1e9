/**
 * Builds every child-process fixture once before the process tests run: each entry (the
 * fixtures under test/, the examples) is bundled with esbuild into one ESM file, with effect-host
 * taken from src/ and the packages it uses tree-shaken in. A test then spawns `node bundle.mjs`
 * (about 0.1 s of CPU) instead of `node --import tsx file.ts` (a TypeScript loader start-up and
 * effect's whole module graph per spawn).
 *
 * The bundles go to node_modules/.cache/effect-host-fixtures, mirroring the source paths (with
 * the shared chunks next to them), and `import.meta.url` keeps pointing at the source, so a fixture finds files next to it.
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
  // One build for all of them: the code they share (effect, effect-host) is bundled once, into
  // shared chunks (ESM code splitting), which keeps the set-up to a few seconds.
  await build({
    entryPoints: files.map((file) => path.join(root, file)),
    outdir: fixturesDir,
    outbase: root,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    // effect-host from its sources and every package with it, tree-shaken: a child then parses a
    // few files instead of loading effect's module graph from node_modules (about 0.1 s of CPU
    // per spawn instead of 0.4 s; the process tests spawn hundreds). Native addons and the
    // drivers that load them stay in node_modules.
    external: ["better-sqlite3", "pg", "pg-native"],
    // Bundled CommonJS packages call require() for Node's built-ins.
    banner: { js: "import { createRequire as __effectHostRequire } from \"node:module\"; const require = __effectHostRequire(import.meta.url);" },
    plugins: [{
      name: "effect-host-fixtures",
      setup(b) {
        b.onResolve({ filter: /^effect-host(\/.*)?$/ }, (args) => {
          const target = entryPoints[args.path]
          return target === undefined ? undefined : { path: path.join(root, target) }
        })
        // A program's `import.meta.url` keeps naming its source, so it finds the files next to it.
        const programs = new Set(files.map((file) => path.join(root, file)))
        b.onLoad({ filter: /\.ts$/ }, (args) => {
          if (!programs.has(args.path)) return undefined
          const source = fs.readFileSync(args.path, "utf8")
          return {
            contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
            loader: "ts",
            resolveDir: path.dirname(args.path)
          }
        })
      }
    }]
  })
  process.env["EFFECT_HOST_FIXTURES"] = fixturesDir
  console.log(`built ${files.length} child-process fixtures in ${Math.round(performance.now() - started)} ms`)
}
