/**
 * Fiber refs set for a scope: what `Effect.locallyScoped` (and `Effect.withConfigProviderScoped`)
 * does for one ref, for several at once and at a fraction of the cost.
 *
 * `locallyScoped` is an `acquireRelease`: its finalizer copies and diffs the fiber's refs twice to
 * run the release with the acquiring fiber's refs, about 20 operations and five copies of the
 * refs per ref set. The host sets its configuration provider, its loggers and the minimum log level
 * for its scope; here that is one update of the refs and one finalizer, which runs on the fiber
 * that closes the scope and puts back each ref's earlier value.
 *
 * As with `locallyScoped`, a ref whose value changed since (the program set its own) keeps the
 * newer value: the closing fiber's ref is put back only while it still holds what was set here.
 *
 * Both rest on `acquireReleaseState`, the `acquireRelease` for a release that only changes state
 * (also the configuration's checks and file watcher).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as FiberId from "effect/FiberId"
import type * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Scope from "effect/Scope"

/** One ref to set: how to set it, and how to put it back. */
export interface Setting {
  readonly set: (refs: FiberRefs.FiberRefs, fiberId: FiberId.Runtime) => FiberRefs.FiberRefs
  readonly restore: (refs: FiberRefs.FiberRefs, fiberId: FiberId.Runtime) => FiberRefs.FiberRefs
}

/** Sets `ref` to `f` of its current value, for the scope. */
export const setting = <A>(ref: FiberRef.FiberRef<A>, f: (current: A) => A): Setting => {
  let before: { readonly value: A; readonly installed: A } | undefined
  return {
    set: (refs, fiberId) => {
      const value = FiberRefs.getOrDefault(refs, ref)
      const installed = f(value)
      before = { value, installed }
      return FiberRefs.updateAs(refs, { fiberId, fiberRef: ref, value: installed })
    },
    restore: (refs, fiberId) =>
      before !== undefined && FiberRefs.getOrDefault(refs, ref) === before.installed
        ? FiberRefs.updateAs(refs, { fiberId, fiberRef: ref, value: before.value })
        : refs
  }
}

/**
 * `Effect.acquireRelease` for a release that only changes state (no logging, nothing that reads
 * the fiber's refs): it runs as the scope closes, with the closing fiber's refs, which spares
 * the two fiber-refs diffs `acquireRelease` makes to run its release with the acquiring fiber's.
 */
export const acquireReleaseState = <A>(acquire: Effect.Effect<A>, release: (a: A) => Effect.Effect<unknown>): Effect.Effect<A, never, Scope.Scope> =>
  Effect.uninterruptible(
    Effect.flatMap(acquire, (a) => Effect.as(Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, release(a))), a))
  )

/** Applies every setting now (one update of the fiber's refs); closing the scope puts them back. */
export const setScoped = (settings: ReadonlyArray<Setting>): Effect.Effect<void, never, Scope.Scope> =>
  acquireReleaseState(
    Effect.updateFiberRefs((fiberId, refs) => settings.reduce((acc, s) => s.set(acc, fiberId), refs)),
    () => Effect.updateFiberRefs((fiberId, refs) => settings.reduce((acc, s) => s.restore(acc, fiberId), refs))
  )
