// The last step of `npm run build`: tsc has compiled src/ to dist/ (JS, declarations, maps); this
// bundles the JavaScript and removes the per-module JS. Why: Node loads an ES module graph file by
// file (resolve, read, compile, link), and the 50 modules behind `effect-host` cost ~40 ms of
// start-up against ~17 ms for the same code bundled (bench/sigterm.ts, spawn→ready).
//
// - The core, every module `effect-host` and `effect-host/node` reach, is one file:
//   dist/internal/core.js. dist/index.js and dist/node.js only re-export their names from it.
//   One file rather than the chunks a split build makes for them (eight, by which entries share
//   each module): importing both went from 37.5 to 33.7 ms (median of 40 fresh processes each,
//   `import()` after effect itself). What the runner loads with `import()` (systemd's and the
//   journal's modules) is in it too: split, they get chunks of their own, but so does a helper
//   every app then loads, and importing the core measured the same either way (48.1 vs 48.3 ms).
// - `effect-host/testing`, `/http` and `/cluster` are bundled together, split into chunks among
//   themselves; a core module they import is a module of re-exports from core.js, so there is
//   one copy of each core module (one Tag, one class) whichever entries an app loads.
// - effect, @effect/* and every other package stay imports, so an app shares its copy of effect
//   with effect-host, and the optional integrations stay optional.
// The declarations (and their maps) stay per module, as tsc wrote them; the bundles' source maps
// chain through tsc's to src/.
import { build } from "esbuild"
import console from "node:console"
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"

const dist = path.resolve(process.argv[2] ?? "dist")
const coreEntries = ["index", "node"]
const otherEntries = ["testing", "http", "cluster"]
const entryFile = (name) => path.join(dist, `${name}.js`)
const coreFile = path.join(dist, "internal", "core.js")
// Not `keepNames`: it wraps every function in a call that sets its name, which costs about 1 ms
// of start-up and hides the names from stack traces and profiles (they read the name inferred
// from the source); the check below makes sure no class was renamed.
const common = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  keepNames: false,
  logLevel: "warning"
}

/** The modules (absolute paths) `entries` reach, and each module's direct imports among them. */
const graph = async (entries) => {
  const { metafile } = await build({ ...common, entryPoints: entries, write: false, outdir: dist, splitting: true, metafile: true })
  const modules = new Map()
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    modules.set(path.resolve(input), imports.filter((i) => !i.external).map((i) => path.resolve(i.path)))
  }
  return modules
}

/**
 * The names a module exports, as esbuild reads them: without bundling, so an `export * from`
 * (no `as`) would not be followed and its names would be missing from the re-exports; no such
 * line is allowed in a module whose names are re-exported.
 */
const exportsOf = async (file) => {
  if (/^export \* from /m.test(fs.readFileSync(file, "utf8"))) {
    console.error(`bundle: ${path.relative(dist, file)} has an \`export * from\` (no \`as\`): name the exports, or make it \`export * as\``)
    process.exit(1)
  }
  const { metafile } = await build({ ...common, bundle: false, entryPoints: [file], write: false, outdir: path.join(dist, "exports"), metafile: true })
  return Object.values(metafile.outputs).flatMap((output) => output.exports)
}

const core = await graph(coreEntries.map(entryFile))
const others = await graph(otherEntries.map(entryFile))
// The core modules the other entries import: each one's names are exported from core.js under
// a name of their own (`m3$HostContext`), for the other entries' modules of re-exports.
const bridged = new Set()
for (const [file, imports] of others) {
  if (core.has(file)) continue
  for (const imported of imports) if (core.has(imported)) bridged.add(imported)
}
const exported = new Map()
for (const file of [...coreEntries.map(entryFile), ...bridged]) {
  const prefix = `m${exported.size}$`
  exported.set(file, { prefix, names: await exportsOf(file) })
}
const relative = (from, to) => {
  const text = path.relative(path.dirname(from), to).split(path.sep).join("/")
  return text.startsWith(".") ? text : `./${text}`
}
const coreSource = [...exported].map(([file, { prefix, names }]) =>
  `export { ${names.map((name) => `${name} as ${prefix}${name}`).join(", ")} } from "${relative(coreFile, file)}";`
).join("\n")

const coreResult = await build({
  ...common,
  stdin: { contents: coreSource, resolveDir: path.dirname(coreFile), sourcefile: "core-entry.js", loader: "js" },
  outfile: coreFile,
  sourcemap: true,
  sourcesContent: false,
  metafile: true
})
const reexports = (file, from) => {
  const { prefix, names } = exported.get(file)
  return `export { ${names.map((name) => `${prefix}${name} as ${name}`).join(", ")} } from "${from}";\n`
}
// Written after the core's build, which read them.
for (const name of coreEntries) {
  fs.writeFileSync(entryFile(name), `// effect-host's core is one module (see scripts/bundle.mjs).\n${reexports(entryFile(name), "./internal/core.js")}`)
}

const coreSpecifier = "effect-host:core"
const othersResult = await build({
  ...common,
  entryPoints: otherEntries.map(entryFile),
  outdir: dist,
  allowOverwrite: true,
  splitting: true,
  sourcemap: true,
  sourcesContent: false,
  chunkNames: "internal/chunk-[hash]",
  metafile: true,
  external: [coreSpecifier],
  plugins: [{
    name: "core-from-core.js",
    setup(b) {
      // By its path from dist/, which is what the comments and source maps then name: an
      // absolute path would record the build machine's checkout in the package.
      b.onResolve({ filter: /^\./ }, (args) => {
        const file = path.resolve(args.resolveDir, args.path)
        if (!bridged.has(file)) return undefined
        return { path: path.relative(dist, file).split(path.sep).join("/"), namespace: "core" }
      })
      b.onLoad({ filter: /.*/, namespace: "core" }, (args) => ({ contents: reexports(path.join(dist, args.path), coreSpecifier), loader: "js" }))
    }
  }]
})
const metafiles = [coreResult.metafile, othersResult.metafile]

/** The bundled JavaScript files (absolute paths), with their maps. */
const bundled = metafiles.flatMap((metafile) => Object.keys(metafile.outputs)).map((file) => path.resolve(file))
const outputs = bundled.filter((file) => file.endsWith(".js"))

// The other entries' modules of re-exports name core.js by a specifier of their own (so that
// esbuild leaves it an import); it becomes the path from each output file.
for (const file of outputs) {
  const text = fs.readFileSync(file, "utf8")
  const rewritten = text.replaceAll(`"${coreSpecifier}"`, JSON.stringify(relative(file, coreFile)))
  if (rewritten !== text) fs.writeFileSync(file, rewritten)
}

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

const written = new Set([...bundled, ...coreEntries.map(entryFile)])
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
console.error(
  `bundled the core (${core.size} modules) into one file, ${otherEntries.length} more entries into ${outputs.length - 1}, ` +
    `${bridged.size} core modules re-exported to them (${removed} per-module files removed)`
)
