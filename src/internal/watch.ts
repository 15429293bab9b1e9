/**
 * How runners and tests watch the hosts a program starts, without the hosts knowing them.
 *
 * A runner (`NodeHost.runMain`) or `TestHost` sets `currentWatch` around the program; every host
 * built inside it offers its handle to that queue once, before its first hook runs, and goes on.
 * The watcher then reads the handle (state, stop requested, hooks in flight, events, result) and
 * may ask the host to stop or report a failure; the host never calls the watcher.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as LogLevel from "effect/LogLevel"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import type * as Queue from "effect/Queue"
import type { Options } from "../Host.js"
import type { Environment } from "../HostEnvironment.js"
import type { LoggerOutput } from "./config/hostSetup.js"
import type { Handle } from "./engine.js"

/** A running host as its watchers see it. */
export interface WatchedHost extends Handle {
  readonly environment: Environment
  /** The `suppressStatusMessages` host key as the host read and validated it (`None`: unset). */
  readonly suppressStatusMessages: Option.Option<boolean>
  /**
   * Runs `effect` with the host's logger, log level and `ConfigProvider`, so that a runner's own
   * lines (status messages, the final report) have the host's format and destination, and read
   * the host's configuration.
   */
  readonly withHost: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /**
   * Whether a line at `level` run through `withHost` would be written (the host's minimum level
   * and its logger's floor): a runner asks before building a line that is likely dropped.
   */
  readonly logs: (level: LogLevel.LogLevel) => boolean
  /** The host logger's format and output now, for a line written without it; `undefined`: not the host's logger. */
  readonly loggerOutput: () => LoggerOutput | undefined
}

/** Where the hosts built under a watcher are offered. */
export const currentWatch: FiberRef.FiberRef<Option.Option<Queue.Enqueue<WatchedHost>>> = globalValue(
  Symbol.for("effect-host/currentWatch"),
  () => FiberRef.unsafeMake<Option.Option<Queue.Enqueue<WatchedHost>>>(Option.none())
)

/**
 * Where a host offers the options given to it in code, before it reads its configuration: a host
 * whose configuration files are broken fails before it exists for `currentWatch`, and the runner
 * reports that failure with the logger these options decide (an environment set in code, say).
 */
export const currentOptionsWatch: FiberRef.FiberRef<Option.Option<Queue.Enqueue<Options>>> = globalValue(
  Symbol.for("effect-host/currentOptionsWatch"),
  () => FiberRef.unsafeMake<Option.Option<Queue.Enqueue<Options>>>(Option.none())
)
