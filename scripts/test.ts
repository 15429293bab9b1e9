/**
 * `npm test`: the type check, the lint and the three vitest projects, scheduled for a two-core
 * machine. The process tests (real child processes, real signals) spend most of their time
 * waiting on real clocks; the others keep a core busy. So the process tests start at once, next
 * to the type check with the lint and the cluster tests, and the unit tests start when the
 * cluster tests are done (which wait on PostgreSQL's start more than they compute), filling the
 * cores the waiting leaves free. Waiting for the type check too made the unit tests the last
 * step (about 70 s in all on two cores; starting them after the cluster tests, about 60 s).
 *
 * Each step's output is printed whole when it ends (never interleaved), except that a failed
 * step's output is held back and printed after every other step's: a log cut to its tail (as CI
 * reports show it) then ends with the failure, not with the steps that passed. The exit code is
 * non-zero when any step failed; every step runs to its end, so one failure does not hide
 * another. Extra arguments go to vitest.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const bin = (name: string) => path.join(root, "node_modules", ".bin", name)
const extra = process.argv.slice(2)

interface Step {
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
}

const steps = {
  // The type check and the lint share one TypeScript program (scripts/check.ts): checking the
  // project once instead of twice saves about 20 s of CPU. `npm run typecheck` / `npm run lint`
  // run one of them alone.
  check: { name: "typecheck and lint", command: process.execPath, args: ["--import", "tsx", path.join(root, "scripts", "check.ts")] },
  // `npm run test:process` holds its pool settings (three workers, each file in a fresh one: the
  // process tests mostly wait, and vitest 3.2's fork pool without isolation loses workers when it
  // has more than two of them).
  process: { name: "process tests", command: "npm", args: ["run", "--silent", "test:process", "--", ...extra] },
  cluster: { name: "cluster tests", command: bin("vitest"), args: ["run", "--project", "cluster", ...extra] },
  unit: { name: "unit tests", command: bin("vitest"), args: ["run", "--project", "unit", ...extra] }
} satisfies Record<string, Step>

const failures: Array<string> = []

const run = (step: Step) =>
  new Promise<boolean>((resolve) => {
    const started = performance.now()
    const child = spawn(step.command, step.args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      // Colours survive the pipe when the terminal has them.
      env: process.stdout.isTTY ? { ...process.env, FORCE_COLOR: "1" } : process.env
    })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString("utf8")))
    const report = (ok: boolean, why: string) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      const line = `${ok ? "✓" : "✗"} ${step.name}: ${why} in ${seconds} s`
      if (ok) process.stdout.write(`${output}${line}\n`)
      else {
        process.stdout.write(`${line} (its output follows the other steps')\n`)
        failures.push(`${output}${line}\n`)
      }
      resolve(ok)
    }
    child.on("error", (error) => report(false, `could not start ${step.command}: ${error.message}`))
    child.on("exit", (code, signal) => report(code === 0, code === 0 ? "passed" : `failed (${code ?? signal})`))
  })

const started = performance.now()
console.log(`npm test: ${Object.values(steps).map((step) => step.name).join(", ")} (each reports when it ends)`)
const check = run(steps.check)
const cluster = run(steps.cluster)
const processTests = run(steps.process)
const unit = cluster.then(() => run(steps.unit))
const results = await Promise.all([check, cluster, unit, processTests])
const ok = results.every(Boolean)
for (const text of failures) process.stdout.write(`\n${text}`)
console.log(`${ok ? "✓ npm test passed" : "✗ npm test failed"} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
process.exitCode = ok ? 0 : 1
