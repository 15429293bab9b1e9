/**
 * `HostOptions`: defaults, configuration keys, and the resolution code < configuration <
 * defaults (code wins).
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { BackgroundServiceExceptionBehavior, HostOptions, Resolved } from "../../HostOptions.js"
import { seconds } from "./seconds.js"

export const defaults: Resolved = {
  shutdownTimeout: Duration.seconds(30),
  startupTimeout: Option.none(),
  servicesStartConcurrently: false,
  servicesStopConcurrently: false,
  backgroundServiceExceptionBehavior: "StopHost"
}

export const configKeys = {
  shutdownTimeout: "shutdownTimeoutSeconds",
  startupTimeout: "startupTimeoutSeconds",
  servicesStartConcurrently: "servicesStartConcurrently",
  servicesStopConcurrently: "servicesStopConcurrently",
  backgroundServiceExceptionBehavior: "backgroundServiceExceptionBehavior"
} as const

const behaviors: ReadonlyArray<BackgroundServiceExceptionBehavior> = ["StopHost", "Ignore"]

// Case-insensitive, as .NET binds enums: `stophost` in an environment variable is `StopHost`.
const behavior = (key: string) =>
  Config.mapOrFail(Config.string(key), (text) => {
    const found = behaviors.find((b) => b.toLowerCase() === text.trim().toLowerCase())
    return found !== undefined
      ? Either.right(found)
      : Either.left(ConfigError.InvalidData([], `Expected one of ${behaviors.join(", ")}, actual ${JSON.stringify(text)}`))
  })

export const config = Config.all({
  shutdownTimeout: seconds(configKeys.shutdownTimeout),
  startupTimeout: seconds(configKeys.startupTimeout),
  servicesStartConcurrently: Config.option(Config.boolean(configKeys.servicesStartConcurrently)),
  servicesStopConcurrently: Config.option(Config.boolean(configKeys.servicesStopConcurrently)),
  backgroundServiceExceptionBehavior: Config.option(behavior(configKeys.backgroundServiceExceptionBehavior))
})

export const resolve = (options: HostOptions = {}): Effect.Effect<Resolved, ConfigError.ConfigError> =>
  Effect.map(config, (fromConfig) => ({
    shutdownTimeout: options.shutdownTimeout !== undefined
      ? Duration.decode(options.shutdownTimeout)
      : Option.getOrElse(fromConfig.shutdownTimeout, () => defaults.shutdownTimeout),
    startupTimeout: options.startupTimeout !== undefined
      ? Option.some(Duration.decode(options.startupTimeout))
      : fromConfig.startupTimeout,
    servicesStartConcurrently: options.servicesStartConcurrently ??
      Option.getOrElse(fromConfig.servicesStartConcurrently, () => defaults.servicesStartConcurrently),
    servicesStopConcurrently: options.servicesStopConcurrently ??
      Option.getOrElse(fromConfig.servicesStopConcurrently, () => defaults.servicesStopConcurrently),
    backgroundServiceExceptionBehavior: options.backgroundServiceExceptionBehavior ??
      Option.getOrElse(fromConfig.backgroundServiceExceptionBehavior, () => defaults.backgroundServiceExceptionBehavior)
  }))
