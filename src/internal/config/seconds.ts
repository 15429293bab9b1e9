/**
 * A duration configured as a number of seconds (`shutdownTimeoutSeconds`, `Http:DrainDelaySeconds`),
 * as .NET writes them. Missing is `None`; empty, negative or not a decimal number is a `ConfigError`
 * naming the key.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"

/**
 * A decimal number: digits with an optional fraction and exponent. Read from the text rather than
 * with `Config.number`, whose `Number(text)` reads an empty value as 0 (`--shutdownTimeoutSeconds=`
 * was a zero budget that cut every stop) and `0x2` as 2.
 */
const decimal = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * The longest duration a timer takes: 2^31 - 1 ms, about 24.8 days. Node turns a longer delay
 * into 1 ms and Effect's clock into "never", so a longer budget would end at once or never.
 */
export const maxTimerMillis = 2 ** 31 - 1

/** Why a duration is too long, for messages: "at most 2147483 seconds (24.8 days, …)". */
export const tooLong = `at most ${Math.floor(maxTimerMillis / 1000)} seconds (24.8 days, the longest timer Node.js has)`

export const seconds = (key: string): Config.Config<Option.Option<Duration.Duration>> =>
  Config.string(key).pipe(
    Config.mapOrFail((raw) => {
      const text = raw.trim()
      const n = decimal.test(text) ? Number(text) : Number.NaN
      const millis = Math.round(n * 1000)
      // The value in the message, as every other invalid value's message has it.
      return Number.isFinite(n) && n >= 0 && millis <= maxTimerMillis
        ? Either.right(Duration.millis(millis))
        : Either.left(ConfigError.InvalidData(
          [],
          `Expected a number of seconds >= 0 and ${tooLong}, actual ${text === "" ? JSON.stringify(raw) : raw}`
        ))
    }),
    Config.option
  )
