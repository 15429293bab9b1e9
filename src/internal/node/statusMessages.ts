/**
 * .NET ConsoleLifetime's status messages, printed at the lifetime events of each host.
 *
 * The callbacks run inside the host (registered on its lifetime), so they log through the
 * program's own loggers and read configuration from the program's own `ConfigProvider`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as HostEnvironment from "../../HostEnvironment.js"
import type { HostHandle } from "../observer.js"

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
 * Registers the status messages on `handle`'s lifetime. `suppress` given in code wins over the
 * configuration key; an invalid key is reported once and the messages stay on.
 */
export const install = (handle: HostHandle, suppress: boolean | undefined): void => {
  let suppressed = suppress
  const isSuppressed = Effect.suspend(() =>
    suppressed !== undefined
      ? Effect.succeed(suppressed)
      : Config.boolean(configKey).pipe(
        Config.withDefault(false),
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning(`Ignoring invalid ${configKey}; status messages stay on`, Cause.fail(error)), false)
        ),
        Effect.tap((value) => {
          suppressed = value
        })
      )
  )
  const unlessSuppressed = (effect: Effect.Effect<void, unknown>) =>
    Effect.flatMap(isSuppressed, (off) => (off ? Effect.void : effect))

  const started = Effect.gen(function*() {
    // The host resolved its environment from the same configuration; without the handle's copy
    // we resolve it again (only options fixed in code could differ).
    const environment = handle.environment ?? (yield* HostEnvironment.resolve())
    yield* Effect.logInfo(messages.started)
    yield* Effect.logInfo(messages.environment(environment.environmentName))
    yield* Effect.logInfo(messages.contentRoot(environment.contentRootPath))
  })
  // As .NET's "Microsoft.Hosting.Lifetime": a category a logging configuration can raise.
  const inCategory = Effect.annotateLogs("category", category)
  Effect.runSync(handle.lifetime.onStarted(inCategory(unlessSuppressed(started))))
  Effect.runSync(handle.lifetime.onStopping(inCategory(unlessSuppressed(Effect.logInfo(messages.stopping)))))
}
