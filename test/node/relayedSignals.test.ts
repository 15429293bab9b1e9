/**
 * Unit tests of the rule that tells a relayed copy of a signal from a person's second one. The
 * real-process side (the tsx command in a process group, one group-wide SIGINT) is in
 * tsxCtrlC.process.test.ts.
 */
import { Duration } from "effect"
import { describe, expect, it } from "vitest"
import { duplicateWindow, isRelayedCopy, relayingParent } from "../../src/internal/node/relayedSignals.js"
import { processWarnings, tsxCommandWarning } from "../../src/internal/node/warnings.js"

const windowMs = 250

describe("relayed signals", () => {
  it("tsx's CLI is recognised by its preflight module, npm scripts by npm_lifecycle_event", () => {
    expect(relayingParent({ execArgv: ["--require", "/app/node_modules/tsx/dist/preflight.cjs", "--import", "file:///x/loader.mjs"], env: {} }))
      .toBe("tsx")
    expect(relayingParent({ execArgv: [], env: { npm_lifecycle_event: "start" } })).toBe("a package manager")
    expect(relayingParent({ execArgv: ["--import", "tsx"], env: {} })).toBeUndefined()
    expect(relayingParent({ execArgv: [], env: { npm_lifecycle_event: "" } })).toBeUndefined()
  })

  it("the same signal within the window is a copy; later, or another signal, is a second signal", () => {
    const first = { signal: "SIGINT", at: 1000 }
    expect(isRelayedCopy(first, "SIGINT", 1030, windowMs)).toBe(true)
    expect(isRelayedCopy(first, "SIGINT", 1000 + windowMs, windowMs)).toBe(false)
    expect(isRelayedCopy(first, "SIGINT", 1400, windowMs)).toBe(false)
    expect(isRelayedCopy(first, "SIGTERM", 1030, windowMs)).toBe(false)
    // Run directly (no relaying parent): no window, every second signal forces.
    expect(isRelayedCopy(first, "SIGINT", 1001, 0)).toBe(false)
  })

  it("the window is longer than a relay (tsx: 30-60 ms) and shorter than a deliberate second press", () => {
    const ms = Duration.toMillis(duplicateWindow)
    expect(ms).toBeGreaterThan(100)
    expect(ms).toBeLessThan(300)
  })

  it("the tsx command gets a start-up warning; node --import tsx does not", () => {
    expect(processWarnings({ pid: 10, env: {}, inContainer: false, execArgv: ["--require", "/a/tsx/dist/preflight.cjs"] }))
      .toEqual([tsxCommandWarning])
    expect(processWarnings({ pid: 10, env: {}, inContainer: false, execArgv: ["--import", "tsx"] })).toEqual([])
  })
})
