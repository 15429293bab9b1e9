/**
 * A TCP port read from configuration (`Http:Port`, `Cluster:Port`): decimal digits, 0 to 65535.
 * Missing is `None`; anything else is a `ConfigError` naming the value.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"

/**
 * Read from the text rather than with `Config.integer`, whose `Number(text)` reads an empty value
 * as 0: `HTTP__PORT=${PORT}` with `PORT` unset listened on a random free port, and `0x1F90` on
 * 8080. Not `Config.port` either: it refuses 0, which binds a free port when asked for.
 */
export const port = (key: string): Config.Config<Option.Option<number>> =>
  Config.string(key).pipe(
    Config.mapOrFail((raw) => {
      const text = raw.trim()
      const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
      return n >= 0 && n <= 65535
        ? Either.right(n)
        : Either.left(ConfigError.InvalidData(
          [],
          `Expected a port between 0 and 65535 (0: a free port), actual ${text === "" ? JSON.stringify(raw) : raw}`
        ))
    }),
    Config.option
  )
