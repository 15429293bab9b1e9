/**
 * Watching the configuration files: one watcher per configuration, opened by the first scope that
 * watches it (the host's, or `HostConfiguration.layer`'s) and closed when the last one closes.
 *
 *   - It watches the *directories* of the files with `reloadOnChange`, not the files: an editor
 *     that saves by writing a new file and renaming it over the old one, a file that appears or
 *     disappears, and Kubernetes' ConfigMap volumes (which swap a `..data` symlink) are all
 *     entries changing in the directory. Events for other names are ignored.
 *   - Events are debounced on the `Clock` (`reloadDelay`, 250 ms by default, as .NET's
 *     `ReloadDelay`): a save that writes in several steps is one reload, read once it is quiet.
 *   - Built from plain callbacks rather than streams, and with no fiber while nothing changes:
 *     the watches are opened (and the files read once more) on the fiber that opens the watcher
 *     and closed synchronously; the first change starts a fiber that debounces, reloads and ends
 *     when no change is left. Only a directory that cannot be watched gets a fiber of its own
 *     while it is looked at again. A watch's start and stop, with the catch-up read, costs about
 *     90 µs (it was about 170 µs with one fiber waiting for the whole time, and three times that
 *     with a fiber, a scope and a `Deferred` per directory and a `Queue`).
 *   - It never keeps the process alive (`persistent: false`) and never fails the host: a
 *     directory that vanishes or is replaced, or a watch the system refuses (too many watches), is
 *     logged once; the directory is looked at again every 5 seconds (on the `Clock`), and when it
 *     can be watched again the files are re-read at once (changes may have been missed).
 *
 * Node's `fs.watch` is used directly rather than `@effect/platform`'s `FileSystem.watch`: the
 * latter gives no point at which the watch is established (the catch-up read below needs one),
 * classifies a directory event by `stat`-ing the bare file name against the process's working
 * directory (not the watched one; a stat error other than "not found" fails the stream), and
 * keeps the process alive while it watches.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { logAbove } from "../logFloor.js"
import { acquireReleaseState } from "../scopedRefs.js"
import * as Live from "./live.js"
import type { Configuration } from "./provider.js"

/** How often a directory that cannot be watched is looked at again. */
export const retryInterval: Duration.Duration = Duration.seconds(5)

/** Why a directory is not watched (logged, never raised to the host). */
export class WatchError extends Data.TaggedError("ConfigurationWatchError")<{
  readonly directory: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? ` (${this.cause.message})` : ""
    return `${this.directory}: ${this.reason}${detail}`
  }
}

/** The directories to watch, each with the names (lower-cased) of the files it holds. */
export const directories = (configuration: Configuration): ReadonlyMap<string, ReadonlySet<string>> => {
  const out = new Map<string, Set<string>>()
  for (const file of configuration.live?.plan.files ?? []) {
    if (!file.reloadOnChange) continue
    const dir = path.dirname(file.path)
    const names = out.get(dir) ?? new Set<string>()
    names.add(path.basename(file.path).toLowerCase())
    out.set(dir, names)
  }
  return out
}

/** A watch that ended (the directory was removed or replaced, or the system ended it). */
class Lost {
  /** `opened`: which opening of the watch it was (a late report about an earlier one is stale). */
  constructor(readonly watch: DirectoryWatch, readonly opened: number, readonly error: WatchError) {}
}

/** What the callbacks tell the watcher: the name of an entry that changed, or a lost watch. */
type Message = string | Lost

/**
 * The watcher's messages: the callbacks push, its worker fiber takes. Plain rather than a `Queue`
 * (whose making and first wait cost two `Deferred`s, as much as the rest of a watch's start): a
 * message stays in the array until the fiber takes it, so a take interrupted by the debounce's
 * timeout loses nothing.
 */
class Inbox {
  private readonly items: Array<Message> = []
  private notify: (() => void) | undefined

  /** `arrived` hears of every message, after it is queued (the watcher starts its fiber there). */
  constructor(private readonly arrived: () => void) {}

  offer(message: Message): void {
    this.items.push(message)
    const notify = this.notify
    this.notify = undefined
    notify?.()
    this.arrived()
  }

