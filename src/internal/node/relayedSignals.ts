/**
 * One Ctrl+C is one signal, even when a parent process delivers it twice.
 *
 * A terminal sends SIGINT to its whole foreground process group: the app gets it directly, and a
 * parent in the same group may send it again. tsx's CLI (which starts the app with
 * `--require …/tsx/dist/preflight.cjs`) relays a signal when the app's acknowledgement over its
 * IPC pipe is late or lost — and libuv handles signal watchers after other I/O, so the parent
 * often drops an acknowledgement that arrived with its own signal and relays 30 ms later; npm, yarn
 * and pnpm scripts (which set `npm_lifecycle_event`) forward SIGINT/SIGTERM to their child. Under
 * such a parent, a repeat of the same signal that may have arrived within `duplicateWindow` of the
 * first is the same keypress; a different signal, or the same one later, still forces the exit.
 * Run directly (`node`, `node --import tsx`), every second signal forces at once, as before.
 *
 * "May have arrived": a copy handled late because the event loop was busy still counts as a copy,
 * so while the window is open a 10 ms heartbeat records when the loop was last free; a signal
 * handled now arrived no earlier than that.
 *
 * @internal
 */
import * as Duration from "effect/Duration"

export type RelayingParent = "tsx" | "a package manager"

/** The parent that may deliver a terminal's signal a second time, if any. */
export const relayingParent = (info: {
  readonly execArgv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
}): RelayingParent | undefined =>
  info.execArgv.some((arg) => /[\\/]tsx[\\/]dist[\\/]preflight\.c?js$/.test(arg))
    ? "tsx"
    : (info.env["npm_lifecycle_event"] ?? "") !== ""
    ? "a package manager"
    : undefined

/**
 * Relayed copies arrive within about 70 ms (npm in under 5 ms, tsx at 30 or 60 ms, seen up to
 * 213 ms on a loaded machine); a person's deliberate second press comes 300 ms or more later.
 */
export const duplicateWindow: Duration.Duration = Duration.millis(250)

export interface FirstSignal<S extends string> {
  readonly signal: S
  /** `performance.now()` when it was handled. */
  readonly at: number
}

/** Whether a signal handled now, which arrived no earlier than `earliestArrival`, is a copy of the first. */
export const isRelayedCopy = <S extends string>(
  first: FirstSignal<S>,
  signal: S,
  earliestArrival: number,
  windowMs: number
): boolean => windowMs > 0 && signal === first.signal && earliestArrival - first.at < windowMs

/**
 * Tracks the event loop's last free turn while the window after the first signal is open; the
 * heartbeat stops by itself once the window has passed and never keeps the process alive.
 */
export const loopWatch = (at: number, windowMs: number): { readonly lastFreeTurn: () => number } => {
  let lastFreeTurn = at
  let lastTick = at
  if (windowMs > 0) {
    const heartbeat = setInterval(() => {
      const now = performance.now()
      // A late tick ends a blocked stretch: the loop was not free before it.
      if (now - lastTick < 25) lastFreeTurn = now
      lastTick = now
      if (lastFreeTurn - at > windowMs) clearInterval(heartbeat)
    }, 10)
    heartbeat.unref()
  }
  return { lastFreeTurn: () => lastFreeTurn }
}
