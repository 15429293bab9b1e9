import { expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { nodeArgs } from "./util/child.js"

const fixture = fileURLToPath(new URL("./fixtures/engine/run-once.ts", import.meta.url))

it("a stopped host does not keep the process alive until shutdownTimeout", async () => {
  const child = spawn(process.execPath, nodeArgs(fixture), { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  const started = Date.now()
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)))
  const elapsed = Date.now() - started
  console.log(`run-once exited after ${elapsed}ms`)
  expect(stdout).toContain("host finished")
  expect(code).toBe(0)
  // The shutdown timeout is 20 s; the process must be gone long before it (tsx start-up included).
  expect(elapsed).toBeLessThan(15_000)
}, 30_000)