  /** The oldest message, if there is one, without waiting. */
  poll(): Message | undefined {
    return this.items.shift()
  }

  private readonly arrival: Effect.Effect<void> = Effect.async<void>((resume) => {
    this.notify = () => resume(Effect.void)
    return Effect.sync(() => {
      this.notify = undefined
    })
  })

  readonly take: Effect.Effect<Message> = Effect.suspend(() => {
    const message = this.items.shift()
    return message !== undefined ? Effect.succeed(message) : Effect.zipRight(this.arrival, this.take)
  })
}

/** The directory's inode, or why there is none (a synchronous stat: microseconds, no scheduling). */
const inode = (directory: string): Either.Either<number, WatchError> => {
  try {
    const stat = fs.statSync(directory)
    return stat.isDirectory() ? Either.right(stat.ino) : Either.left(new WatchError({ directory, reason: "is not a directory" }))
  } catch (cause) {
    return Either.left(new WatchError({ directory, reason: "cannot be read", cause }))
  }
}

const isMissing = (error: WatchError): boolean =>
  typeof error.cause === "object" && error.cause !== null && "code" in error.cause && error.cause.code === "ENOENT"

/**
 * One directory's watch, as plain state: `fs.watch` with callbacks that offer to the watcher's
 * queue (nothing to schedule per event), opened and closed synchronously. The watcher opens it,
 * and only a watch that is lost (or could not be opened) gets a fiber of its own, the one that
 * looks at the directory again every `retryInterval`.
 */
class DirectoryWatch {
  private watcher: fs.FSWatcher | undefined
  /** How many times it was opened: a loss reported by an earlier opening is stale. */
  opened = 0
  /** Whether it was ever watched (a failure is then news), and whether this outage was logged. */
  watched = false
  reported = false

  constructor(readonly directory: string, readonly names: ReadonlySet<string>, private readonly messages: Inbox) {}

  /** Watches the directory, or says why it cannot. */
  open(): WatchError | undefined {
    const directory = this.directory
    const ino = inode(directory)
    if (Either.isLeft(ino)) return ino.left
    const own = path.basename(directory).toLowerCase()
    const opened = ++this.opened
    let lost = false
    const lose = (error: WatchError) => {
      if (lost) return
      lost = true
      this.messages.offer(new Lost(this, opened, error))
    }
    try {
      const watcher = fs.watch(directory, { persistent: false }, (_event, name) => {
        const lower = name?.toLowerCase() ?? null
        if (lower !== null && lower === own) {
          // Removed or replaced? A watch on it then sees nothing more.
          fs.stat(directory, (error, stat) => {
            if (error !== null) {
              lose(error.code === "ENOENT"
                ? new WatchError({ directory, reason: "was removed" })
                : new WatchError({ directory, reason: "cannot be read", cause: error }))
            } else if (stat.ino !== ino.right) lose(new WatchError({ directory, reason: "was replaced" }))
          })
        }
        if (lower === null || this.names.has(lower) || lower.startsWith("..")) this.messages.offer(name ?? directory)
      })
      watcher.on("error", (cause) => lose(new WatchError({ directory, reason: "the watch failed", cause })))
      this.watcher = watcher
      return undefined
    } catch (cause) {
      return new WatchError({ directory, reason: "cannot be watched", cause })
    }
  }

  close(): void {
    const watcher = this.watcher
    if (watcher === undefined) return
    this.watcher = undefined
    watcher.close()
    // Node lets go of a closed watch in a later turn of the event loop; until then its listeners
    // would keep this watcher, and through its runtime the whole host, on the heap. A program
    // that starts hosts back to back on promise jobs alone never gives it that turn.
    watcher.removeAllListeners()
  }
}

const again = `looking again every ${Duration.format(retryInterval)} (the configuration in force stays)`

const setStatus = (live: Live.Live, directory: string, status: Live.DirectoryStatus) =>
  Ref.update(live.directories, (m) => new Map(m).set(directory, status))

