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

/** The bundled JavaScript files (absolute paths). */
const outputs = Object.keys(result.metafile.outputs).filter((file) => file.endsWith(".js")).map((file) => path.resolve(file))

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
for (const file of outputs) {
  for (const match of fs.readFileSync(file, "utf8").matchAll(/\bvar (\w+?)(\d+) = class\b/g)) {
    if (sourceClasses.has(match[1]) && !sourceClasses.has(match[1] + match[2])) renamed.push(`${match[1]} -> ${match[1]}${match[2]} in ${file}`)
  }
}
if (renamed.length > 0) {
  console.error(`bundle: classes renamed by the bundler (their names would show in errors): ${renamed.join("; ")}`)
  process.exit(1)
}

// Node resolves a bare specifier once per importing module: the chunks import effect's modules
// ~160 times between them (each resolution a walk through effect's package.json exports, ~50 µs
// cold). The core entries' imports of `effect/*` therefore go through one module of native
// re-exports (`export * as Effect from "effect/Effect"`), so each is resolved once: importing the
// core went from ~38 to ~25 ms (median of 30 fresh processes, `import()` after effect itself). The
// namespaces are then held in module constants, as `import * as` holds them: no getters (a
// bundler's re-export costs ~15% at run time) and no imported-binding checks per access. Only what
// index and node use is in it: the other entries import the rest of effect directly, so importing
// the core loads no effect module it does not use.
const namespaceImport = /^import \* as (\w+) from "(effect\/(\w+))";$/gm
const coreEffectModules = new Set()
const reach = (file, seen = new Set()) => {
  if (seen.has(file)) return
  seen.add(file)
  const text = fs.readFileSync(file, "utf8")
  for (const match of text.matchAll(/^(?:import|export)\b[^;]*?from "(\.[^"]+)";$/gm)) reach(path.resolve(path.dirname(file), match[1]), seen)
  for (const match of text.matchAll(namespaceImport)) coreEffectModules.add(match[3])
}
for (const entry of ["index", "node"]) reach(path.join(dist, `${entry}.js`))
const effectModule = path.join(dist, "internal", "effect.js")
fs.writeFileSync(
  effectModule,
  "// effect's modules used by effect-host's core, resolved once (see scripts/bundle.mjs).\n" +
    [...coreEffectModules].sort().map((name) => `export * as ${name} from "effect/${name}";\n`).join("")
)
for (const file of outputs) {
  const text = fs.readFileSync(file, "utf8")
  let from = path.relative(path.dirname(file), effectModule).split(path.sep).join("/")
  if (!from.startsWith(".")) from = `./${from}`
  // One line for one line: the source map's lines stay where they were.
  const rewritten = text.replace(namespaceImport, (line, local, _specifier, name) =>
    coreEffectModules.has(name) ? `import { ${name} as ${local}$ } from "${from}"; const ${local} = ${local}$;` : line)
  if (rewritten !== text) fs.writeFileSync(file, rewritten)
}

const written = new Set([...Object.keys(result.metafile.outputs).map((file) => path.resolve(file)), effectModule])
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
console.error(`bundled ${entries.length} entries into ${(written.size - 1) / 2} files and effect's modules into one (${removed} per-module files removed)`)
