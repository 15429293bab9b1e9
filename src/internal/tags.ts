/**
 * The built-in service tags, for internal code. The public modules declare them as `Effect.Tag`
 * classes (`ApplicationLifetime`, `HostEnvironment`); these are the same tags (same keys), typed
 * with the public classes, so internal modules need no value from a public one.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type { ApplicationLifetime } from "../ApplicationLifetime.js"
import type { HostEnvironment } from "../HostEnvironment.js"

export const applicationLifetimeKey = "effect-host/ApplicationLifetime"
export const hostEnvironmentKey = "effect-host/HostEnvironment"

export const ApplicationLifetimeTag: Context.Tag<ApplicationLifetime, ApplicationLifetime["Type"]> = Context.GenericTag(
  applicationLifetimeKey
)

export const HostEnvironmentTag: Context.Tag<HostEnvironment, HostEnvironment["Type"]> = Context.GenericTag(
  hostEnvironmentKey
)
