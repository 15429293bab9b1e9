/**
 * Acceptance, black-box, real processes: NodeHost.runMain's signals, exit codes and status
 * messages (DESIGN.md, "Process behaviour"). Fixture: test/acceptance/fixtures/app.ts.
 */
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, spawnTsx } from "../util/child.js"

afterEach(killLeftovers)

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const app = spawnTsx(path.join("test", "acceptance", "fixtures", "app.ts"), args, {
    env,
    drop: ["NODE_ENV", "npm_lifecycle_event"],
    label: "the acceptance fixture"
  })
  return {
    child: app.child,
    exited: app.exited.then((exit) => exit.code),
    waitFor: (pattern: RegExp) => app.waitFor(pattern).then(() => undefined),
    output: app.output,
    stdout: app.stdout
  }
}

describe.sequential("acceptance: NodeHost.runMain", () => {
  it("SIGTERM: graceful, reverse stop, ConsoleLifetime messages, exit 0", async () => {
    const app = run(["graceful"])
    await app.waitFor(/READY/)
    await app.waitFor(/Content root path/)
    expect(app.output()).toContain("Application started. Press Ctrl+C to shut down.")
    expect(app.output()).toContain("Hosting environment: Production")
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(0)
    expect(app.output()).toContain("Application is shutting down...")
    expect(app.stdout().match(/^stop:\w+$/gm)).toStrictEqual(["stop:B", "stop:A"])
  })

  it("NODE_ENV=Development shows in the status message", async () => {
    const app = run(["graceful"], { NODE_ENV: "Development" })
    await app.waitFor(/Content root path/)
    expect(app.output()).toContain("Hosting environment: Development")
    app.child.kill("SIGINT")
    expect(await app.exited).toBe(0)
  })

  it("stopApplication from a service: exit 0", async () => {
    const app = run(["self-stop"])
    expect(await app.exited).toBe(0)
    expect(app.stdout()).toContain("stop:A")
  })

  it("a background service failure (StopHost): exit 1 and its cause logged", async () => {
    const app = run(["background-fails"])
    expect(await app.exited).toBe(1)
    expect(app.output()).toContain("exploded on purpose")
    expect(app.stdout()).toContain("stop:A")
  })

  it("backgroundServiceExceptionBehavior=Ignore from an environment variable: keeps running", async () => {
    const app = run(["background-fails"], { backgroundServiceExceptionBehavior: "Ignore" })
    // The host logs that it ignores the failure; had it stopped instead, the process would exit
    // 1 without any signal. It only ends at the SIGINT, gracefully.
    await app.waitFor(/exploded on purpose/)
    await app.waitFor(/ignored: backgroundServiceExceptionBehavior is Ignore/)
    expect(app.child.exitCode).toBe(null)
    app.child.kill("SIGINT")
    expect(await app.exited).toBe(0)
    expect(app.output()).not.toContain("stopping the host")
  })

  it("a start failure: exit 1, cause logged, started service rolled back", async () => {
    const app = run(["start-fails"])
    expect(await app.exited).toBe(1)
    expect(app.output()).toContain("start broke on purpose")
    expect(app.stdout()).toContain("stop:A")
    expect(app.stdout()).not.toContain("READY")
  })

  it("a stop hook that dies: exit 1, cause logged, the other service still stopped", async () => {
    const app = run(["stop-fails"])
    await app.waitFor(/READY/)
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(1)
    expect(app.output()).toContain("stop hook broke on purpose")
    expect(app.stdout()).toContain("stop:A")
  })

  it("invalid configuration: a distinct exit code (78), nothing started", async () => {
    const app = run(["graceful"], { shutdownTimeoutSeconds: "soon" })
    const code = await app.exited
    expect(code).toBe(78)
    expect(app.stdout()).not.toContain("start:A")
    expect(app.output()).toContain("shutdownTimeoutSeconds")
  })

  it("shutdown deadline (shutdownTimeoutSeconds from the command line): a distinct exit code (124), stuck service named", async () => {
    const app = run(["stop-hangs", "--shutdownTimeoutSeconds=1"])
    await app.waitFor(/READY/)
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(124)
    expect(app.output()).toContain("Hangs")
  })

  it("a second signal while stopping: exit 128 + n at once, naming the services still stopping", async () => {
    const app = run(["stop-hangs"])
    await app.waitFor(/READY/)
    app.child.kill("SIGINT")
    await app.waitFor(/stop:Hangs/)
    app.child.kill("SIGINT")
    expect(await app.exited).toBe(130)
    expect(app.output()).toMatch(/Hangs/)
  })

  it("SIGQUIT starts a graceful stop too", async () => {
    const app = run(["graceful"])
    await app.waitFor(/READY/)
    app.child.kill("SIGQUIT")
    expect(await app.exited).toBe(0)
    expect(app.stdout()).toContain("stop:A")
  })

  it("plain NodeRuntime.runMain: Host.launch still bounds the stop by shutdownTimeout", async () => {
    const app = run(["stop-hangs", "plain"], { shutdownTimeoutSeconds: "1" })
    await app.waitFor(/READY/)
    const sent = Date.now()
    app.child.kill("SIGTERM")
    await app.exited
    // bounded (1 s budget; generous margin for a busy machine), and the stuck service is named
    expect(Date.now() - sent).toBeLessThan(15_000)
    expect(app.output()).toMatch(/deadline[^\n]*Hangs/i)
  })
})
