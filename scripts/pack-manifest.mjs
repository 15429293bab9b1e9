// `prepack` / `postpack`: the packed package.json without the `prepare` script.
//
// `prepare` builds dist/ after `npm install`/`npm ci` in this repository and when npm installs
// the package from git; a tarball already holds dist/. npm (11.x) lists every package whose
// manifest has a lifecycle script, `prepare` included, as one with "install scripts not yet
// covered by allowScripts", so a user installing the tarball would be asked to approve a script
// that never runs for them (and whose file the tarball does not hold).
//
// `strip` (after the build, in `prepack`) keeps package.json's text byte for byte and writes the
// manifest without `scripts.prepare`; `restore` (in `postpack`) puts the text back. A pack that
// died between the two leaves the kept text behind: `strip` restores it first.
import console from "node:console"
import fs from "node:fs"
import path from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const manifest = path.join(root, "package.json")
const kept = path.join(root, "node_modules", ".cache", "effect-host-pack", "package.json")

const restore = () => {
  if (!fs.existsSync(kept)) return
  fs.writeFileSync(manifest, fs.readFileSync(kept))
  fs.rmSync(kept)
}

const strip = () => {
  restore()
  const text = fs.readFileSync(manifest, "utf8")
  const pkg = JSON.parse(text)
  if (pkg.scripts?.prepare === undefined) return
  fs.mkdirSync(path.dirname(kept), { recursive: true })
  fs.writeFileSync(kept, text)
  delete pkg.scripts.prepare
  fs.writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`)
}

const mode = process.argv[2]
if (mode === "strip") strip()
else if (mode === "restore") restore()
else {
  console.error(`usage: node scripts/pack-manifest.mjs strip|restore (got ${mode})`)
  process.exit(2)
}