/** Logs an outage once (until the directory is watched again). */
const report = (watch: DirectoryWatch, message: string, error: WatchError) =>
  Effect.suspend(() => {
    if (watch.reported) return Effect.void
    watch.reported = true
    return Effect.logWarning(message, ...(error.cause === undefined ? [] : [Cause.fail(error)]))
  })

/** A watch that could not be opened: why, in the log (once), and in the status. */
const notWatching = (live: Live.Live, watch: DirectoryWatch, error: WatchError) =>
  Effect.gen(function*() {
    if (!watch.watched && isMissing(error) && !watch.reported) {
      watch.reported = true
      yield* logAbove(LogLevel.Debug, `Configuration reload: ${watch.directory} does not exist; ${again}`)
    }
    yield* report(watch, `Configuration reload: not watching ${error.message}; ${again}`, error)
    yield* setStatus(live, watch.directory, watch.watched ? "lost" : "waiting")
  })

/** The watch is open: the status and the log line. */
const nowWatching = (live: Live.Live, watch: DirectoryWatch) =>
  Effect.gen(function*() {
    yield* setStatus(live, watch.directory, "watching")
    if (watch.watched) yield* Effect.logInfo(`Configuration reload: watching ${watch.directory} again`)
    // Every host logs this line: skipped before it is built when the host's logger drops it.
    else yield* logAbove(LogLevel.Debug, `Configuration reload: watching ${watch.directory} for ${[...watch.names].join(", ")}`)
    watch.watched = true
    watch.reported = false
  })

/**
 * Looks at a directory that is not watched every `retryInterval` (on the `Clock`) until it can
 * be watched again, then reads the files at once (changes may have been missed meanwhile).
 */
const recover = (configuration: Configuration, live: Live.Live, watch: DirectoryWatch): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (;;) {
      yield* Effect.sleep(retryInterval)
      const error = watch.open()
      if (error === undefined) break
      yield* notWatching(live, watch, error)
    }
    yield* nowWatching(live, watch)
    yield* reloadLogged(configuration, live)
  })

/** A lost watch: closed, logged, and looked at again from a fiber of its own (`retry`). */
const onLost = (live: Live.Live, { error, opened, watch }: Lost, retry: (watch: DirectoryWatch) => void) =>
  Effect.gen(function*() {
    // Reported by the stat of an earlier opening, after it was reopened: not about this one.
    if (opened !== watch.opened) return
    watch.close()
    yield* setStatus(live, watch.directory, "lost")
    yield* report(watch, `Configuration reload: stopped watching ${error.message}; ${again}`, error)
    retry(watch)
  })

/** Reloads and logs what went wrong instead of failing (an interruption still interrupts). */
const reloadLogged = (configuration: Configuration, live: Live.Live) =>
  Live.reload(configuration, live).pipe(
    Effect.asVoid,
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logError("Configuration reload failed unexpectedly; the previous configuration stays in force", cause)
    )
  )

/**
 * The watcher of one configuration. Opening it opens the directories' watches and reads what
 * changed before they were open, on the opening fiber; while nothing changes it has no fiber at
 * all. The first message (a change, a lost watch) starts one, with the opening fiber's runtime
 * (its logger, its `Clock`): it waits until the files have been quiet for `reloadDelay` (every
 * change meanwhile starts the wait again, on the `Clock`), reloads, and ends once no message is
 * left. A directory that cannot be watched gets a fiber of its own while it is looked at again.
 * Closing closes the watches at once and interrupts those fibers (and waits for them).
 */
class FileWatcher {
  private readonly messages: Inbox = new Inbox(() => this.arrived())
  private readonly watches: ReadonlyArray<DirectoryWatch>
  private readonly fibers = new Set<Fiber.RuntimeFiber<void>>()
  /** A worker runs (set before it starts: it may take a message and end before `runFork` returns). */
  private working = false
  private closed = false

  constructor(
    private readonly configuration: Configuration,
    private readonly live: Live.Live,
    private readonly runtime: Runtime.Runtime<never>,
    targets: ReadonlyMap<string, ReadonlySet<string>>
  ) {
    this.watches = [...targets].map(([directory, names]) => new DirectoryWatch(directory, names, this.messages))
  }

