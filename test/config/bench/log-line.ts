/**
 * The per-line cost of a host logger that follows reloads, against the fixed logger it replaces.
 *
 * Run: `node --import tsx test/config/bench/log-line.ts` (optionally a line count, default 1e6).
 *
 * For each logger, `N` lines in one fiber, best of 7 alternating rounds after a warm-up rounds, in ns per line:
 *   - a Debug line below the configured Information (dropped): the fixed logger drops it at the
 *     fiber's minimum level, the following logger only in the logger (the minimum is `All`);
 *   - an Information line written as JSON to a Console that discards it;
 *   - the same Information line with a per-category level configured (a map lookup per line).
 * The following logger is measured as the host installs it, with Effect's tracer logger present
 * and gated by the current lowest level.
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import type { HostLogger } from "effect-host"
import * as Logger from "../../../src/internal/config/logger.js"

const N = Number(process.argv[2] ?? 1_000_000)

const real = Context.get(DefaultServices.liveServices, Console.Console)
const silent: Console.Console = { ...real, unsafe: { ...real.unsafe, log: () => {}, error: () => {}, info: () => {} } }

const settings = (categories: ReadonlyMap<string, LogLevel.LogLevel>): HostLogger.Settings => ({
  ...Logger.defaults,
  format: "json",
  categories
})

type Install = (s: HostLogger.Settings) => Effect.Effect<void, never, Scope.Scope>

const fixed: Install = (s) => Logger.install(Logger.make(s), s)
const following: Install = (s) => Effect.asVoid(Logger.installFollowing(new Logger.Current(s, { isDevelopment: false })))

const lines = (line: Effect.Effect<void>) =>
  Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* line
  })

const round = (install: Install, s: HostLogger.Settings, line: Effect.Effect<void>): number =>
  Effect.runSync(Effect.scoped(Effect.gen(function*() {
    yield* install(s)
    const started = performance.now()
    yield* lines(line)
    return ((performance.now() - started) * 1e6) / N
  })).pipe(Effect.withConsole(silent)))

/** Both loggers, one round each in turn (the machine's load hits both alike), after a warm-up; the best round of each. */
const compare = (s: HostLogger.Settings, line: Effect.Effect<void>): readonly [number, number] => {
  round(fixed, s, line)
  round(following, s, line)
  let a = Number.POSITIVE_INFINITY
  let b = Number.POSITIVE_INFINITY
  for (let i = 0; i < 7; i++) {
    a = Math.min(a, round(fixed, s, line))
    b = Math.min(b, round(following, s, line))
  }
  return [a, b]
}

const cases: ReadonlyArray<readonly [string, HostLogger.Settings, Effect.Effect<void>]> = [
  ["Debug line, dropped (level Information)", settings(new Map()), Effect.logDebug("tick")],
  ["Information line, written as JSON", settings(new Map()), Effect.logInfo("tick")],
  [
    "Information line, per-category levels set",
    settings(new Map([["worker", LogLevel.Warning]])),
    Effect.annotateLogs(Effect.logInfo("tick"), "service", "Api")
  ]
]

console.log(`${N} lines per round, best of 7 alternating rounds after a warm-up, ns per line (node ${process.version})`)
console.log("| line | fixed logger | following logger | difference |")
console.log("|---|---|---|---|")
for (const [name, s, line] of cases) {
  const [a, b] = compare(s, line)
  console.log(`| ${name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b - a >= 0 ? "+" : "") + (b - a).toFixed(0)} ns (${(b / a).toFixed(2)}x) |`)
}
