/**
 * Syslog priority prefixes for journal streams (`JOURNAL_STREAM`): which streams are the
 * journal, the priority of each level, and the logger wrapper over the host's formats (pretty,
 * JSON, logfmt), multi-line output and groups included. The process test is in
 * systemd.process.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Logger, LogLevel } from "effect"
import type * as Console from "effect/Console"
import * as HostLogger from "../../src/internal/config/logger.js"
import * as Journal from "../../src/internal/node/journal.js"

const identity = (dev: bigint, ino: bigint) => ({ dev, ino })

describe("Journal.detect", () => {
  const fds = { 1: identity(15n, 100n), 2: identity(15n, 200n) } as Record<number, { dev: bigint; ino: bigint }>
  const identify = (fd: number) => fds[fd]

  it("marks the stream whose device and inode JOURNAL_STREAM names", () => {
    expect(Journal.detect("15:200", identify)).toEqual({ stdout: false, stderr: true })
    expect(Journal.detect("15:100", identify)).toEqual({ stdout: true, stderr: false })
  })

  it("is undefined when no stream matches (the variable was inherited), or it is unset or malformed", () => {
    expect(Journal.detect("15:300", identify)).toBeUndefined()
    expect(Journal.detect("16:200", identify)).toBeUndefined()
    expect(Journal.detect(undefined, identify)).toBeUndefined()
    expect(Journal.detect("", identify)).toBeUndefined()
    expect(Journal.detect("15-200", identify)).toBeUndefined()
    expect(Journal.detect("15:200", () => undefined)).toBeUndefined()
  })

  it("compares device numbers larger than 2^53 exactly", () => {
    const big = 2n ** 60n + 1n
    expect(Journal.detect(`${big}:7`, () => identity(big, 7n))).toEqual({ stdout: true, stderr: true })
    expect(Journal.detect(`${big}:7`, () => identity(big - 1n, 7n))).toBeUndefined()
  })
})

describe("Journal.priority", () => {
  it("maps levels as .NET's systemd formatter does", () => {
    expect(Journal.priority(LogLevel.Fatal)).toBe("<2>")
    expect(Journal.priority(LogLevel.Error)).toBe("<3>")
    expect(Journal.priority(LogLevel.Warning)).toBe("<4>")
    expect(Journal.priority(LogLevel.Info)).toBe("<6>")
    expect(Journal.priority(LogLevel.Debug)).toBe("<7>")
    expect(Journal.priority(LogLevel.Trace)).toBe("<7>")
  })
})

/** A console that records what reaches stdout (`log`) and stderr (`error`). */
const capture = () => {
  const written: Array<{ readonly stream: "stdout" | "stderr"; readonly text: string }> = []
  const ignore = () => {}
  const unsafe: Console.UnsafeConsole = {
    assert: ignore, clear: ignore, count: ignore, countReset: ignore, debug: ignore, dir: ignore, dirxml: ignore,
    error: (...args: ReadonlyArray<unknown>) => void written.push({ stream: "stderr", text: args.join(" ") }),
    group: ignore, groupCollapsed: ignore, groupEnd: ignore, info: ignore,
    log: (...args: ReadonlyArray<unknown>) => void written.push({ stream: "stdout", text: args.join(" ") }),
    table: ignore, time: ignore, timeEnd: ignore, timeLog: ignore, trace: ignore, warn: ignore
  }
  const lines = () => written.flatMap(({ stream, text }) => text.split("\n").map((line) => ({ stream, line })))
  return { console: Journal.fromUnsafe(unsafe), lines }
}

const logEveryLevel = Effect.gen(function*() {
  yield* Effect.logDebug("debug line")
  yield* Effect.logInfo("info line")
  yield* Effect.logWarning("warning line")
  yield* Effect.logError("error line", Cause.fail(new Error("boom")))
}).pipe(Effect.annotateLogs("service", "Db"))

const run = (format: "pretty" | "json" | "logfmt", streams: Journal.Streams) => {
  const { console, lines } = capture()
  const settings = { ...HostLogger.defaults, format, minimumLevel: LogLevel.Debug }
  const logger = Journal.withPriorities(HostLogger.make(settings), streams)
  Effect.runSync(logEveryLevel.pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    Logger.withMinimumLogLevel(LogLevel.Debug),
    Effect.withConsole(console)
  ))
  return lines()
}

describe("Journal.withPriorities", () => {
  const both = { stdout: true, stderr: true }

  it("json: one prefixed line per entry, on the stream the host's logger chose", () => {
    const lines = run("json", both)
    expect(lines).toHaveLength(4)
    expect(lines.map(({ line, stream }) => `${stream} ${line.slice(0, 3)}`)).toEqual([
      "stdout <7>", "stdout <6>", "stderr <4>", "stderr <3>"
    ])
    for (const { line } of lines) expect(JSON.parse(line.slice(3))).toMatchObject({ annotations: { service: "Db" } })
  })

  it("logfmt: prefixed before `timestamp=`", () => {
    const lines = run("logfmt", both)
    expect(lines.map(({ line }) => line)).toEqual([
      expect.stringMatching(/^<7>timestamp=\S+ level=DEBUG .*message="debug line"/),
      expect.stringMatching(/^<6>timestamp=\S+ level=INFO .*message="info line"/),
      expect.stringMatching(/^<4>timestamp=\S+ level=WARN .*message="warning line"/),
      expect.stringMatching(/^<3>timestamp=\S+ level=ERROR .*message="error line"/)
    ])
  })

  it("pretty: every line of an entry carries its priority, the group indentation after it", () => {
    const lines = run("pretty", both)
    const errors = lines.filter(({ line }) => line.startsWith("<3>"))
    expect(errors[0]?.line).toMatch(/^<3>\[[\d:.]+\] ERROR \(#\d+\): error line$/)
    expect(errors.map(({ line }) => line)).toContainEqual(expect.stringMatching(/^<3> {2}Error: boom$/))
    expect(errors.map(({ line }) => line)).toContainEqual("<3>  service: Db")
    // Every line is prefixed, none twice.
    for (const { line } of lines) expect(line).toMatch(/^<[3467]>(?!<)/)
    expect(lines.filter(({ line }) => line.startsWith("<6>")).map(({ line }) => line)).toEqual([
      expect.stringMatching(/^<6>\[[\d:.]+\] INFO \(#\d+\): info line$/),
      "<6>  service: Db"
    ])
  })

  it("a stream that is not the journal is written as before", () => {
    const lines = run("json", { stdout: false, stderr: true })
    expect(lines.map(({ line, stream }) => `${stream} ${line.slice(0, 3)}`)).toEqual([
      "stdout {\"m", "stdout {\"m", "stderr <4>", "stderr <3>"
    ])
    const pretty = run("pretty", { stdout: true, stderr: false })
    expect(pretty.filter(({ stream }) => stream === "stdout").every(({ line }) => /^<[67]>/.test(line))).toBe(true)
    expect(pretty.filter(({ stream }) => stream === "stderr").map(({ line }) => line)).toContainEqual("  service: Db")
  })
})
