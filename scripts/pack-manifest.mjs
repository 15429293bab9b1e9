// `prepack` / `postpack`: the packed package.json without the `prepare` script.
//
// `prepare` builds dist/ after `npm install`/`npm ci` in this repository and when npm installs
// the package from git; a tarball already holds dist/. npm (11.x) lists every package whose
// manifest has a lifecycle script, `prepare` included, as one with "install scripts not yet
// covered by allowScripts", so a user installing the tarball would be asked to approve a script
// that never runs for them (and whose file the tarball does not hold).
//
// `strip` (after the build, in `prepack`) keeps package.json's text byte for byte next to it
// (`.package.json.packing`, ignored by git) and writes the manifest without `scripts.prepare`;
// `restore` (in `postpack`) puts the text back. A pack that died between the two leaves the kept
// text behind: `strip` then restores it if package.json is still the stripped form of it, and
// refuses (naming both files) if package.json was edited since, rather than lose either.
import console from "node:console"
import fs from "node:fs"
import path from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const manifest = path.join(root, "package.json")
const kept = path.join(root, ".package.json.packing")

/** The manifest without `prepare`, or undefined when it has none. */
const stripped = (text) => {
  const pkg = JSON.parse(text.replace(/^\uFEFF/, ""))
  if (pkg.scripts?.prepare === undefined) return undefined
  delete pkg.scripts.prepare
  return `${JSON.stringify(pkg, null, 2)}\n`
}

const restore = () => {
  if (!fs.existsSync(kept)) return
  fs.writeFileSync(manifest, fs.readFileSync(kept))
  fs.rmSync(kept)
}

const strip = () => {
  if (fs.existsSync(kept)) {
    if (fs.readFileSync(manifest, "utf8") !== stripped(fs.readFileSync(kept, "utf8"))) {
      console.error(
        `pack-manifest: ${kept} holds package.json from a pack that did not finish, and ${manifest} ` +
          "was changed since: keep the right one (the kept copy has the prepare script), delete the other, pack again"
      )
      process.exit(1)
    }
    restore()
  }
  const text = fs.readFileSync(manifest, "utf8")
  const without = stripped(text)
  if (without === undefined) return
  fs.writeFileSync(kept, text)
  fs.writeFileSync(manifest, without)
}

const mode = process.argv[2]
if (mode === "strip") strip()
else if (mode === "restore") restore()
else {
  console.error(`usage: node scripts/pack-manifest.mjs strip|restore (got ${mode})`)
  process.exit(2)
}
