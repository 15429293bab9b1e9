// `npm run prepare`, which npm runs after `npm install`/`npm ci` here and when it installs the
// package from git (with the dev dependencies in place): builds dist/. Without TypeScript there is
// nothing to build with (`npm ci --dry-run` runs this before installing anything, `--omit=dev`
// never installs it): that is said, and dist/ is left as it is. A build that fails still fails.
// (`prepack` builds unconditionally: a tarball is never made without dist/.)
import { spawnSync } from "node:child_process"
import console from "node:console"
import { createRequire } from "node:module"
import process from "node:process"

try {
  createRequire(import.meta.url).resolve("typescript")
} catch {
  console.log("prepare: TypeScript is not installed, so dist/ is not built (run npm run build once it is)")
  process.exit(0)
}
const build = spawnSync("npm", ["run", "build"], { stdio: "inherit", shell: process.platform === "win32" })
process.exit(build.status ?? 1)
