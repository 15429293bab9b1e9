/**
 * A duration configured as a number of seconds (`shutdownTimeoutSeconds`, `Http:DrainDelaySeconds`),
 * as .NET writes them. Missing is `None`; negative or not a number is a `ConfigError` naming the key.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import type * as Option from "effect/Option"

export const seconds = (key: string): Config.Config<Option.Option<Duration.Duration>> =>
  Config.number(key).pipe(
    Config.validate({ message: "Expected a number of seconds >= 0", validation: (n) => Number.isFinite(n) && n >= 0 }),
    Config.map((n) => Duration.millis(Math.round(n * 1000))),
    Config.option
  )
