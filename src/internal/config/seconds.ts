/**
 * A duration configured as a number of seconds (`shutdownTimeoutSeconds`, `Http:DrainDelaySeconds`),
 * as .NET writes them. Missing is `None`; negative or not a number is a `ConfigError` naming the key.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"

export const seconds = (key: string): Config.Config<Option.Option<Duration.Duration>> =>
  Config.number(key).pipe(
    // The value in the message, as every other invalid value's message has it.
    Config.mapOrFail((n) =>
      Number.isFinite(n) && n >= 0
        ? Either.right(Duration.millis(Math.round(n * 1000)))
        : Either.left(ConfigError.InvalidData([], `Expected a number of seconds >= 0, actual ${n}`))
    ),
    Config.option
  )
