/**
 * Reloading a configuration: what it is now, what a new one must pass, and `reload`.
 *
 *   - `state` is a `SubscriptionRef` of snapshots: the store as it is now, the files' status and
 *     a version (0 at start, one more per applied reload). Typed settings that watch
 *     (`Settings.live`) and the debug view read it; the provider keeps the start-time store, so
 *     plain `Config` reads see the values the program started with.
 *   - `checks` are what a new configuration must pass before it applies: every typed section read
 *     so far decodes, the host's own keys (options, environment, `Logging`) validate. A check may
 *     return a commit, run once every check passed (the host logger swaps its settings there, so
 *     the next line follows the new levels).
 *   - `reload` re-reads the files (the environment and the command line are the process's, read
 *     once), and applies the result whole or not at all: an unparsable file or a failing check
 *     rejects it, the previous configuration stays in force, and one log line names the files,
 *     the keys and the reasons.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { ReloadResult } from "../../HostConfiguration.js"
import * as Build from "./build.js"
import { ConfigurationError, formatIssue } from "./error.js"
import * as Provider from "./provider.js"
import type { Store } from "./store.js"
import { acquireReleaseState } from "../scopedRefs.js"
import { withSpanWhenTracing } from "../tracing.js"

export interface Snapshot {
  readonly store: Store
  readonly files: ReadonlyArray<Provider.FileStatus>
  /** 0 at start, one more per applied reload. */
  readonly version: number
}

/** A new configuration before it applies: its store, and a provider that reads it. */
export interface Candidate {
  readonly store: Store
  readonly provider: ConfigProvider.ConfigProvider
}

/**
 * What a new configuration must pass. `run` fails with the configuration's problems, or succeeds
 * with an optional commit, run synchronously when the configuration applies (after every check
 * passed, before the new snapshot is published).
 */
export interface Check {
  /** Two registrations with the same identity are one check (a section read twice). */
  readonly identity?: { readonly key: string; readonly schema: unknown } | undefined
  readonly run: (candidate: Candidate) => Effect.Effect<(() => void) | undefined, ConfigurationError>
}

/** How a watched directory is doing (the debug view shows it). */
export type DirectoryStatus = "watching" | "waiting" | "lost"

export interface Stats {
  readonly applied: number
  readonly rejected: number
  readonly lastApplied: Option.Option<number>
  readonly lastRejected: Option.Option<{ readonly at: number; readonly message: string }>
  /** The files as last read were rejected (a later read that matches the configuration in force says so). */
  readonly pendingRejection: boolean
}

/**
 * Who watches the files: plain state, changed synchronously (the first scope opens the watcher,
 * the last one closes it; see watcher.ts). A `SynchronizedRef` would serialize nothing more here
 * (opening and closing the watches is synchronous) and costs two semaphore trips per host.
 */
export interface Watcher {
  count: number
  /** Closes the file watcher (its watches, its fibers), while one runs. */
  close: Effect.Effect<void> | undefined
}

export interface Live {
  readonly plan: Build.Plan
  /** The store the configuration started with: what plain `Config` reads see. */
  readonly initial: Store
  readonly state: SubscriptionRef.SubscriptionRef<Snapshot>
  /** The file texts last read (applied or rejected): an event that changed no text is no reload. */
  readonly seen: Ref.Ref<ReadonlyMap<string, string | undefined>>
  readonly checks: Ref.Ref<ReadonlyArray<Check>>
  /** One reload at a time; a section that starts watching registers under it too. */
  readonly lock: Effect.Semaphore
  readonly stats: Ref.Ref<Stats>
  /** Who watches the files (reference-counted: the first one starts the watcher, the last one stops it). */
  readonly watcher: Watcher
  readonly directories: Ref.Ref<ReadonlyMap<string, DirectoryStatus>>
}

export const make = (built: Build.Built): Effect.Effect<Live> =>
  Effect.gen(function*() {
    const { configuration, plan, texts } = built
    return {
      plan,
      initial: configuration.store,
      state: yield* SubscriptionRef.make<Snapshot>({ store: configuration.store, files: configuration.files, version: 0 }),
      seen: yield* Ref.make(texts),
      checks: yield* Ref.make<ReadonlyArray<Check>>([]),
      lock: yield* Effect.makeSemaphore(1),
      stats: yield* Ref.make<Stats>({
        applied: 0,
        rejected: 0,
        lastApplied: Option.none(),
        lastRejected: Option.none(),
        pendingRejection: false
      }),
      watcher: { count: 0, close: undefined },
      directories: yield* Ref.make<ReadonlyMap<string, DirectoryStatus>>(new Map())
    }
  })

/**
 * Whether a change of a file reloads it (some file has `reloadOnChange`). Only then does the host
 * logger follow the `Logging` section: following costs every line below the levels a trip
 * through Effect's logging (the fiber's minimum level can no longer drop it first).
 */
export const reloadsOnChange = (live: Live): boolean => live.plan.files.some((file) => file.reloadOnChange)

/** Adds `check` unless one with the same identity is registered. */
export const register = (live: Live, check: Check): Effect.Effect<void> =>
  Ref.update(live.checks, (checks) => {
    const identity = check.identity
    const known = identity !== undefined &&
      checks.some((c) => c.identity !== undefined && c.identity.key === identity.key && c.identity.schema === identity.schema)
    return known ? checks : [...checks, check]
  })

/** Adds `check` for the scope. */
export const registerScoped = (live: Live, check: Check) =>
  acquireReleaseState(
    Ref.update(live.checks, (checks) => [...checks, check]),
    () => Ref.update(live.checks, (checks) => checks.filter((c) => c !== check))
  )

