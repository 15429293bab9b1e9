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
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
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

type DirectoryEvent =
  | { readonly _tag: "Ready" }
  /** `name` is the entry that changed, `null` when the platform did not say. */
  | { readonly _tag: "Changed"; readonly name: string | null }

/**
 * The entries changing in `directory`: `Ready` first, once the watch is established, then one
 * `Changed` per event. Fails when the system refuses or ends the watch.
 */
const events = (directory: string): Stream.Stream<DirectoryEvent, WatchError> =>
  Stream.asyncScoped<DirectoryEvent, WatchError>(
    (emit) =>
      Effect.acquireRelease(
        Effect.try({
          try: () => {
            const watcher = fs.watch(directory, { persistent: false }, (_event, name) => {
              void emit.single({ _tag: "Changed", name })
            })
            watcher.on("error", (cause) => {
              void emit.fail(new WatchError({ directory, reason: "the watch failed", cause }))
            })
            void emit.single({ _tag: "Ready" })
            return watcher
          },
          catch: (cause) => new WatchError({ directory, reason: "cannot be watched", cause })
        }),
        (watcher) => Effect.sync(() => watcher.close())
      ),
    "unbounded"
  )

/** The directory's inode, or why there is none. */
const inode = (directory: string): Effect.Effect<Either.Either<number, WatchError>> =>
  Effect.either(Effect.tryPromise({
    try: () => fs.promises.stat(directory),
    catch: (cause) => new WatchError({ directory, reason: "cannot be read", cause })
  }).pipe(
    Effect.filterOrFail((stat) => stat.isDirectory(), () => new WatchError({ directory, reason: "is not a directory" })),
    Effect.map((stat) => stat.ino)
  ))

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
  changes: Queue.Enqueue<string>
): Effect.Effect<never> =>
  Effect.gen(function*() {
    const status = (s: Live.DirectoryStatus) => Ref.update(live.directories, (m) => new Map(m).set(directory, s))
    const own = path.basename(directory).toLowerCase()
    const list = [...names].join(", ")
    // Whether the directory was watched before (a failure is news) and whether the failure was logged.
    let watched = false
    let reported = false
    for (;;) {
      const ino = yield* inode(directory)
      if (Either.isLeft(ino)) {
        if (!reported) {
          reported = true
          const again = `looking again every ${Duration.format(retryInterval)}`
          yield* watched || !isMissing(ino.left)
            ? Effect.logWarning(`Configuration reload: not watching ${ino.left.message}; ${again} (the configuration in force stays)`, Cause.fail(ino.left))
            : Effect.logDebug(`Configuration reload: ${directory} does not exist; ${again}`)
        }
        yield* status(watched ? "lost" : "waiting")
        yield* Effect.sleep(retryInterval)
        continue
      }
      const outcome = yield* events(directory).pipe(
        Stream.runForEach((event): Effect.Effect<void, WatchError> => {
          if (event._tag === "Ready") {
            return Effect.gen(function*() {
              yield* status("watching")
              if (watched) yield* Effect.logInfo(`Configuration reload: watching ${directory} again`)
              else yield* Effect.logDebug(`Configuration reload: watching ${directory} for ${list}`)
              watched = true
              reported = false
              // What changed before the watch was established (at start, or while it was lost).
              yield* reloadLogged(configuration, live)
            })
          }
          const name = event.name?.toLowerCase() ?? null
          if (name === null || names.has(name) || name.startsWith("..")) return Queue.offer(changes, name ?? directory)
          if (name !== own) return Effect.void
          // An event named like the directory itself: it may have been removed or replaced, and a
          // watch on it then sees nothing more.
          return Effect.flatMap(inode(directory), (now) =>
            Either.isRight(now) && now.right === ino.right
              ? Effect.void
              : Effect.fail(new WatchError({ directory, reason: Either.isRight(now) ? "was replaced" : "was removed" })))
        }),
        Effect.either
      )
      const error = Either.isLeft(outcome) ? outcome.left : new WatchError({ directory, reason: "the watch ended" })
      yield* status(watched ? "lost" : "waiting")
      if (!reported) {
        reported = true
        yield* Effect.logWarning(
          `Configuration reload: stopped watching ${error.message}; looking again every ${Duration.format(retryInterval)} (the configuration in force stays)`,
          ...(error.cause === undefined ? [] : [Cause.fail(error)])
        )
      }
      yield* Effect.sleep(retryInterval)
    }
  })

/** The watcher of one configuration: the directories' watches and the debounced reloads. */
const run = (configuration: Configuration, live: Live.Live): Effect.Effect<void> =>
  Effect.gen(function*() {
    const targets = directories(configuration)
    if (targets.size === 0) return
    const changes = yield* Queue.unbounded<string>()
    const reloads = Stream.fromQueue(changes).pipe(
      Stream.debounce(live.plan.reloadDelay),
      Stream.runForEach(() => reloadLogged(configuration, live))
    )
    yield* Effect.all(
      [reloads, ...[...targets].map(([directory, names]) => watchDirectory(configuration, live, directory, names, changes))],
      { concurrency: "unbounded", discard: true }
    )
  })

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
