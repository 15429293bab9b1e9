/**
 * Invalid options of a background-work service (a cron string that does not parse, a queue
 * `capacity` of 0) are configuration errors: the service's layer fails to build with a
 * `ConfigurationError`, which the host collects from every service and reports together, before
 * any service starts (`NodeHost.runMain`: exit 78). Each issue is keyed by the service and the
 * option (`ScheduledService Cleanup: schedule`, `BackgroundTaskQueue Emails: capacity`), says what
 * the value was and why it is wrong, and names its source: given in code.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Issue } from "../../ConfigurationError.js"
import { ConfigurationError } from "../config/error.js"
import * as Source from "../config/source.js"

export { ConfigurationError }

/** An issue with option `option` of the service `service` (e.g. `"BackgroundTaskQueue Emails"`). */
export const issue = (service: string, option: string, message: string): Issue => ({
  key: `${service}: ${option}`,
  message,
  source: Source.code
})

/** Fails with one `ConfigurationError` holding every issue, or succeeds when there is none. */
export const validate = (issues: ReadonlyArray<Issue>): Effect.Effect<void, ConfigurationError> =>
  issues.length === 0 ? Effect.void : Effect.fail(new ConfigurationError({ issues }))

/** An issue when `value` is not a positive safe integer. */
export const positiveInteger = (service: string, option: string, value: number): ReadonlyArray<Issue> =>
  Number.isSafeInteger(value) && value >= 1 ? [] : [issue(service, option, `must be a positive integer, got ${String(value)}`)]
