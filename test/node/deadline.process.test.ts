/**
 * Regression test for the engine fix the Node runner depends on: the stop runs uninterruptibly,
 * and the shutdown deadline must still interrupt the wait for a stop hook that never returns
 * (before the fix the host, and a process under plain `NodeRuntime.runMain`, hung forever).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import { HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"

describe("shutdown deadline", () => {
  it.scoped("completes the host at shutdownTimeout when a stop hook never returns", () =>
    Effect.gen(function*() {
      const host = yield* TestHost.start([HostedService.make("Stuck", { stop: Effect.never })], {
        shutdownTimeout: "1 second"
      })
      yield* host.started
      const stopping = yield* Effect.fork(host.stop)
      yield* host.advance("1 second")
      const exit = yield* Fiber.join(stopping)
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      expect(Option.map(error, (e) => e._tag)).toEqual(Option.some("ShutdownTimeoutError"))
    }), 5_000)
})