  /**
   * Runs `effect` in a fiber of its own with the watcher's runtime, until it ends or the watcher
   * closes. Interruptible explicitly: the runtime was taken in the uninterruptible acquire, and
   * its flags come with it.
   */
  private spawn(effect: Effect.Effect<void>): void {
    const fiber = Runtime.runFork(this.runtime)(Effect.interruptible(effect))
    this.fibers.add(fiber)
    fiber.addObserver(() => this.fibers.delete(fiber))
  }

  private readonly retry = (watch: DirectoryWatch): void => {
    if (!this.closed) this.spawn(recover(this.configuration, this.live, watch))
  }

  /** A message arrived: the worker takes it, started now if none runs. */
  private arrived(): void {
    if (this.closed || this.working) return
    this.working = true
    this.spawn(this.work)
  }

  /**
   * Takes messages until none is left, then ends. Ending is decided and recorded in one step, so
   * a message that arrives later starts a new worker.
   */
  private readonly work: Effect.Effect<void> = Effect.suspend(() => {
    const message = this.messages.poll()
    if (message === undefined) {
      this.working = false
      return Effect.void
    }
    if (message instanceof Lost) return Effect.zipRight(onLost(this.live, message, this.retry), this.work)
    return Effect.zipRight(Effect.zipRight(this.quiet, reloadLogged(this.configuration, this.live)), this.work)
  })

  /** Waits until no change has come for `reloadDelay`; lost watches meanwhile are handled. */
  private readonly quiet: Effect.Effect<void> = Effect.suspend(() =>
    Effect.flatMap(
      Effect.timeoutOption(this.messages.take, this.live.plan.reloadDelay),
      (next): Effect.Effect<void> =>
        Option.isNone(next)
          ? Effect.void
          : next.value instanceof Lost
          ? Effect.zipRight(onLost(this.live, next.value, this.retry), this.quiet)
          : this.quiet
    )
  )

  /** Opens the watches, then reads what changed before they were open. */
  readonly open: Effect.Effect<void> = Effect.suspend(() => {
    const opening = this.watches.map((watch) => {
      const error = watch.open()
      if (error === undefined) return nowWatching(this.live, watch)
      return Effect.zipRight(notWatching(this.live, watch, error), Effect.sync(() => this.retry(watch)))
    })
    const catchUp = Effect.flatMap(Live.filesChanged(this.live), (changed) => changed ? reloadLogged(this.configuration, this.live) : Effect.void)
    return Effect.zipRight(Effect.all(opening, { discard: true }), catchUp)
  })

  /** Closes the watches and interrupts the watcher's fibers (waiting for them). */
  readonly close: Effect.Effect<void> = Effect.suspend(() => {
    this.closed = true
    for (const watch of this.watches) watch.close()
    const fibers = [...this.fibers]
    return fibers.length === 0 ? Effect.void : Fiber.interruptAll(fibers)
  })
}

/**
 * Watches the files of `configuration` for the scope. The first scope opens the watcher, the
 * last one to close closes it (and waits for its fibers to end). The count changes
 * synchronously, before the watcher opens: a second scope meanwhile shares the one opening.
 */
export const watch = (configuration: Configuration): Effect.Effect<void, never, Scope.Scope> => {
  const live = configuration.live
  const targets = directories(configuration)
  if (live === undefined || targets.size === 0) return Effect.void
  const state = live.watcher
  // The release closes the watcher and resets state: nothing of the closing fiber's.
  return acquireReleaseState(
    Effect.suspend(() => {
      if (state.count++ > 0) return Effect.void
      return Effect.flatMap(Effect.runtime<never>(), (runtime) => {
        const watcher = new FileWatcher(configuration, live, runtime, targets)
        state.close = watcher.close
        return watcher.open
      })
    }),
    () =>
      Effect.suspend(() => {
        if (--state.count > 0) return Effect.void
        const close = state.close ?? Effect.void
        state.close = undefined
        return Effect.zipRight(close, Ref.set(live.directories, new Map()))
      })
  )
}

/** Whether a watcher runs for `live`. */
export const isWatching = (live: Live.Live): Effect.Effect<boolean> => Effect.sync(() => live.watcher.count > 0)
