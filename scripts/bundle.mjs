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
  // Not `keepNames`: it wraps every function in a call that sets its name, which costs about 1 ms
  // of start-up and hides the names from stack traces and profiles (they read the name inferred
  // from the source); the check below makes sure no class was renamed.
  keepNames: false,
  sourcemap: true,
  sourcesContent: false,
  chunkNames: "internal/chunk-[hash]",
  metafile: true,
  logLevel: "warning"
})

// A class is named after the variable esbuild assigns it to; a name it had to change to avoid a
// clash (`HostError2`) would show in errors and logs, so that fails the build.
const sourceClasses = new Set()
const collect = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) collect(file)
    else if (entry.name.endsWith(".ts")) {
      for (const match of fs.readFileSync(file, "utf8").matchAll(/\bclass (\w+)/g)) sourceClasses.add(match[1])
    }
  }
}
collect(path.resolve(dist, "..", "src"))
const renamed = []
for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"))) {
  for (const match of fs.readFileSync(file, "utf8").matchAll(/\bvar (\w+?)(\d+) = class\b/g)) {
    if (sourceClasses.has(match[1]) && !sourceClasses.has(match[1] + match[2])) renamed.push(`${match[1]} -> ${match[1]}${match[2]} in ${file}`)
  }
}
if (renamed.length > 0) {
  console.error(`bundle: classes renamed by the bundler (their names would show in errors): ${renamed.join("; ")}`)
  process.exit(1)
}

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
