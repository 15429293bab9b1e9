/**
 * Reloading in real processes:
 *
 *   - examples/reload.ts, as a user runs it: a level change and a flag change while it runs, an
 *     invalid edit rejected with one warning, then Ctrl+C and exit code 0;
 *   - a host with a watch active stops and the process then ends by itself (no runner, no
 *     `process.exit`): no watch, timer or fiber of the watcher keeps it alive.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { killLeftovers, root, spawnTsx } from "../util/child.js"

afterAll(killLeftovers)

const temporary = () => fs.mkdtempSync(path.join(os.tmpdir(), "effect-host-reload-"))

/** Resolves with the exit, or rejects after `ms`. */
const within = <A>(promise: Promise<A>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))
  ])

/** How many times `pattern` (global) occurs in `text`. */
const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length

/** Polls until `holds()`, rejecting after `ms` with `what`. */
const until = async (holds: () => boolean, ms: number, what: () => string) => {
  const deadline = Date.now() + ms
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe.concurrent("reload", () => {
  it("examples/reload.ts follows a level change and a flag change, rejects an invalid edit, and stops on Ctrl+C", async () => {
    const dir = temporary()
    const file = path.join(dir, "appsettings.json")
    const settings = (level: string, features: Record<string, unknown>) =>
      fs.writeFileSync(file, JSON.stringify({ Logging: { LogLevel: { Default: level } }, Features: features }, null, 2))
    fs.copyFileSync(path.join(root, "examples", "reload", "appsettings.json"), file)
    const app = spawnTsx("examples/reload.ts", ["--contentRoot", dir], { label: "examples/reload.ts", waitTimeoutMs: 20_000 })
    try {
      await app.waitFor(/Application started/)
      await app.waitFor(/INFO \(#\d+\): Hello from appsettings\.json/)
      expect(app.output()).not.toMatch(/DEBUG .*tick/)

      settings("Debug", { Greeting: "Hello from appsettings.json", Shout: false })
      await app.waitFor(/Configuration reloaded from .*appsettings\.json: 1 key changed: Logging:LogLevel:Default/)
      await app.waitFor(/DEBUG \(#\d+\): tick \d+/)

      settings("Debug", { Greeting: "Hello from appsettings.json", Shout: true })
      await app.waitFor(/Features now: Greeting="Hello from appsettings\.json", Shout=true/)
      await app.waitFor(/INFO \(#\d+\): HELLO FROM APPSETTINGS\.JSON/)

      settings("Debug", { Greeting: "", Shout: false })
      await app.waitFor(/WARN \(#\d+\): Configuration reload rejected, the previous configuration stays in force: .*Features:Greeting: .*\(from file .*appsettings\.json\)/)
      // Still shouting: the previous settings stay in force.
      const shouting = () => count(app.output(), /HELLO FROM APPSETTINGS\.JSON/g)
      const before = shouting()
      await until(() => shouting() > before, 20_000, () => `another shout in:\n${app.output()}`)

      const { code } = await app.signal("SIGINT")
      expect(code, app.output()).toBe(0)
      expect(app.output()).toMatch(/Hosted service Greeter stopped/)
    } finally {
      app.child.kill("SIGKILL")
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)

  it("a host stops cleanly with a watch active: the process then ends by itself, promptly", async () => {
    const dir = temporary()
    const file = path.join(dir, "appsettings.json")
    fs.writeFileSync(file, JSON.stringify({ Features: { Stop: false } }))
    const child = spawnTsx("test/config/fixtures/reload-exit.ts", [dir], { label: "reload-exit", drop: ["NODE_ENV"], waitTimeoutMs: 20_000 })
    try {
      await child.waitFor(/started/)
      fs.writeFileSync(file, JSON.stringify({ Features: { Stop: true } }))
      await child.waitFor(/stop requested by the configuration/)
      await child.waitFor(/host stopped; active resources: (.*)/)
      // A watcher still running would wait on its 5-second retry timer for ever: no exit at all.
      const exit = await within(child.exited, 10_000, "the exit after the host stopped")
      expect(exit.code, child.output()).toBe(0)
      const resources = /active resources: (.*)/.exec(child.output())?.[1] ?? ""
      expect(resources).not.toMatch(/FSEventWrap|Timeout/)
    } finally {
      child.child.kill("SIGKILL")
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
