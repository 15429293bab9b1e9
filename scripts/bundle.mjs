// The last step of `npm run build`: tsc has compiled src/ to dist/ (JS, declarations, maps); this
// bundles each public entry's JavaScript with the modules it imports into dist/<entry>.js, the
// modules shared by several entries into dist/internal/chunk-*.js, and removes the per-module JS.
// Why: Node loads an ES module graph file by file (resolve, read, compile, link), and the 50
// modules behind `effect-host` cost ~40 ms of start-up against ~17 ms for the same code bundled
// (bench/sigterm.ts, spawn→ready). effect, @effect/* and every other package stay imports, so an
// app shares its copy of effect with effect-host, and the optional integrations stay optional.
// The declarations (and their maps) stay per module, as tsc wrote them; the bundles' source maps
// chain through tsc's to src/.
import { build } from "esbuild"
import console from "node:console"
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"

const dist = path.resolve(process.argv[2] ?? "dist")
const entries = ["index", "node", "testing", "http", "cluster"].map((name) => path.join(dist, `${name}.js`))

const result = await build({
  entryPoints: entries,
  outdir: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  // Names as written: a stack trace or an error's class reads as in the source.
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  chunkNames: "internal/chunk-[hash]",
  metafile: true,
  logLevel: "warning"
})

const written = new Set(Object.keys(result.metafile.outputs).map((file) => path.resolve(file)))
let removed = 0
const prune = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) prune(file)
    else if (/\.js(\.map)?$/.test(entry.name) && !written.has(file)) {
      fs.rmSync(file)
      removed++
    }
  }
}
prune(dist)
console.error(`bundled ${entries.length} entries into ${written.size / 2} files (${removed} per-module files removed)`)
