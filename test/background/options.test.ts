/**
 * Invalid options of background-work services are configuration errors: the layer's build fails
 * with a ConfigurationError, and the host reports every one of them together (with invalid host
 * configuration too), before any service starts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { BackgroundTaskQueue, ConfigurationError, Host, HostedService, ScheduledService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { failureOf } from "../util/background.js"

describe("invalid options of background-work services", () => {
  it.scoped("two bad cron strings and a bad queue capacity: one ConfigurationError with three issues, nothing started", () =>
    Effect.gen(function*() {
      const started: Array<string> = []
      const Before = HostedService.make("Before", { start: Effect.sync(() => void started.push("Before")) })
      const Cleanup = ScheduledService.make("Cleanup", { schedule: "61 * * * *", run: Effect.void })
      const Good = ScheduledService.make("Good", { schedule: Schedule.spaced("1 minute"), run: Effect.void })
      const Reports = ScheduledService.make("Reports", { schedule: "0 9 * * *", timeZone: "Mars/Olympus", run: Effect.void })
      class Emails extends BackgroundTaskQueue.Tag("app/Emails")<Emails>() {}
      const EmailsLive = Emails.layer({ capacity: 0 })
      const After = HostedService.make("After", { start: Effect.sync(() => void started.push("After")) })
      const host = yield* TestHost.start([Before, Cleanup, Good, EmailsLive, Reports, After])
      const error = failureOf(yield* host.exit)
      expect(error).toBeInstanceOf(ConfigurationError)
      const issues = (error as ConfigurationError).issues
      expect(issues.map((i) => i.key)).toStrictEqual([
        "ScheduledService Cleanup: schedule",
        "BackgroundTaskQueue Emails: capacity",
        "ScheduledService Reports: schedule"
      ])
      expect(issues.map((i) => i.source)).toStrictEqual([{ _tag: "Code" }, { _tag: "Code" }, { _tag: "Code" }])
      expect((error as ConfigurationError).message).toBe([
        "Invalid configuration (3 problems):",
        "  - ScheduledService Cleanup: schedule: invalid cron expression \"61 * * * *\": Expected a value between 0 and 59 (at \"61\") (from code)",
        "  - BackgroundTaskQueue Emails: capacity: must be a positive integer, got 0 (from code)",
        "  - ScheduledService Reports: schedule: invalid cron expression \"0 9 * * *\" (time zone \"Mars/Olympus\"): " +
        "Invalid time zone in cron expression (at \"Mars/Olympus\") (from code)"
      ].join("\n"))
      expect(started).toStrictEqual([])
      expect(yield* host.trace).toStrictEqual([])
    }))

  it.scoped("reported together with invalid host configuration", () =>
    Effect.gen(function*() {
      const Cleanup = ScheduledService.make("Cleanup", { schedule: "not a cron", run: Effect.void })
      const host = yield* TestHost.start([Cleanup], {
        configuration: { values: { shutdownTimeoutSeconds: "abc" }, args: false }
      })
      const error = failureOf(yield* host.exit)
      expect(error).toBeInstanceOf(ConfigurationError)
      const keys = (error as ConfigurationError).keys
      expect(keys).toContain("ScheduledService Cleanup: schedule")
      expect(keys.length).toBe(2)
    }))

  it.effect("a queue shared by a producer (Layer.provide) is reported once", () =>
    Effect.gen(function*() {
      const QueueLive = BackgroundTaskQueue.layer({ capacity: 10, workers: -1 })
      const Producer = HostedService.make("Producer", { start: BackgroundTaskQueue.enqueue(Effect.void) }).pipe(Layer.provide(QueueLive))
      const error = yield* Effect.flip(Host.launch([QueueLive, Producer]))
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).keys).toStrictEqual(["BackgroundTaskQueue BackgroundTaskQueue: workers"])
    }))
})
