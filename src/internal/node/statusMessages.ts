/**
 * .NET ConsoleLifetime's status messages, printed by the runner as it watches a host's lifetime
 * events: "Application started…" once `ApplicationLifetime.started` fired (after every hook and
 * `onStarted` callback, so never for a start that fails), "Application is shutting down..." when
 * the stop begins. They are logged with the host's logger (its format and destination) and the
 * suppression key is read from the host's configuration.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type { WatchedHost } from "../watch.js"

/** The log category (annotation `category`) of the status messages. */
export const category = "effect-host.Lifetime"

/** Configuration key that turns the status messages off (`suppressStatusMessages=true`). */
export const configKey = "suppressStatusMessages"

export const messages = {
  started: "Application started. Press Ctrl+C to shut down.",
  environment: (name: string) => `Hosting environment: ${name}`,
  contentRoot: (path: string) => `Content root path: ${path}`,
  stopping: "Application is shutting down..."
} as const

/**
 * Prints the status messages at `host`'s lifetime events (a fiber that waits for them). `suppress`
 * given in code wins over the configuration key; an invalid key is reported once and the
 * messages stay on.
 */
export const watch = (host: WatchedHost, suppress: boolean | undefined): Effect.Effect<void> => {
  const suppressed = suppress !== undefined
    ? Effect.succeed(suppress)
    : Config.boolean(configKey).pipe(
      Config.withDefault(false),
      Effect.catchAll((error) =>
        Effect.as(Effect.logWarning(`Ignoring invalid ${configKey}; status messages stay on`, Cause.fail(error)), false)
      )
    )
  const started = Effect.gen(function*() {
    yield* Effect.logInfo(messages.started)
    yield* Effect.logInfo(messages.environment(host.environment.environmentName))
    yield* Effect.logInfo(messages.contentRoot(host.environment.contentRootPath))
  })
  return Effect.gen(function*() {
    if (yield* suppressed) return
    yield* Effect.fork(Effect.zipRight(host.lifetime.started, started))
    yield* Effect.zipRight(host.lifetime.stopping, Effect.logInfo(messages.stopping))
  }).pipe(
    // As .NET's "Microsoft.Hosting.Lifetime": a category a logging configuration can raise.
    Effect.annotateLogs("category", category),
    host.withHost
  )
}
