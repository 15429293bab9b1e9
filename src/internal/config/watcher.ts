/**
 * Watching the configuration files: one fiber per configuration, started by the first scope that
 * watches it (the host's, or `HostConfiguration.layer`'s) and interrupted when the last one closes.
 *
 *   - It watches the *directories* of the files with `reloadOnChange`, not the files: an editor
 *     that saves by writing a new file and renaming it over the old one, a file that appears or
 *     disappears, and Kubernetes' ConfigMap volumes (which swap a `..data` symlink) are all
 *     entries changing in the directory. Events for other names are ignored.
 *   - Events are debounced on the `Clock` (`reloadDelay`, 250 ms by default, as .NET's
 *     `ReloadDelay`): a save that writes in several steps is one reload, read once it is quiet.
 *   - Built from plain callbacks, a queue and a `Deferred` rather than streams: an event costs no
 *     scheduling, and the stop interrupts only waits (a few hops instead of a stream's dozens).
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
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as fs from "node:fs"
import * as path from "node:path"
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

/**
 * Watches `directory` for the scope: `onChange` hears the name of each entry that changed (`null`
 * when the platform does not say); the effect returned waits until the watch is lost (the system
 * ends it, or the directory is removed or replaced: an event named like the directory itself),
 * and succeeds with why. Plain callbacks and a `Deferred`: nothing to schedule per event, and
 * nothing but a wait to interrupt at the stop.
 */
const watchFor = (
  directory: string,
  ino: number,
  onChange: (name: string | null) => void
): Effect.Effect<Effect.Effect<WatchError>, WatchError, Scope.Scope> =>
  Effect.gen(function*() {
    const lost = yield* Deferred.make<WatchError>()
    const lose = (error: WatchError) => Deferred.unsafeDone(lost, Exit.succeed(error))
    const own = path.basename(directory).toLowerCase()
    yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const watcher = fs.watch(directory, { persistent: false }, (_event, name) => {
            if (name !== null && name.toLowerCase() === own) {
              // Removed or replaced? A watch on it then sees nothing more.
              fs.stat(directory, (error, stat) => {
                if (error !== null) {
                  lose(error.code === "ENOENT"
                    ? new WatchError({ directory, reason: "was removed" })
                    : new WatchError({ directory, reason: "cannot be read", cause: error }))
                }
                else if (stat.ino !== ino) lose(new WatchError({ directory, reason: "was replaced" }))
              })
            }
            onChange(name)
          })
          watcher.on("error", (cause) => lose(new WatchError({ directory, reason: "the watch failed", cause })))
          return watcher
        },
        catch: (cause) => new WatchError({ directory, reason: "cannot be watched", cause })
      }),
      (watcher) => Effect.sync(() => watcher.close())
    )
    return Deferred.await(lost)
  })

/** The directory's inode, or why there is none (a synchronous stat: microseconds, no scheduling). */
const inode = (directory: string): Effect.Effect<Either.Either<number, WatchError>> =>
  Effect.sync(() => {
    try {
      const stat = fs.statSync(directory)
      return stat.isDirectory() ? Either.right(stat.ino) : Either.left(new WatchError({ directory, reason: "is not a directory" }))
    } catch (cause) {
      return Either.left(new WatchError({ directory, reason: "cannot be read", cause }))
    }
  })

const isMissing = (error: WatchError): boolean =>
  typeof error.cause === "object" && error.cause !== null && "code" in error.cause && error.cause.code === "ENOENT"

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

