/**
 * Reloading the configuration, on real files in a temporary content root: what a reload applies
 * and what it rejects (`HostConfiguration.reload`, deterministic), then the watcher itself (real
 * file events; the debounce and the retry are timers on the `Clock`, driven by `TestClock`;
 * waits for the file system are real and generous).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Chunk,
  Config,
  ConfigProvider,
  Deferred,
  Duration,
  Effect,
  Fiber,
  FiberRef,
  HashMap,
  HashSet,
  Layer,
  Logger,
  Option,
  Redacted,
  Schema,
  Stream,
  SubscriptionRef,
  TestClock
} from "effect"
import { ConfigurationError, Host, HostConfiguration, HostedService, HostLogger, Settings } from "effect-host"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Configuration from "../../src/internal/config/configuration.js"
import * as Provider from "../../src/internal/config/provider.js"
import * as Watcher from "../../src/internal/config/watcher.js"
import { captureConsole, contentRoot, isolated } from "./util.js"

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const write = (dir: string, name: string, content: unknown) =>
  Effect.sync(() => fs.writeFileSync(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2)))

/** As editors save: the new content written to another file, renamed over the old one. */
const replace = (dir: string, name: string, content: unknown) =>
  Effect.sync(() => {
    const temporary = path.join(dir, `.${name}.tmp`)
    fs.writeFileSync(temporary, JSON.stringify(content, null, 2))
    fs.renameSync(temporary, path.join(dir, name))
  })

