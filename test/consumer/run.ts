/**
 * The consumer test: effect-host as a user meets it, outside this repository.
 *
 *   1. `npm pack` (which builds dist/), and check what the tarball holds;
 *   2. a fresh project in a temporary folder, installed with the README's install line only
 *      (`effect-host` replaced by the tarball);
 *   3. exactly one copy of `effect` in that project;
 *   4. the README's 30-second example typechecked, strict, under `moduleResolution` NodeNext and
 *      bundler, compiled to JS, run with `node`, stopped with SIGTERM: exit 0 and the stop hook's
 *      line;
 *   5. one core across entries: a start failure under `effect-host/testing`'s host is
 *      `effect-host`'s `HostError.HostStartError` (a second copy of the core would fail `instanceof`).
 *
 * Run by `.ci/run` (`npm run test:consumer`). `--tarball <file>` tests a given tarball instead of
 * packing one; `--also <spec>` installs one more package after the README's line (to see the
 * test fail, e.g. with `--also effect@4` for a second copy of effect). `--keep` keeps the folder.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name)
  return at === -1 ? undefined : args[at + 1]
}
const keep = args.includes("--keep")

class ConsumerTestFailure extends Error {}
const fail = (message: string): never => {
  throw new ConsumerTestFailure(message)
}
const step = (message: string) => console.log(`consumer test: ${message}`)

const run = (command: string, commandArgs: ReadonlyArray<string>, cwd: string): string => {
  try {
    return execFileSync(command, commandArgs, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    return fail(`${command} ${commandArgs.join(" ")} (in ${cwd}):\n${e.stdout ?? ""}${e.stderr ?? e.message}`)
  }
}

/** The fenced block of `language` under the README heading `heading`. */
const readmeBlock = (heading: string, language: string): string => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")
  const section = readme.split(/^## /m).find((s) => s.startsWith(heading))
  if (section === undefined) return fail(`the README has no "## ${heading}" section`)
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(section)
  if (match?.[1] === undefined) return fail(`the README's "${heading}" section has no \`\`\`${language} block`)
  return match[1]
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-consumer-"))
try {
  // 1. The tarball.
  let tarball = flag("--tarball")
  if (tarball === undefined) {
    step("npm pack (builds dist/)")
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], root)) as ReadonlyArray<{
      readonly filename: string
      readonly size: number
      readonly unpackedSize: number
      readonly files: ReadonlyArray<{ readonly path: string }>
    }>
    const info = packed[0] ?? fail("npm pack printed no tarball")
    tarball = path.join(work, info.filename)
    const files = info.files.map((f) => f.path)
    step(`${info.filename}: ${files.length} files, ${info.size} bytes packed, ${info.unpackedSize} unpacked`)
    const unwanted = files.filter((f) => /^(test|bench|examples|scripts)\/|\.test\.|fixtures/.test(f))
    if (unwanted.length > 0) fail(`the tarball holds tests or fixtures: ${unwanted.join(", ")}`)
  }
  tarball = path.resolve(tarball)
  const listing = run("tar", ["-tzf", tarball], work).split("\n")
  for (const entry of ["index", "node", "testing", "http"]) {
    for (const ext of [".js", ".d.ts"]) {
      if (!listing.includes(`package/dist/${entry}${ext}`)) fail(`the tarball has no dist/${entry}${ext}`)
    }
  }

  // No lifecycle script a user's npm would run or ask to approve (the repository's `prepare`
  // builds dist/, which the tarball already holds: scripts/pack-manifest.mjs leaves it out).
  const packedManifest = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], work)) as {
    readonly scripts?: Readonly<Record<string, string>>
  }
  const installScripts = ["preinstall", "install", "postinstall", "prepare"].filter((name) => packedManifest.scripts?.[name] !== undefined)
  if (installScripts.length > 0) fail(`the packed package.json has install scripts: ${installScripts.join(", ")}`)
  step("the packed package.json has no install scripts")

  // 2. A fresh project, installed with the README's line.
  const project = path.join(work, "app")
  fs.mkdirSync(project)
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "consumer-app", private: true, type: "module" }, null, 2)
  )
  const installLine = readmeBlock("Install", "sh").split("\n").find((line) => line.startsWith("npm install effect-host "))
  if (installLine === undefined) fail("the README's Install section has no `npm install effect-host …` line")
  const installArgs = (installLine ?? "").split(/\s+/).slice(2).map((word) => (word === "effect-host" ? tarball : word))
  step(`npm install ${installArgs.join(" ")}`)
  run("npm", ["install", ...installArgs, "--no-audit", "--no-fund", "--prefer-offline"], project)
  const also = flag("--also")
  if (also !== undefined) {
    step(`npm install ${also} (--also)`)
    run("npm", ["install", also, "--no-audit", "--no-fund", "--prefer-offline", "--legacy-peer-deps"], project)
  }

  // 3. One copy of effect.
  const copies = new Set(
    (JSON.parse(run("npm", ["query", "#effect"], project)) as ReadonlyArray<{ readonly path: string; readonly version: string }>)
      .map((node) => `${node.version} at ${path.relative(project, node.path)}`)
  )
  if (copies.size !== 1) fail(`expected exactly one copy of effect, found ${copies.size}: ${[...copies].join("; ")}`)
  step(`one copy of effect: ${[...copies][0]}`)

  // 4. The README's example: typecheck under NodeNext and bundler, compile, run, SIGTERM.
  fs.writeFileSync(path.join(project, "app.ts"), readmeBlock("30 seconds", "ts"))
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
  const base = {
    target: "ES2022",
    lib: ["ES2022"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ["node"],
    typeRoots: [path.join(root, "node_modules", "@types")]
  }
  const configs = {
    "tsconfig.nodenext.json": { ...base, module: "NodeNext", moduleResolution: "NodeNext", outDir: "out" },
    "tsconfig.bundler.json": { ...base, module: "ESNext", moduleResolution: "bundler", noEmit: true }
  }
  for (const [file, compilerOptions] of Object.entries(configs)) {
    fs.writeFileSync(path.join(project, file), JSON.stringify({ compilerOptions, files: ["app.ts"] }, null, 2))
    step(`tsc -p ${file}`)
    run(process.execPath, [tsc, "-p", file], project)
  }

  step("node out/app.js, then SIGTERM")
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" }
  delete env["NODE_ENV"]
  const child = spawn(process.execPath, ["out/app.js"], { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString("utf8")))
  child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString("utf8")))
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 20_000)
    const check = setInterval(() => {
      if (output.includes("Application started")) {
        clearTimeout(timer)
        clearInterval(check)
        resolve(true)
      }
    }, 20)
    void exited.then(() => {
      clearTimeout(timer)
      clearInterval(check)
      resolve(output.includes("Application started"))
    })
  })
  if (!started) {
    child.kill("SIGKILL")
    fail(`the example did not print "Application started":\n${output}`)
  }
  child.kill("SIGTERM")
  const code = await exited
  if (code !== 0) fail(`the example exited with ${code} after SIGTERM, expected 0:\n${output}`)
  if (!output.includes("disconnecting")) fail(`the example's stop hook did not log "disconnecting":\n${output}`)
  step("exit 0 after SIGTERM, stop hook ran")

  // The core is bundled once and the other entries import it: a class or tag from one entry is
  // the same value in another (a second copy would break instanceof, catchTag and services).
  fs.writeFileSync(
    path.join(project, "identity.mjs"),
    [
      `import { Cause, Effect, Exit, Option } from "effect"`,
      `import { HostError, HostEnvironment, HostedService } from "effect-host"`,
      `import { TestHost } from "effect-host/testing"`,
      `const Bad = HostedService.make("Bad", { start: Effect.fail("no") })`,
      `const Env = HostedService.make("Env", { start: Effect.map(HostEnvironment, (env) => console.log("environment " + env.environmentName)) })`,
      // A host whose start failed has ended; one that started is stopped, then read.
      `const run = (services) => Effect.runPromise(Effect.scoped(Effect.flatMap(TestHost.start(services), (host) => host.stop)))`,
      `const failed = await run([Bad])`,
      `const error = Exit.isFailure(failed) ? Option.getOrUndefined(Cause.failureOption(failed.cause)) : undefined`,
      `if (!(error instanceof HostError.HostStartError) || !HostError.isHostError(error)) throw new Error("not the core's HostStartError: " + String(error))`,
      `const ok = await run([Env])`,
      `if (!Exit.isSuccess(ok)) throw new Error("the host from /testing did not provide effect-host's HostEnvironment: " + String(ok))`,
      `console.log("identity ok")`
    ].join("\n") + "\n"
  )
  step("node identity.mjs: effect-host/testing's host and errors are effect-host's")
  const identity = run(process.execPath, ["identity.mjs"], project)
  if (!identity.includes("identity ok") || !identity.includes("environment ")) fail(`identity.mjs printed:\n${identity}`)
  step("passed")
} catch (error) {
  if (!(error instanceof ConsumerTestFailure)) throw error
  console.error(`consumer test FAILED: ${error.message}`)
  process.exitCode = 1
} finally {
  if (keep) console.log(`consumer test: kept ${work}`)
  else fs.rmSync(work, { recursive: true, force: true })
}
