/**
 * What the benchmarks run: the built package, as users run it.
 *
 * - `dist/` is the package's own build (`npm run build`, tsc to ESM). `ensureDist` rebuilds it
 *   when a file under src/ is newer than the build (or dist/ is missing), so a bench never
 *   measures stale JavaScript; `--no-build` skips the check.
 * - Every bench program under bench/fixtures/ is bundled once per run by esbuild into one ESM file
 *   under node_modules/.cache/effect-host-bench/ and run with plain `node` (no tsx, no loader).
 *   Only the program's own files (bench helpers) are bundled: `effect`, `@effect/*` and every
 *   other package stay imports resolved from node_modules at run time, and `effect-host` is an
 *   import of the file `package.json`'s `exports` names in dist/ (dist/index.js, dist/node.js, ...),
 *   so the package's modules load exactly as an installed copy's would, unbundled.
 */
import { execFileSync } from "node:child_process"
import { build } from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { benchDir, rootDir } from "./lib.js"

export const bundlesDir = path.join(rootDir, "node_modules", ".cache", "effect-host-bench")

const distDir = path.join(rootDir, "dist")

const files = (dir: string, suffix: string): Array<string> =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(suffix))
      .map((f) => path.join(dir, f))
    : []

/** True when dist/ is missing or older than a file under src/. */
export const distIsStale = (): boolean => {
  const built = files(distDir, ".js")
  if (built.length === 0) return true
  const oldestBuilt = Math.min(...built.map((f) => fs.statSync(f).mtimeMs))
  const newestSource = Math.max(...files(path.join(rootDir, "src"), ".ts").map((f) => fs.statSync(f).mtimeMs))
  return newestSource > oldestBuilt
}

/** Runs `npm run build` when dist/ is stale (or always with `force`). */
export const ensureDist = ({ force = false }: { readonly force?: boolean } = {}): void => {
  if (!force && !distIsStale()) return
  const started = performance.now()
  process.stdout.write("dist/ is older than src/: npm run build ... ")
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "--silent", "build"], { cwd: rootDir, stdio: ["ignore", "ignore", "inherit"] })
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`)
}

/** `effect-host` and its subpaths -> the dist file package.json's `exports` gives for each. */
const distEntries = (): Readonly<Record<string, string>> => {
  const pkg = JSON.parse(fs.readFileSync(path.join(rootDir, "package.json"), "utf8")) as {
    readonly name: string
    readonly exports: Readonly<Record<string, string | { readonly default?: string }>>
  }
  const entries: Record<string, string> = {}
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === "string" ? target : target.default
    if (file === undefined || !file.endsWith(".js")) continue
    entries[subpath === "." ? pkg.name : `${pkg.name}${subpath.slice(1)}`] = path.join(rootDir, file)
  }
  return entries
}

/** Where the bundle of a bench program (a path relative to the repository root) is. */
export const bundleOf = (file: string): string =>
  path.join(bundlesDir, path.relative(rootDir, path.resolve(rootDir, file)).replace(/\.ts$/, ".mjs"))

/** Bundles every program under bench/fixtures/ (about a second). */
export const buildPrograms = async (): Promise<void> => {
  const started = performance.now()
  const entries = distEntries()
  for (const [name, file] of Object.entries(entries)) {
    if (!fs.existsSync(file)) throw new Error(`${name} -> ${path.relative(rootDir, file)} does not exist: run npm run build`)
  }
  fs.rmSync(bundlesDir, { recursive: true, force: true })
  const programs = files(path.join(benchDir, "fixtures"), ".ts").filter((f) => !f.endsWith(".d.ts"))
  await Promise.all(programs.map((file) =>
    build({
      entryPoints: [file],
      outfile: bundleOf(file),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "error",
      packages: "external",
      plugins: [{
        name: "effect-host-from-dist",
        setup(b) {
          b.onResolve({ filter: /^effect-host(\/.*)?$/ }, (args) => {
            const target = entries[args.path]
            return target === undefined ? undefined : { path: pathToFileURL(target).href, external: true }
          })
        }
      }]
    })
  ))
  console.log(`bundled ${programs.length} bench programs against dist/ in ${Math.round(performance.now() - started)} ms`)
}
