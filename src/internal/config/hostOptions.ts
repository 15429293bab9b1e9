/**
 * `HostOptions`: defaults, configuration keys, and the resolution code < configuration <
 * defaults (code wins). Options given in code are validated like configuration: every invalid
 * one (and every invalid key) is reported together in one `ConfigurationError`, an option's
 * issue naming the option and the source "option given in code".
 *
 *   - `shutdownTimeout`: a duration >= 0 and finite. The stop must be bounded (the runner's
 *     wall-clock guard is armed at `shutdownTimeout` + 1 s), so `Infinity` is refused; give a
 *     large finite value instead, up to 2^31 - 1 ms (24.8 days: a timer ends a longer one at once
 *     in Node and never in Effect).
 *   - `startupTimeout`: a duration >= 0, at most the same; `Infinity` means no deadline (the default).
 *   - Negative, `NaN` or unparsable durations are errors (Effect's `Duration.decode` would turn
 *     them into 0, or throw a defect that names no option).
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
import { ConfigurationError, type Issue } from "./error.js"
import * as Read from "./read.js"
import { maxTimerMillis, seconds, tooLong } from "./seconds.js"
import * as Source from "./source.js"

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

const findBehavior = (text: string): BackgroundServiceExceptionBehavior | undefined =>
  behaviors.find((b) => b.toLowerCase() === text.trim().toLowerCase())

// Case-insensitive, as .NET binds enums: `stophost` in an environment variable is `StopHost`.
const behavior = (key: string) =>
  Config.mapOrFail(Config.string(key), (text) => {
    const found = findBehavior(text)
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

const configPaths = Object.values(configKeys).map((key) => [key])

/** What `config` reads when none of its keys is set. */
const unset: Config.Config.Success<typeof config> = {
  shutdownTimeout: Option.none(),
  startupTimeout: Option.none(),
  servicesStartConcurrently: Option.none(),
  servicesStopConcurrently: Option.none(),
  backgroundServiceExceptionBehavior: Option.none()
}

/** How an offending value given in code is quoted in a message. */
export const formatActual = (u: unknown): string => {
  if (typeof u === "string") return JSON.stringify(u)
  if (typeof u === "bigint") return `${u}n`
  if (typeof u === "number" || typeof u === "boolean" || u === null || u === undefined) return String(u)
  if (Duration.isDuration(u)) return Duration.format(u)
  try {
    return JSON.stringify(u) ?? typeof u
  } catch {
    return typeof u
  }
}

const durationHint = "(milliseconds, a string such as \"10 seconds\", or a Duration)"

/** Whether a duration input is below zero (Effect's decoder would make it 0). */
const isNegative = (input: unknown): boolean => {
  if (typeof input === "number") return input < 0
  if (typeof input === "bigint") return input < BigInt(0)
  if (typeof input === "string") return /^\s*-/.test(input)
  if (Array.isArray(input)) return input.some((n) => typeof n === "number" && n < 0)
  return false
}

const hasNaN = (input: unknown): boolean =>
  (typeof input === "number" && Number.isNaN(input)) ||
  (Array.isArray(input) && input.some((n) => typeof n === "number" && Number.isNaN(n)))

/**
 * A duration given in code: `undefined` when not given, else the duration or the problem with
 * it (`name` is the option's name, e.g. `shutdownTimeout`).
 */
export const codeDuration = (
  name: string,
  input: unknown,
  options: { readonly finite: boolean }
): Either.Either<Duration.Duration, Issue> | undefined => {
  if (input === undefined) return undefined
  const fail = (message: string) => Either.left({ key: name, message: `${message}, actual ${formatActual(input)}`, source: Source.option })
  if (hasNaN(input)) return fail(`Expected a duration ${durationHint}`)
  if (isNegative(input)) return fail(`Expected a duration >= 0 ${durationHint}`)
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded)) return fail(`Expected a duration ${durationHint}`)
  if (options.finite && !Duration.isFinite(decoded.value)) {
    return fail("Expected a finite duration: the stop must be bounded (give a large finite value instead)")
  }
  if (Duration.isFinite(decoded.value) && Duration.toMillis(decoded.value) > maxTimerMillis) {
    return fail(`Expected a duration ${tooLong}`)
  }
  return Either.right(decoded.value)
}

