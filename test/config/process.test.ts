/**
 * A real process with invalid configuration: a wrong type in appsettings.json and a missing
 * required environment variable. It must exit with the configuration exit code (78) before any
 * hook runs, naming both keys on stderr, and never print the secret it was given elsewhere.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { ExitCode } from "../../src/ExitCode.js"
import { nodeArgs } from "../util/child.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const app = path.join("test", "fixtures", "config", "invalid-app")

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const start = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}) => {
  const inherited = { ...process.env }
  // The test must not depend on the machine's environment for the keys it checks.
  for (const name of Object.keys(inherited)) {
    if (/^(smtp|server|logging|environment|effect_host_|node_env$)/i.test(name)) delete inherited[name]
  }
  const child = spawn(process.execPath, [...nodeArgs(path.join(app, "main.ts")), ...args], {
    // From the repository root so tsx resolves `effect-host`; the content root comes from the
    // command line, as an operator would pass it.
    cwd: root,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const listeners = new Set<() => void>()
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
    for (const listener of listeners) listener()
  })
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
    for (const listener of listeners) listener()
  })
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
  /** Resolves when `pattern` appears in stdout or stderr; rejects if the process ends first. */
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout) || pattern.test(stderr)) {
          listeners.delete(check)
          resolve()
        }
      }
      listeners.add(check)
      check()
      void done.then(() => reject(new Error(`exited before ${pattern}:\n${stdout}\n${stderr}`)))
    })
  return { child, done, waitFor }
}

describe("an application with invalid configuration", () => {
  it("exits with 78 before any hook runs, naming both keys on stderr", async () => {
    const result = await start(["--contentRoot", app]).done
    expect(result.code).toBe(ExitCode.InvalidConfiguration)
    expect(result.stderr).toContain("Server:Port")
    expect(result.stderr).toContain("Smtp:ApiKey")
    // Where the wrong value came from, and where the missing one can be set.
    expect(result.stderr).toContain(path.join(root, app, "appsettings.json"))
    expect(result.stderr).toContain("SMTP__APIKEY")
    expect(`${result.stdout}${result.stderr}`).not.toContain("HOOK RAN")
  })

  it("fixed from the command line and the environment it starts; the secret is never printed, even at Trace", async () => {
    const secret = "s3cr3t-value-42"
    const app_ = start(["--contentRoot", app, "--Server:Port", "8080", "--Logging:LogLevel:Default=Trace"], { SMTP__APIKEY: secret })
    await app_.waitFor(/HOOK RAN: Mailer\.start via mail\.local, key 15 chars/)
    app_.child.kill("SIGTERM")
    const result = await app_.done
    expect(result.code).toBe(ExitCode.Success)
    expect(result.stdout).toContain("HOOK RAN: Web.start on 0.0.0.0:8080")
    // The settings were logged (JSON lines, information on stdout, in Production), key masked.
    expect(result.stdout).toMatch(/"message":\["Mailer settings",\{"Host":"mail\.local","ApiKey":"<redacted>"\}\]/)
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret)
  })

  it("a bare trailing --environment exits with 78 naming the switch, before any hook", async () => {
    const result = await start(["--contentRoot", app, "--Server:Port", "8080", "--environment"], { SMTP__APIKEY: "k" }).done
    expect(result.code).toBe(ExitCode.InvalidConfiguration)
    expect(result.stderr).toContain("environment: the switch was given without a value")
    expect(result.stderr).toContain("command line --environment")
    expect(`${result.stdout}${result.stderr}`).not.toContain("HOOK RAN")
  })
})
