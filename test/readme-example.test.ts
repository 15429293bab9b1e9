// The README's TestHost example, verbatim in behaviour: if this fails, the README is wrong.
import { expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"

it.scoped("README: a slow stop is cut at the shutdown deadline", () =>
  Effect.gen(function*() {
    const host = yield* TestHost.start([
      HostedService.make("Db", { start: Effect.void, stop: Effect.never })
    ], { shutdownTimeout: "5 seconds", logger: false })
    yield* host.started
    yield* host.requestStop
    yield* host.advance("5 seconds")
    const exit = yield* host.exit
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("ShutdownTimeoutError")
    expect(yield* host.trace).toEqual(["Db.start", "lifetime.started", "lifetime.stopping", "Db.stop", "lifetime.stopped"])
  }))