const codeBoolean = (name: string, input: unknown): Either.Either<boolean, Issue> | undefined =>
  input === undefined
    ? undefined
    : typeof input === "boolean"
    ? Either.right(input)
    : Either.left({ key: name, message: `Expected true or false, actual ${formatActual(input)}`, source: Source.option })

const codeBehavior = (input: unknown): Either.Either<BackgroundServiceExceptionBehavior, Issue> | undefined => {
  if (input === undefined) return undefined
  const found = typeof input === "string" ? behaviors.find((b) => b === input) : undefined
  return found !== undefined
    ? Either.right(found)
    : Either.left({
      key: "backgroundServiceExceptionBehavior",
      message: `Expected one of ${behaviors.join(", ")}, actual ${formatActual(input)}`,
      source: Source.option
    })
}

/** The options given in code, validated; `issues` lists every invalid one. */
export const fromCode = (options: HostOptions) => {
  const checked = {
    shutdownTimeout: codeDuration("shutdownTimeout", options.shutdownTimeout, { finite: true }),
    startupTimeout: codeDuration("startupTimeout", options.startupTimeout, { finite: false }),
    servicesStartConcurrently: codeBoolean("servicesStartConcurrently", options.servicesStartConcurrently),
    servicesStopConcurrently: codeBoolean("servicesStopConcurrently", options.servicesStopConcurrently),
    backgroundServiceExceptionBehavior: codeBehavior(options.backgroundServiceExceptionBehavior)
  }
  const value = <A>(checked: Either.Either<A, Issue> | undefined): A | undefined =>
    checked !== undefined && Either.isRight(checked) ? checked.right : undefined
  const all: ReadonlyArray<Either.Either<unknown, Issue> | undefined> = Object.values(checked)
  const issues = all.flatMap((c) => (c !== undefined && Either.isLeft(c) ? [c.left] : []))
  return {
    issues,
    shutdownTimeout: value(checked.shutdownTimeout),
    startupTimeout: value(checked.startupTimeout),
    servicesStartConcurrently: value(checked.servicesStartConcurrently),
    servicesStopConcurrently: value(checked.servicesStopConcurrently),
    backgroundServiceExceptionBehavior: value(checked.backgroundServiceExceptionBehavior)
  }
}

export const resolve = (options: HostOptions = {}): Effect.Effect<Resolved, ConfigurationError> =>
  Effect.gen(function*() {
    const code = fromCode(options)
    const fromConfig = yield* Effect.either(Read.unlessUnset(configPaths, config, unset))
    const issues = [...code.issues, ...(Either.isLeft(fromConfig) ? fromConfig.left.issues : [])]
    if (issues.length > 0 || Either.isLeft(fromConfig)) return yield* Effect.fail(new ConfigurationError({ issues }))
    const configured = fromConfig.right
    const startupTimeout = code.startupTimeout !== undefined ? Option.some(code.startupTimeout) : configured.startupTimeout
    return {
      shutdownTimeout: code.shutdownTimeout ?? Option.getOrElse(configured.shutdownTimeout, () => defaults.shutdownTimeout),
      // An infinite startup budget is no budget, as by default.
      startupTimeout: Option.filter(startupTimeout, Duration.isFinite),
      servicesStartConcurrently: code.servicesStartConcurrently ??
        Option.getOrElse(configured.servicesStartConcurrently, () => defaults.servicesStartConcurrently),
      servicesStopConcurrently: code.servicesStopConcurrently ??
        Option.getOrElse(configured.servicesStopConcurrently, () => defaults.servicesStopConcurrently),
      backgroundServiceExceptionBehavior: code.backgroundServiceExceptionBehavior ??
        Option.getOrElse(configured.backgroundServiceExceptionBehavior, () => defaults.backgroundServiceExceptionBehavior)
    }
  })