/** Real time, for the file system (the tests' Clock is the TestClock). */
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Polls `effect` in real time until `holds`; dies naming `what` after `timeoutMs`. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, holds: (a: A) => boolean, what: string, timeoutMs = 15_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = yield* effect
      if (holds(value)) return value
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for ${what}; last: ${String(value)}`)
      yield* realSleep(20)
    }
  })

/** Until every watched directory is watched (the debug view says so). */
const watching = eventually(HostConfiguration.debugView(), (view) => /: watching\)/.test(view) && !/waiting|lost/.test(view), "the watch")

/** Until a timer is pending on the TestClock (the debounce after a file event). */
const pendingTimer = eventually(TestClock.sleeps(), (sleeps) => Chunk.size(sleeps) > 0, "a file event")

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** A logger in place of Effect's default one, recording each line. */
const recording = () => {
  const lines: Array<Line> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    lines.push({ level: logLevel.label, message: text, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const Features = Schema.Struct({
  Greeting: Schema.NonEmptyString,
  Percent: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 100)), { default: () => 0 })
})

class FeatureSettings extends Settings.Tag("test/FeatureSettings")<FeatureSettings>()("Features", Features) {}

/** A content root with `appsettings.json` and the configuration layer over it (isolated from the process). */
const setup = (files: Readonly<Record<string, unknown>>, options: HostConfiguration.Options = {}) => {
  const dir = contentRoot(files)
  return { dir, layer: HostConfiguration.layer(isolated({ contentRoot: dir, ...options })) }
}

// ---------------------------------------------------------------------------------------------
// What a reload applies and what it rejects
// ---------------------------------------------------------------------------------------------

describe("a reload", () => {
  it.effect("applies a valid edit: live settings see it, plain Config and yield* MySettings keep the start-time value", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, { reloadOnChange: false })
    return Effect.gen(function*() {
      const atStart = yield* FeatureSettings
      yield* write(dir, "appsettings.json", { Features: { Greeting: "bonjour", Percent: 10 } })
      const result = yield* HostConfiguration.reload
      expect(result).toEqual({ _tag: "Applied", files: [path.join(dir, "appsettings.json")], keys: ["Features:Greeting", "Features:Percent"], version: 1 })
      expect(yield* FeatureSettings.live.get).toEqual({ Greeting: "bonjour", Percent: 10 })
      expect(yield* Settings.live("Features", Features).get).toEqual({ Greeting: "bonjour", Percent: 10 })
      // The start-time snapshot: a value read twice never differs.
      expect(atStart).toEqual({ Greeting: "hello", Percent: 0 })
      expect(yield* FeatureSettings).toBe(atStart)
      expect(yield* Config.string("Features:Greeting")).toBe("hello")
      expect(yield* FeatureSettings.read).toEqual({ Greeting: "hello", Percent: 0 })
    }).pipe(Effect.provide(FeatureSettings.layer), Effect.provide(layer))
  })

  it.effect("an unparsable file is rejected whole: the previous configuration stays, one warning names file, line and column", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, { reloadOnChange: false })
    const log = recording()
    return Effect.gen(function*() {
      yield* FeatureSettings.live.get
      yield* write(dir, "appsettings.json", "{ \"Features\": { \"Greeting\": \"bonjour\", } ")
      const result = yield* HostConfiguration.reload
      expect(result._tag).toBe("Rejected")
      expect(yield* FeatureSettings.live.get).toEqual({ Greeting: "hello", Percent: 0 })
      const warnings = log.lines.filter((l) => l.level === "WARN")
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.message).toMatch(/^Configuration reload rejected, the previous configuration stays in force: /)
      expect(warnings[0]?.message).toContain(`${path.join(dir, "appsettings.json")}:1:`)
      expect(warnings[0]?.message).toContain("invalid JSON")
      expect(warnings[0]?.annotations).toMatchObject({ configurationReload: "rejected", reloadsApplied: 0, reloadsRejected: 1 })
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("an edit that makes a section read so far invalid is rejected; the next valid edit applies", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" }, Other: { Port: 1 } } }, { reloadOnChange: false })
    const log = recording()
    return Effect.gen(function*() {
      // Read once, at start, with `section`: registered like a watched one.
      yield* Settings.section("Features", Features)
      yield* write(dir, "appsettings.json", { Features: { Greeting: "hello", Percent: 150 }, Other: { Port: 2 } })
      const rejected = yield* HostConfiguration.reload
      expect(rejected._tag).toBe("Rejected")
      if (rejected._tag === "Rejected") {
        expect(rejected.error).toBeInstanceOf(ConfigurationError)
        expect(rejected.error.keys).toEqual(["Features:Percent"])
      }
      const warning = log.lines.find((l) => l.level === "WARN")?.message ?? ""
      // The file, the key and the reason, on one line.
      expect(warning).toContain(path.join(dir, "appsettings.json"))
      expect(warning).toMatch(/Features:Percent: Expected a number between 0 and 100, actual 150 \(from file .*appsettings\.json\)/)
      expect(warning).not.toContain("\n")
      // Nothing of it applied, not even the valid key beside it.
      expect(yield* Settings.live("Other", Schema.Struct({ Port: Schema.Number })).get).toEqual({ Port: 1 })
      expect(yield* FeatureSettings.live.get).toEqual({ Greeting: "hello", Percent: 0 })

      yield* write(dir, "appsettings.json", { Features: { Greeting: "hello", Percent: 50 }, Other: { Port: 3 } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      expect(yield* FeatureSettings.live.get).toEqual({ Greeting: "hello", Percent: 50 })
      expect(log.lines.filter((l) => l.level === "INFO").at(-1)?.annotations).toMatchObject({
        configurationReload: "applied",
        reloadsApplied: 1,
        reloadsRejected: 1
      })
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("a section nobody read does not hold back a reload", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, { reloadOnChange: false })
    return Effect.gen(function*() {
      yield* write(dir, "appsettings.json", { Features: { Greeting: "" } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      // Watching it now fails: it is invalid in the configuration in force.
      const error = yield* Effect.flip(FeatureSettings.live.get)
      expect(error.keys).toEqual(["Features:Greeting"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a file that appears or disappears is a change; a required key gone with it rejects the reload", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, { reloadOnChange: false })
    return Effect.gen(function*() {
      yield* FeatureSettings.live.get
      yield* write(dir, "appsettings.Production.json", { Features: { Greeting: "from production" } })
      expect(yield* HostConfiguration.reload).toMatchObject({ _tag: "Applied", keys: ["Features:Greeting"] })
      expect((yield* FeatureSettings.live.get).Greeting).toBe("from production")
      yield* Effect.sync(() => fs.unlinkSync(path.join(dir, "appsettings.Production.json")))
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      expect((yield* FeatureSettings.live.get).Greeting).toBe("hello")
      yield* Effect.sync(() => fs.unlinkSync(path.join(dir, "appsettings.json")))
      const result = yield* HostConfiguration.reload
      expect(result._tag === "Rejected" && result.error.message).toMatch(/Features:Greeting: is missing/)
      expect((yield* FeatureSettings.live.get).Greeting).toBe("hello")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a comment or the layout changing is no reload; nor is reading the same files again", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, { reloadOnChange: false })
    const log = recording()
    return Effect.gen(function*() {
      expect(yield* HostConfiguration.reload).toEqual({ _tag: "Unchanged" })
      yield* write(dir, "appsettings.json", "// the greeting\n{ \"Features\": { \"Greeting\": \"hello\" } }\n")
      expect(yield* HostConfiguration.reload).toEqual({ _tag: "Unchanged" })
      expect(log.lines).toEqual([])
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("going back to the configuration in force after a rejected edit says so", () => {
    const original = { Features: { Greeting: "hello" } }
    const { dir, layer } = setup({ "appsettings.json": original }, { reloadOnChange: false })
    const log = recording()
    return Effect.gen(function*() {
      yield* FeatureSettings.live.get
      yield* write(dir, "appsettings.json", "{")
      expect((yield* HostConfiguration.reload)._tag).toBe("Rejected")
      yield* write(dir, "appsettings.json", original)
      expect(yield* HostConfiguration.reload).toEqual({ _tag: "Unchanged" })
      expect(log.lines.map((l) => l.level)).toEqual(["WARN", "INFO"])
      expect(log.lines[1]?.message).toMatch(/^Configuration files are valid again .*; the configuration in force is unchanged$/)
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("changes emits the current value, then one value per reload that changed the section", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "a" }, Other: 1 } }, { reloadOnChange: false })
    return Effect.gen(function*() {
      const seen: Array<string> = []
      const fiber = yield* FeatureSettings.changes.pipe(
        Stream.runForEach((f) => Effect.sync(() => void seen.push(f.Greeting))),
        Effect.fork
      )
      yield* eventually(Effect.sync(() => seen.length), (n) => n === 1, "the first value")
      for (const [greeting, other] of [["b", 1], ["b", 2], ["c", 2]] as const) {
        yield* write(dir, "appsettings.json", { Features: { Greeting: greeting }, Other: other })
        expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      }
      yield* eventually(Effect.sync(() => seen.length), (n) => n === 3, "three values")
      // `Other:2` changed another section: no value for it.
      expect(seen).toEqual(["a", "b", "c"])
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(layer))
  })

  it.effect("the debug view shows the values in force, what changed since start and the reloads; secrets stay masked", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" }, Api: { Token: "t-start" } } }, { reloadOnChange: false })
    const log = recording()
    return Effect.gen(function*() {
      yield* write(dir, "appsettings.json", { Features: { Greeting: "hi" }, Api: { Token: "t-reloaded" } })
      expect(yield* HostConfiguration.reload).toMatchObject({ _tag: "Applied", keys: ["Api:Token", "Features:Greeting"] })
      const view = yield* HostConfiguration.debugView()
      expect(view).toMatch(/Features:Greeting += hi {2}\(file .*appsettings\.json, changed since start\)/)
      expect(view).toMatch(/Api:Token += <redacted> {2}\(file .*, changed since start\)/)
      expect(view).toMatch(/Reload on change: off/)
      expect(view).toMatch(/Reloads: 1 applied \(last at 1970-01-01T00:00:00\.000Z\), 0 rejected/)
      const entries = yield* HostConfiguration.entries({ section: "Api" })
      expect(entries).toEqual([{ key: "Api:Token", value: "<redacted>", source: { _tag: "File", path: path.join(dir, "appsettings.json") }, secret: true, changedSinceStart: true }])
      for (const text of [view, ...log.lines.map((l) => l.message)]) {
        expect(text).not.toContain("t-start")
        expect(text).not.toContain("t-reloaded")
      }
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("a secret declared by Schema.Redacted is never quoted in a rejection", () => {
    const Db = Schema.Struct({ Pass: Schema.Redacted(Schema.String.pipe(Schema.minLength(8))) })
    const { dir, layer } = setup({ "appsettings.json": { Db: { Pass: "long-enough" } } }, { reloadOnChange: false })
    const log = recording()
    return Effect.gen(function*() {
      expect(Redacted.value((yield* Settings.live("Db", Db).get).Pass)).toBe("long-enough")
      yield* write(dir, "appsettings.json", { Db: { Pass: "shorty" } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Rejected")
      const warning = log.lines.find((l) => l.level === "WARN")?.message ?? ""
      expect(warning).toContain("Db:Pass")
      expect(warning).not.toContain("shorty")
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("reloadDelay is validated like the other options given in code", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(HostConfiguration.make(isolated({ reloadDelay: -5 })))
      expect(error.issues).toEqual([{ key: "reloadDelay", message: expect.stringMatching(/^Expected a duration >= 0/), source: { _tag: "Option" } }])
    }))

  it.effect("info reports the files as they are now", () => {
    const { dir, layer } = setup({ "appsettings.json": {} }, { reloadOnChange: false })
    return Effect.gen(function*() {
      yield* write(dir, "appsettings.Production.json", { A: 1 })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      const info = yield* HostConfiguration.info
      expect(Option.map(info, (i) => i.files.map((f) => [path.basename(f.path), f.loaded]))).toEqual(
        Option.some([["appsettings.json", true], ["appsettings.Production.json", true]])
      )
    }).pipe(Effect.provide(layer))
  })

  it.effect("without effect-host's provider: nothing reloads, live is the one value", () =>
    Effect.gen(function*() {
      expect(yield* HostConfiguration.reload).toEqual({ _tag: "NotReloadable" })
      expect(yield* FeatureSettings.live.get).toEqual({ Greeting: "from the map", Percent: 0 })
      const values = yield* FeatureSettings.changes.pipe(Stream.take(1), Stream.runCollect)
      expect(Chunk.toReadonlyArray(values)).toEqual([{ Greeting: "from the map", Percent: 0 }])
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["Features.Greeting", "from the map"]])))))
})

// ---------------------------------------------------------------------------------------------
// In a host: the host's keys and the host logger
// ---------------------------------------------------------------------------------------------

const messages = (lines: ReadonlyArray<string>) => lines.map((line) => (JSON.parse(line) as { message: string }).message)

/** @effect/vitest removes Effect's default logger; a real program has it (and the host replaces it). */
const withDefaultLogger = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locallyWith(effect, FiberRef.currentLoggers, HashSet.add(Logger.defaultLogger))

describe("in a host", () => {
  const hostOver = (dir: string) => Host.make([], { configuration: isolated({ contentRoot: dir }) })

  it.effect("a log level change takes effect on the next line, both ways", () => {
    const dir = contentRoot({ "appsettings.json": { Logging: { LogLevel: { Default: "Information" } } } })
    const captured = captureConsole()
    return Effect.gen(function*() {
      yield* watching
      yield* Effect.logDebug("debug 1")
      yield* Effect.logInfo("info 1")
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Debug" } } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      yield* Effect.logDebug("debug 2")
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Warning" } } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      yield* Effect.logInfo("info 2")
      yield* Effect.logWarning("warning 1")
      expect(messages(captured.stdout)).toEqual([
        "info 1",
        expect.stringMatching(/^Configuration reloaded from .*appsettings\.json: 1 key changed: Logging:LogLevel:Default$/),
        "debug 2"
        // The second reload's line is Information: below Warning, as asked.
      ])
      expect(messages(captured.stderr)).toEqual(["warning 1"])
    }).pipe(Effect.provide(hostOver(dir)), withDefaultLogger, Effect.withConsole(captured.console))
  })

  it.effect("at the default level the host logs no line per service; its progress is Debug, per service's category too", () => {
    const captured = captureConsole()
    const services = ["Db", "Cache"].map((name) => HostedService.make(name, { start: Effect.void, stop: Effect.void }))
    const run = (values: Record<string, unknown>) =>
      Effect.scoped(Layer.build(Host.make(services, { configuration: isolated({ contentRoot: contentRoot(), values }) })))
    return Effect.gen(function*() {
      yield* run({})
      expect(messages(captured.stdout)).toEqual([])
      yield* run({ Logging: { LogLevel: { Db: "Debug" } } })
      const lines = captured.stdout.map((line) => JSON.parse(line) as { message: string; logLevel: string })
      expect(lines).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^Hosted service Db started in \d+ms$/), logLevel: "DEBUG" }),
        expect.objectContaining({ message: expect.stringMatching(/^Hosted service Db stopped in \d+ms$/), logLevel: "DEBUG" })
      ])
    }).pipe(withDefaultLogger, Effect.withConsole(captured.console))
  })

  it.effect("the host's own lines follow the level too: none below it at start, every one after a reload lowers it", () => {
    const dir = contentRoot({ "appsettings.json": { Logging: { LogLevel: { Default: "Warning" } } } })
    const captured = captureConsole()
    const worker = HostedService.make("Worker", { start: Effect.void, stopping: Effect.void, stop: Effect.void })
    return Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(Host.make([worker], { configuration: isolated({ contentRoot: dir }) }))
        yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Debug" } } })
        expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      }))
      expect(messages(captured.stdout)).toEqual([
        expect.stringMatching(/^Configuration reloaded from .*appsettings\.json: 1 key changed: Logging:LogLevel:Default$/),
        "Stopping hosted services",
        expect.stringMatching(/^Hosted service Worker stopping hook done in \d+ms$/),
        expect.stringMatching(/^Hosted service Worker stopped in \d+ms$/)
      ])
    }).pipe(withDefaultLogger, Effect.withConsole(captured.console))
  })

  it.effect("per-category levels, the format and the output follow too", () => {
    const dir = contentRoot({ "appsettings.json": { Logging: { LogLevel: { Default: "Warning" } } } })
    const captured = captureConsole()
    const worker = (message: string) => Effect.annotateLogs(Effect.logDebug(message), "service", "Worker")
    return Effect.gen(function*() {
      yield* watching
      yield* worker("worker 1")
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Warning", Worker: "Debug" }, Format: "logfmt", Output: "stderr" } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      yield* worker("worker 2")
      yield* Effect.logInfo("plain info")
      expect(captured.stdout).toEqual([])
      expect(captured.stderr).toHaveLength(1)
      expect(captured.stderr[0]).toMatch(/level=DEBUG .*message="worker 2"/)
    }).pipe(Effect.provide(hostOver(dir)), withDefaultLogger, Effect.withConsole(captured.console))
  })

  it.effect("other loggers see what the current lowest level lets through, as the fiber's minimum level did", () => {
    const dir = contentRoot({ "appsettings.json": { Logging: { LogLevel: { Default: "Information" } } } })
    const captured = captureConsole()
    const theirs: Array<Line> = []
    return Effect.gen(function*() {
      yield* watching
      yield* Effect.logDebug("debug 1")
      yield* Effect.logInfo("info 1")
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Debug" } } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      yield* Effect.logDebug("debug 2")
      expect(theirs.map((l) => l.message).filter((m) => !m.startsWith("Configuration"))).toEqual(["info 1", "debug 2"])
    }).pipe(
      Effect.provide(hostOver(dir)),
      Effect.provide(Logger.add(Logger.make((options) => recordInto(theirs, options)))),
      withDefaultLogger,
      Effect.withConsole(captured.console)
    )
  })

  it.effect("an invalid Logging key or host option rejects the reload; the logger keeps its settings", () => {
    const dir = contentRoot({ "appsettings.json": { Logging: { LogLevel: { Default: "Information" } } } })
    const captured = captureConsole()
    return Effect.gen(function*() {
      yield* watching
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Debug", Db: "Loud" } }, shutdownTimeoutSeconds: -1 })
      const result = yield* HostConfiguration.reload
      expect(result._tag === "Rejected" && result.error.keys).toEqual(["shutdownTimeoutSeconds", "Logging:LogLevel:Db"])
      yield* Effect.logDebug("still below the level")
      expect(messages(captured.stdout)).toEqual([])
      expect(messages(captured.stderr)).toEqual([expect.stringMatching(/^Configuration reload rejected.*Logging:LogLevel:Db: Expected a log level.*"Loud"/)])
    }).pipe(Effect.provide(hostOver(dir)), withDefaultLogger, Effect.withConsole(captured.console))
  })

  it.effect("reloadOnChange: false watches nothing, and the logger's levels are fixed (dropped at the fiber's minimum level)", () => {
    const dir = contentRoot({ "appsettings.json": { Logging: { LogLevel: { Default: "Information" } } } })
    const captured = captureConsole()
    return Effect.gen(function*() {
      expect(yield* HostConfiguration.debugView()).toMatch(/Reload on change: off/)
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Debug" } } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      yield* Effect.logDebug("debug")
      expect(messages(captured.stdout)).toEqual([expect.stringMatching(/^Configuration reloaded/)])
    }).pipe(
      Effect.provide(Host.make([], { configuration: isolated({ contentRoot: dir, reloadOnChange: false }) })),
      withDefaultLogger,
      Effect.withConsole(captured.console)
    )
  })
})

/** Records a log line (for a logger of the program's own). */
const recordInto = (lines: Array<Line>, options: Logger.Logger.Options<unknown>) => {
  const text = Array.isArray(options.message) ? options.message.map(String).join(" ") : String(options.message)
  lines.push({ level: options.logLevel.label, message: text, annotations: {} })
}

// ---------------------------------------------------------------------------------------------
// The watcher: real file events, timers on the TestClock
// ---------------------------------------------------------------------------------------------

/** After a file event: lets the save's other events arrive (each restarts the debounce), then moves the clock past it. */
const quietFor = (delay: Duration.DurationInput) =>
  Effect.gen(function*() {
    yield* pendingTimer
    yield* realSleep(100)
    yield* TestClock.adjust(delay)
  })

const greeting = Effect.map(FeatureSettings.live.get, (f) => f.Greeting)

describe("the watcher", () => {
  it.effect("an edit applies once the files were quiet for reloadDelay, not before", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } })
    return Effect.gen(function*() {
      expect(yield* greeting).toBe("hello")
      yield* watching
      yield* write(dir, "appsettings.json", { Features: { Greeting: "bonjour" } })
      yield* pendingTimer
      yield* realSleep(200)
      yield* TestClock.adjust(Duration.millis(249))
      yield* realSleep(100)
      expect(yield* greeting).toBe("hello")
      yield* TestClock.adjust(Duration.millis(1))
      yield* eventually(greeting, (g) => g === "bonjour", "the reload")
    }).pipe(Effect.provide(layer))
  })

  it.effect("the delay is an option", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, { reloadDelay: "2 seconds" })
    return Effect.gen(function*() {
      yield* watching
      yield* write(dir, "appsettings.json", { Features: { Greeting: "bonjour" } })
      yield* quietFor(Duration.millis(1999))
      yield* realSleep(100)
      expect(yield* greeting).toBe("hello")
      yield* TestClock.adjust(Duration.millis(1))
      yield* eventually(greeting, (g) => g === "bonjour", "the reload")
      expect(yield* HostConfiguration.debugView()).toMatch(/after 2s without changes/)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an editor's save (a new file renamed over the old one) is seen, and so is the next one", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } })
    return Effect.gen(function*() {
      yield* watching
      for (const next of ["bonjour", "hallo"]) {
        yield* replace(dir, "appsettings.json", { Features: { Greeting: next } })
        yield* quietFor("250 millis")
        yield* eventually(greeting, (g) => g === next, `the reload to ${next}`)
      }
    }).pipe(Effect.provide(layer))
  })

  it.effect("a file that appears, then disappears", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } })
    return Effect.gen(function*() {
      yield* watching
      yield* write(dir, "appsettings.Production.json", { Features: { Greeting: "from production" } })
      yield* quietFor("250 millis")
      yield* eventually(greeting, (g) => g === "from production", "the new file")
      yield* Effect.sync(() => fs.unlinkSync(path.join(dir, "appsettings.Production.json")))
      yield* quietFor("250 millis")
      yield* eventually(greeting, (g) => g === "hello", "the file gone")
    }).pipe(Effect.provide(layer))
  })

  it.effect("an invalid edit through the watcher is rejected, one warning; the next valid one applies", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } })
    const log = recording()
    return Effect.gen(function*() {
      expect(yield* greeting).toBe("hello")
      yield* watching
      yield* write(dir, "appsettings.json", { Features: { Greeting: "hello", Percent: "lots" } })
      yield* quietFor("250 millis")
      yield* eventually(Effect.sync(() => log.lines.filter((l) => l.level === "WARN")), (w) => w.length > 0, "the rejection")
      const warnings = log.lines.filter((l) => l.level === "WARN").map((l) => l.message)
      expect(warnings, warnings.join("\n")).toEqual([
        expect.stringMatching(/^Configuration reload rejected.* changed; Features:Percent: Expected number, actual "lots" \(from file .*appsettings\.json\)$/)
      ])
      expect(yield* FeatureSettings.live.get).toEqual({ Greeting: "hello", Percent: 0 })
      yield* write(dir, "appsettings.json", { Features: { Greeting: "hello", Percent: 5 } })
      yield* quietFor("250 millis")
      yield* eventually(FeatureSettings.live.get, (f) => f.Percent === 5, "the valid edit")
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("a watched directory that vanishes is logged, not fatal; when it is back, the files are read again", () => {
    const dir = contentRoot()
    const config = path.join(dir, "config")
    fs.mkdirSync(config)
    fs.writeFileSync(path.join(config, "appsettings.json"), JSON.stringify({ Features: { Greeting: "hello" } }))
    const layer = HostConfiguration.layer(isolated({ contentRoot: dir, files: ["config/appsettings.json"] }))
    const log = recording()
    const lines = Effect.sync(() => log.lines.map((l) => `${l.level} ${l.message}`))
    return Effect.gen(function*() {
      yield* watching
      yield* Effect.sync(() => fs.rmSync(config, { recursive: true }))
      yield* eventually(lines, (ls) => ls.some((l) => /^WARN Configuration reload: stopped watching .*config: was removed; looking again every 5s/.test(l)), "the warning")
      expect(yield* HostConfiguration.debugView()).toMatch(/watch lost, looking again/)
      yield* Effect.sync(() => {
        fs.mkdirSync(config)
        fs.writeFileSync(path.join(config, "appsettings.json"), JSON.stringify({ Features: { Greeting: "back" } }))
      })
      yield* TestClock.adjust("5 seconds")
      yield* eventually(lines, (ls) => ls.some((l) => /^INFO Configuration reload: watching .*config again$/.test(l)), "the watch again")
      yield* eventually(Settings.live("Features", Features).get, (f) => f.Greeting === "back", "the catch-up read")
      // And it watches the new directory.
      yield* write(config, "appsettings.json", { Features: { Greeting: "later" } })
      yield* TestClock.adjust("5 seconds")
      yield* eventually(Settings.live("Features", Features).get, (f) => f.Greeting === "later", "a later edit")
    }).pipe(Effect.provide(layer), Effect.provide(log.layer))
  })

  it.effect("an empty watched directory that vanishes (its loss the only event) is watched again, and later edits still reload", () => {
    const dir = contentRoot()
    const config = path.join(dir, "config")
    fs.mkdirSync(config)
    const layer = HostConfiguration.layer(isolated({ contentRoot: dir, files: ["config/appsettings.json"] }))
    const view = HostConfiguration.debugView()
    const greeting = Effect.map(Settings.live("Features", Features).get, (f) => f.Greeting)
    return Effect.gen(function*() {
      yield* watching
      yield* Effect.sync(() => fs.rmSync(config, { recursive: true }))
      yield* eventually(view, (v) => /watch lost, looking again/.test(v), "the lost watch")
      yield* Effect.sync(() => {
        fs.mkdirSync(config)
        fs.writeFileSync(path.join(config, "appsettings.json"), JSON.stringify({ Features: { Greeting: "back" } }))
      })
      yield* TestClock.adjust("5 seconds")
      yield* watching
      yield* eventually(greeting, (g) => g === "back", "the catch-up read")
      yield* write(config, "appsettings.json", { Features: { Greeting: "later" } })
      yield* quietFor("250 millis")
      yield* eventually(greeting, (g) => g === "later", "a later edit")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a directory that does not exist yet is looked at every 5 s, watched once it appears; the scope's end stops the looking", () => {
    const dir = contentRoot()
    const config = path.join(dir, "later")
    const layer = HostConfiguration.layer(isolated({ contentRoot: dir, files: ["later/appsettings.json"] }))
    const view = HostConfiguration.debugView()
    const log = recording()
    return Effect.gen(function*() {
      yield* Effect.gen(function*() {
        yield* eventually(view, (v) => /later \(appsettings\.json: waiting/.test(v), "waiting for the directory")
        yield* TestClock.adjust("5 seconds")
        expect(yield* view).toMatch(/later \(appsettings\.json: waiting/)
        yield* Effect.sync(() => {
          fs.mkdirSync(config)
          fs.writeFileSync(path.join(config, "appsettings.json"), JSON.stringify({ Features: { Greeting: "found" } }))
        })
        yield* TestClock.adjust("5 seconds")
        yield* watching
        // Read at once when the watch began: the file was written before it.
        yield* eventually(Settings.live("Features", Features).get, (f) => f.Greeting === "found", "the catch-up read")
        // The directory goes again: looked at every 5 s again, until the scope ends.
        yield* Effect.sync(() => fs.rmSync(config, { recursive: true }))
        yield* eventually(view, (v) => /watch lost, looking again/.test(v), "the lost watch")
        yield* pendingTimer
      }).pipe(Effect.provide(layer))
      // The scope is closed: the directory coming back is no longer looked at.
      const before = log.lines.length
      yield* Effect.sync(() => fs.mkdirSync(config))
      yield* TestClock.adjust("10 seconds")
      yield* realSleep(100)
      expect(log.lines.slice(before).map((l) => l.message)).toEqual([])
    }).pipe(Effect.provide(log.layer))
  })

  it.effect("with reloadOnChange: false on a file, only the others are watched", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } }, {
      files: [{ path: "appsettings.json", reloadOnChange: false }, "extra.json"]
    })
    return Effect.gen(function*() {
      yield* watching
      const view = yield* HostConfiguration.debugView()
      expect(view).toContain(`${dir} (extra.json: watching)`)
      expect(view).not.toMatch(/appsettings\.json: watching/)
      yield* write(dir, "extra.json", { Features: { Greeting: "extra" } })
      yield* quietFor("250 millis")
      yield* eventually(greeting, (g) => g === "extra", "the watched file")
    }).pipe(Effect.provide(layer))
  })

  it.effect("two scopes watch one configuration: the watch lasts as long as the longest", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } })
    return Effect.gen(function*() {
      // A host inside the layer's scope reuses its provider and watches it too, for its own scope.
      yield* Effect.scoped(Layer.build(Host.make([])))
      yield* watching
      yield* write(dir, "appsettings.json", { Features: { Greeting: "still watched" } })
      yield* quietFor("250 millis")
      yield* eventually(greeting, (g) => g === "still watched", "the reload")
    }).pipe(Effect.provide(layer))
  })

  it.effect.runIf(process.platform === "linux")(
    "two configurations watching one directory (one began as another ended) each reload on an edit, over one system watch, released once both ended",
    () => {
      const dir = contentRoot({ "appsettings.json": { Features: { Greeting: "hello" } } })
      const layerOf = () => HostConfiguration.layer(isolated({ contentRoot: dir }))
      /** The inotify watches this process holds (Linux: one line per watch in the fd's fdinfo). */
      const systemWatches = Effect.sync(() => {
        let count = 0
        for (const fd of fs.readdirSync("/proc/self/fd")) {
          try {
            if (!fs.readlinkSync(`/proc/self/fd/${fd}`).includes("inotify")) continue
            count += fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").split("\n").filter((l) => l.startsWith("inotify")).length
          } catch {
            // An fd closed meanwhile.
          }
        }
        return count
      })
      return Effect.gen(function*() {
        const before = yield* systemWatches
        // One configuration ends and the next begins right away: the second takes the watch over.
        yield* Effect.provide(Effect.void, layerOf())
        const ready = yield* Effect.all([Deferred.make<void>(), Deferred.make<void>()])
        const edited = yield* Deferred.make<void>()
        const reader = (signal: Deferred.Deferred<void>) =>
          Effect.gen(function*() {
            yield* watching
            yield* Deferred.succeed(signal, undefined)
            yield* Deferred.await(edited)
            return yield* eventually(greeting, (g) => g === "edited", "the reload")
          }).pipe(Effect.provide(layerOf()))
        const readers = yield* Effect.fork(Effect.all(ready.map(reader), { concurrency: "unbounded" }))
        yield* Effect.all(ready.map(Deferred.await))
        expect(yield* systemWatches).toBe(before + 1)
        yield* write(dir, "appsettings.json", { Features: { Greeting: "edited" } })
        yield* Deferred.succeed(edited, undefined)
        yield* quietFor("250 millis")
        expect(yield* Fiber.join(readers)).toEqual(["edited", "edited"])
        yield* eventually(systemWatches, (n) => n === before, "the watch to close")
      })
    }
  )

  it.effect("a closed scope stops the watch: no watcher, no timer, later edits are not read", () => {
    const { dir, layer } = setup({ "appsettings.json": { Features: { Greeting: "hello" } } })
    return Effect.gen(function*() {
      // The configuration behind the provider outlives the scope here, so it can be asked afterwards.
      const configuration = yield* Effect.gen(function*() {
        yield* watching
        return yield* Configuration.current
      }).pipe(Effect.provide(layer))
      const live = configuration?.live
      if (configuration === undefined || live === undefined) return yield* Effect.dieMessage("expected a reloadable configuration")
      expect(yield* Watcher.isWatching(live)).toBe(false)
      yield* write(dir, "appsettings.json", { Features: { Greeting: "unseen" } })
      yield* realSleep(300)
      expect(Chunk.size(yield* TestClock.sleeps())).toBe(0)
      yield* TestClock.adjust("10 seconds")
      expect((yield* SubscriptionRef.get(live.state)).version).toBe(0)
      expect(yield* Effect.withConfigProvider(HostConfiguration.debugView(), Provider.make(configuration))).toMatch(/not watched/)
    })
  })
})

describe("HostLogger.layer", () => {
  it.effect("follows the Logging section of a configuration that reloads, for its scope", () => {
    const { dir, layer } = setup({ "appsettings.json": { Logging: { LogLevel: { Default: "Warning" } } } })
    const captured = captureConsole()
    return Effect.gen(function*() {
      yield* Effect.logInfo("info 1")
      yield* write(dir, "appsettings.json", { Logging: { LogLevel: { Default: "Information" } } })
      expect((yield* HostConfiguration.reload)._tag).toBe("Applied")
      yield* Effect.logInfo("info 2")
      expect(messages(captured.stdout)).toEqual([expect.stringMatching(/^Configuration reloaded/), "info 2"])
    }).pipe(
      Effect.provide(HostLogger.layer({ isDevelopment: false })),
      Effect.provide(layer),
      withDefaultLogger,
      Effect.withConsole(captured.console)
    )
  })
})