/** Watches one directory for as long as the fiber runs, looking again after every failure. */
const watchDirectory = (
  configuration: Configuration,
  live: Live.Live,
  directory: string,
  names: ReadonlySet<string>,
  changes: Queue.Queue<string>
): Effect.Effect<never> =>
  Effect.gen(function*() {
    const status = (s: Live.DirectoryStatus) => Ref.update(live.directories, (m) => new Map(m).set(directory, s))
    const again = `looking again every ${Duration.format(retryInterval)} (the configuration in force stays)`
    const onChange = (name: string | null) => {
      const lower = name?.toLowerCase() ?? null
      if (lower === null || names.has(lower) || lower.startsWith("..")) changes.unsafeOffer(name ?? directory)
    }
    // Whether the directory was watched before (a failure is news), and whether this outage was logged.
    let watched = false
    let reported = false
    const report = (message: string, error: WatchError) =>
      Effect.suspend(() => {
        if (reported) return Effect.void
        reported = true
        return Effect.logWarning(message, ...(error.cause === undefined ? [] : [Cause.fail(error)]))
      })
    for (;;) {
      const ino = yield* inode(directory)
      if (Either.isLeft(ino)) {
        if (!watched && isMissing(ino.left) && !reported) {
          reported = true
          yield* Effect.logDebug(`Configuration reload: ${directory} does not exist; ${again}`)
        }
        yield* report(`Configuration reload: not watching ${ino.left.message}; ${again}`, ino.left)
        yield* status(watched ? "lost" : "waiting")
        yield* Effect.sleep(retryInterval)
        continue
      }
      const outcome = yield* Effect.either(Effect.scoped(Effect.gen(function*() {
        const lost = yield* watchFor(directory, ino.right, onChange)
        yield* status("watching")
        if (watched) yield* Effect.logInfo(`Configuration reload: watching ${directory} again`)
        else yield* Effect.logDebug(`Configuration reload: watching ${directory} for ${[...names].join(", ")}`)
        watched = true
        reported = false
        // What changed before the watch was established (at start, or while it was lost).
        yield* reloadLogged(configuration, live)
        return yield* lost
      })))
      const error = Either.isLeft(outcome) ? outcome.left : outcome.right
      yield* status(watched ? "lost" : "waiting")
      yield* report(`Configuration reload: stopped watching ${error.message}; ${again}`, error)
      yield* Effect.sleep(retryInterval)
    }
  })

/**
 * Waits for a change, then until the files have been quiet for `delay` (every change meanwhile
 * starts the wait again, on the `Clock`), then reloads; for ever.
 */
const debounced = (configuration: Configuration, live: Live.Live, changes: Queue.Queue<string>): Effect.Effect<never> =>
  Effect.gen(function*() {
    for (;;) {
      yield* Queue.take(changes)
      while (Option.isSome(yield* Effect.timeoutOption(Queue.take(changes), live.plan.reloadDelay))) {
        // Not quiet yet.
      }
      yield* reloadLogged(configuration, live)
    }
  })

/** The watcher of one configuration: the directories' watches and the debounced reloads. */
const run = (configuration: Configuration, live: Live.Live): Effect.Effect<void> =>
  Effect.scoped(Effect.gen(function*() {
    const targets = directories(configuration)
    if (targets.size === 0) return
    const changes = yield* Queue.unbounded<string>()
    for (const [directory, names] of targets) {
      yield* Effect.forkScoped(watchDirectory(configuration, live, directory, names, changes))
    }
    return yield* debounced(configuration, live, changes)
  }))

/**
 * Watches the files of `configuration` for the scope. The first scope starts the watcher, the
 * last one to close interrupts it (and waits for its watches to close).
 */
export const watch = (configuration: Configuration): Effect.Effect<void, never, Scope.Scope> => {
  const live = configuration.live
  if (live === undefined || directories(configuration).size === 0) return Effect.void
  return Effect.acquireRelease(
    SynchronizedRef.updateEffect(live.watcher, (w) =>
      w.count > 0
        ? Effect.succeed({ ...w, count: w.count + 1 })
        // A daemon: it belongs to the configuration, not to the fiber that happened to start it.
        // Forked from the uninterruptible acquire, it must be made interruptible explicitly.
        : Effect.map(
          Effect.forkDaemon(Effect.interruptible(run(configuration, live))),
          (fiber) => ({ count: 1, fiber: Option.some(fiber) })
        )),
    () =>
      SynchronizedRef.updateEffect(live.watcher, (w) =>
        w.count > 1
          ? Effect.succeed({ ...w, count: w.count - 1 })
          : Effect.as(
            Effect.zipRight(
              Option.match(w.fiber, { onNone: () => Effect.void, onSome: Fiber.interrupt }),
              Ref.set(live.directories, new Map())
            ),
            { count: 0, fiber: Option.none() }
          ))
  )
}

/** Whether a watcher runs for `live`. */
export const isWatching = (live: Live.Live): Effect.Effect<boolean> =>
  Effect.map(SynchronizedRef.get(live.watcher), (w) => w.count > 0)