/** The files whose text differs between two reads. */
const changedFiles = (
  before: ReadonlyMap<string, string | undefined>,
  after: ReadonlyMap<string, string | undefined>
): ReadonlyArray<string> => [...after].filter(([file, text]) => before.get(file) !== text).map(([file]) => file)

/**
 * Whether a file's text now differs from the last read. Cheaper than `reload` when nothing
 * changed (no lock, no span): the watcher's catch-up read, microseconds after the build's.
 */
export const filesChanged = (live: Live): Effect.Effect<boolean> =>
  Effect.map(Ref.get(live.seen), (seen) => changedFiles(seen, Build.textsOf(Build.readTexts(live.plan))).length > 0)

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

const counters = (stats: Stats) => ({ reloadsApplied: stats.applied, reloadsRejected: stats.rejected })

/** Runs every check against `candidate`; a check that dies rejects the reload too (with its cause). */
const runChecks = (checks: ReadonlyArray<Check>, candidate: Candidate) =>
  Effect.forEach(checks, (check) => Effect.exit(check.run(candidate))).pipe(
    Effect.map((exits) => {
      const errors: Array<ConfigurationError> = []
      const commits: Array<() => void> = []
      const defects: Array<Cause.Cause<never>> = []
      for (const exit of exits) {
        if (Exit.isSuccess(exit)) {
          if (exit.value !== undefined) commits.push(exit.value)
          continue
        }
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure) && !Cause.isDie(exit.cause)) errors.push(failure.value)
        else {
          defects.push(exit.cause as Cause.Cause<never>)
          const squashed = Cause.squash(exit.cause)
          const reason = squashed instanceof Error ? squashed.message : String(squashed)
          errors.push(new ConfigurationError({ issues: [{ message: `a check of the new configuration failed unexpectedly: ${reason}` }] }))
        }
      }
      return { errors, commits, defects }
    })
  )

const reject = (
  live: Live,
  files: ReadonlyArray<string>,
  error: ConfigurationError,
  causes: ReadonlyArray<Cause.Cause<never>> = []
): Effect.Effect<ReloadResult> =>
  Effect.gen(function*() {
    const at = yield* Clock.currentTimeMillis
    const message = error.issues.map(formatIssue).join("; ")
    const stats = yield* Ref.updateAndGet(live.stats, (s) => ({
      ...s,
      rejected: s.rejected + 1,
      lastRejected: Option.some({ at, message }),
      pendingRejection: true
    }))
    yield* Effect.logWarning(
      `Configuration reload rejected, the previous configuration stays in force: ${files.join(", ")} changed; ${message}`,
      ...causes
    ).pipe(Effect.annotateLogs({ configurationReload: "rejected", ...counters(stats) }))
    return { _tag: "Rejected", files, error } as const
  })

/**
 * Re-reads the files of `configuration` and applies them when they parse and pass every check.
 * One reload at a time. Never fails: the outcome is the result (and one log line).
 */
export const reload = (configuration: Provider.Configuration, live: Live): Effect.Effect<ReloadResult> =>
  live.lock.withPermits(1)(Effect.gen(function*(): Effect.fn.Return<ReloadResult> {
    // Texts first: most reloads (the catch-up read when a watch begins, an editor's touch) find
    // every file as it was, and parsing and merging them would be thrown away.
    const reads = Build.readTexts(live.plan)
    const texts = Build.textsOf(reads)
    const files = changedFiles(yield* Ref.get(live.seen), texts)
    if (files.length === 0) return { _tag: "Unchanged" } as const
    yield* Ref.set(live.seen, texts)
    const read = Build.readFiles(live.plan, reads)
    if ("issues" in read.result) return yield* reject(live, files, new ConfigurationError({ issues: read.result.issues }))

    const store = read.result.store
    const current = yield* SubscriptionRef.get(live.state)
    if (current.store.sameAs(store)) {
      // A comment or the layout changed, or an edit went back to what is in force.
      const stats = yield* Ref.getAndUpdate(live.stats, (s) => ({ ...s, pendingRejection: false }))
      if (stats.pendingRejection) {
        yield* Effect.logInfo(`Configuration files are valid again (${files.join(", ")}); the configuration in force is unchanged`)
      }
      return { _tag: "Unchanged" } as const
    }

    const candidate: Candidate = {
      store,
      provider: Provider.make({ ...configuration, store, files: read.files, live: undefined })
    }
    const { commits, defects, errors } = yield* runChecks(yield* Ref.get(live.checks), candidate)
    if (errors.length > 0) return yield* reject(live, files, ConfigurationError.merge(errors), defects)

    const keys = current.store.changedKeys(store)
    const at = yield* Clock.currentTimeMillis
    const version = current.version + 1
    const stats = yield* Effect.uninterruptible(Effect.gen(function*() {
      for (const commit of commits) commit()
      yield* SubscriptionRef.set(live.state, { store, files: read.files, version })
      return yield* Ref.updateAndGet(live.stats, (s) => ({
        ...s,
        applied: s.applied + 1,
        lastApplied: Option.some(at),
        pendingRejection: false
      }))
    }))
    const what = keys.length === 0 ? "no value changed" : `${plural(keys.length, "key")} changed: ${keys.join(", ")}`
    yield* Effect.logInfo(`Configuration reloaded from ${files.join(", ")}: ${what}`).pipe(
      Effect.annotateLogs({ configurationReload: "applied", ...counters(stats) })
    )
    return { _tag: "Applied", files, keys, version } as const
  })).pipe(withSpanWhenTracing("HostConfiguration.reload", { captureStackTrace: false }))
