/**
 * .NET ConsoleLifetime's status messages, printed by the runner as it watches a host's lifetime
 * events: "Application started…" once `ApplicationLifetime.started` fired (after every hook and
 * `onStarted` callback, so never for a start that fails), "Application is shutting down..." when
 * the stop begins. They are logged with the host's logger (its format and destination); the
 * suppression key is the host's own (read and validated with its other keys).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { suppressStatusMessages } from "../config/hostKeys.js"
import type { WatchedHost } from "../watch.js"

/** The log category (annotation `category`) of the status messages. */
export const category = "effect-host.Lifetime"

/** Configuration key that turns the status messages off (`suppressStatusMessages=true`). */
export const configKey = suppressStatusMessages

export const messages = {
  started: "Application started. Press Ctrl+C to shut down.",
  environment: (name: string) => `Hosting environment: ${name}`,
  contentRoot: (path: string) => `Content root path: ${path}`,
  stopping: "Application is shutting down..."
} as const

/** Prints the status messages at `host`'s lifetime events (a fiber that waits for them). */
export const watch = (host: WatchedHost, suppress: boolean | undefined): Effect.Effect<void> => {
  // Code wins over the key; the host validated the key (an invalid one failed it, exit 78).
  if (suppress ?? Option.getOrElse(host.suppressStatusMessages, () => false)) return Effect.void
  const started = Effect.gen(function*() {
    yield* Effect.logInfo(messages.started)
    yield* Effect.logInfo(messages.environment(host.environment.environmentName))
    yield* Effect.logInfo(messages.contentRoot(host.environment.contentRootPath))
  })
  return Effect.gen(function*() {
    yield* Effect.fork(Effect.zipRight(host.lifetime.started, started))
    yield* Effect.zipRight(host.lifetime.stopping, Effect.logInfo(messages.stopping))
  }).pipe(
    // As .NET's "Microsoft.Hosting.Lifetime": a category a logging configuration can raise.
    Effect.annotateLogs("category", category),
    host.withHost
  )
}
