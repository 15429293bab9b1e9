/**
 * Failures (DESIGN.md, "Start failure rolls back", "Stop never aborts"): a failed start phase rolls
 * back every service whose `start` completed, `started` never fires, and the host fails with a
 * typed error naming each service, phase and cause; stop failures are all collected while every
 * service still gets every stop phase.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import { Host, HostError, HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"
import { assertSuccess, captureLogs, errorIn, failureOf, settle } from "./util/host.js"
import { Recorder, stopTrace } from "./util/recorder.js"

class Boom {
  readonly _tag = "Boom"
  constructor(readonly where: string) {}
}

const boom = (where: string) => Effect.fail(new Boom(where))

/** Services A, B, C; B fails in `phase`. */
const startFailure = (phase: "starting" | "start" | "started", concurrent: boolean) =>
  Effect.gen(function*() {
    const rec = new Recorder()
    const host = yield* TestHost.start(
      [rec.lifetime(), rec.service("A"), rec.service("B", { [phase]: boom(`B.${phase}`) }), rec.service("C")],
      { servicesStartConcurrently: concurrent, servicesStopConcurrently: concurrent }
    )
    const startedWaiter = yield* Effect.fork(host.lifetime.started)
    const exit = yield* host.exit
    yield* settle
    // `started` never fires: neither the callback nor a waiter.
    expect(rec.log).not.toContain("lifetime.started")
    expect(Option.isNone(yield* Fiber.poll(startedWaiter))).toBe(true)
    const error = failureOf(exit)
    if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
    expect(error.failures.map((f) => [f.service, f.phase])).toStrictEqual([["B", phase]])
    expect(errorIn(error.failures[0]?.cause ?? Cause.empty)).toStrictEqual(new Boom(`B.${phase}`))
    expect(error.message).toContain(`B (${phase})`)
    expect(error.message).toContain("Boom")
    expect(error.rollback).toStrictEqual({ failures: [], deadline: undefined })
    return { log: rec.log, trace: yield* host.trace, events: yield* host.events }
  })

describe("a failure in a start phase (sequential)", () => {
  it.scoped("starting: later services and later phases are not called; nothing to roll back", () =>
    Effect.gen(function*() {
      const { log, trace } = yield* startFailure("starting", false)
      expect(log).toStrictEqual(["A.starting", "B.starting", "lifetime.stopping", "lifetime.stopped"])
      expect(trace).toStrictEqual(["A.starting", "B.starting", "lifetime.stopping", "lifetime.stopped"])
    }))

  it.scoped("start: C is never called, A (start completed) is rolled back, B (start failed) gets no stop hooks", () =>
    Effect.gen(function*() {
      const { log, trace } = yield* startFailure("start", false)
      const expected = [
        "A.starting",
        "B.starting",
        "C.starting",
        "A.start",
        "B.start",
        "lifetime.stopping",
        ...stopTrace(["A"]),
        "lifetime.stopped"
      ]
      expect(log).toStrictEqual(expected)
      expect(trace).toStrictEqual(expected)
    }))

  it.scoped("started: every service (all completed start, the failing one too) is rolled back in reverse order", () =>
    Effect.gen(function*() {
      const { events, log, trace } = yield* startFailure("started", false)
      const expected = [
        "A.starting",
        "B.starting",
        "C.starting",
        "A.start",
        "B.start",
        "C.start",
        "A.started",
        "B.started",
        "lifetime.stopping",
        ...stopTrace(["C", "B", "A"]),
        "lifetime.stopped"
      ]
      expect(log).toStrictEqual(expected)
      expect(trace).toStrictEqual(expected)
      expect(events).toContainEqual({ _tag: "HookFailed", service: "B", phase: "started" })
    }))
})

describe("a failure in a start phase (concurrent)", () => {
  it.scoped("start: every member of the phase runs, C (start completed) is rolled back too", () =>
    Effect.gen(function*() {
      const { log } = yield* startFailure("start", true)
      expect(log).toStrictEqual([
        "A.starting",
        "B.starting",
        "C.starting",
        "A.start",
        "B.start",
        "C.start",
        "lifetime.stopping",
        ...stopTrace(["C", "A"]),
        "lifetime.stopped"
      ])
    }))

  it.scoped("every failure of the phase is collected, also from members slower than the first failure", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [
          rec.service("A"),
          rec.service("B", { start: boom("B") }),
          rec.service("C", { start: Effect.sleep("10 seconds") }),
          rec.service("D", { start: Effect.zipRight(Effect.sleep("5 seconds"), boom("D")) })
        ],
        { servicesStartConcurrently: true }
      )
      yield* host.advance("10 seconds")
      const error = failureOf(yield* host.exit)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.failures.map((f) => [f.service, f.phase, errorIn(f.cause)])).toStrictEqual([
        ["B", "start", new Boom("B")],
        ["D", "start", new Boom("D")]
      ])
      expect(error.message).toContain("B (start), D (start)")
      // C's slow start was not interrupted (the phase is a barrier) and C is rolled back with A.
      expect(rec.log.slice(8)).toStrictEqual(stopTrace(["C", "A"]))
      expect(rec.log).not.toContain("B.started")
    }))

  it.scoped("a failure is not lost when a stop request interrupts the rest of its phase", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [rec.service("A", { starting: Effect.sleep("10 seconds") }), rec.service("B", { starting: boom("B") })],
        { servicesStartConcurrently: true }
      )
      yield* host.advance("1 second")
      yield* host.requestStop
      const error = failureOf(yield* host.exit)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.failures.map((f) => `${f.service}.${f.phase}`)).toStrictEqual(["B.starting"])
    }))

  it.scoped("failures in starting are collected from every member too; no start runs", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start(
        [rec.service("A", { starting: boom("A") }), rec.service("B"), rec.service("C", { starting: boom("C") })],
        { servicesStartConcurrently: true }
      )
      const error = failureOf(yield* host.exit)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.failures.map((f) => `${f.service}.${f.phase}`)).toStrictEqual(["A.starting", "C.starting"])
      expect(rec.log).toStrictEqual(["A.starting", "B.starting", "C.starting"])
    }))
})

describe("start failures reach the caller", () => {
  it.effect("Host.launch fails with HostStartError naming service, phase and cause; the failure is logged", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const error = yield* Host.launch([
        HostedService.make("Db", { start: Effect.void }),
        HostedService.make("Api", { start: boom("port in use") })
      ]).pipe(Effect.flip, Effect.provide(logs.layer))
      expect(HostError.isHostError(error)).toBe(true)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.failures).toHaveLength(1)
      expect(error.failures[0]?.service).toBe("Api")
      expect(error.failures[0]?.phase).toBe("start")
      expect(errorIn(error.failures[0]?.cause ?? Cause.empty)).toStrictEqual(new Boom("port in use"))
      const logged = logs.lines.find((l) => l.level === "ERROR" && l.message.includes("Api"))
      expect(logged?.annotations).toMatchObject({ service: "Api", phase: "start" })
      expect(errorIn(logged?.cause ?? Cause.empty)).toStrictEqual(new Boom("port in use"))
    }))

  it.effect("a defect in a hook is a failure too, with the defect in the cause", () =>
    Effect.gen(function*() {
      const error = yield* Host.launch([HostedService.make("A", { start: Effect.die("kaput") })]).pipe(Effect.flip)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(Cause.squash(error.failures[0]?.cause ?? Cause.empty)).toBe("kaput")
    }))

  it.effect("a hook that interrupts itself fails the start, and is logged like any failure", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const error = yield* Host.launch([
        HostedService.make("A", { start: Effect.void }),
        HostedService.make("B", { start: Effect.interrupt })
      ]).pipe(Effect.flip, Effect.provide(logs.layer))
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.failures.map((f) => [f.service, f.phase, Cause.isInterruptedOnly(f.cause)])).toStrictEqual([
        ["B", "start", true]
      ])
      expect(logs.lines.some((l) => l.level === "ERROR" && l.message.includes("B was interrupted in start"))).toBe(true)
    }))

  it.effect("a failing rollback is reported inside the HostStartError", () =>
    Effect.gen(function*() {
      const error = yield* Host.launch([
        HostedService.make("A", { start: Effect.void, stop: boom("A.stop") }),
        HostedService.make("B", { start: boom("B.start") })
      ]).pipe(Effect.flip)
      if (error._tag !== "HostStartError") throw new Error(`expected HostStartError, got ${error._tag}`)
      expect(error.rollback.failures.map((f) => [f.service, f.phase, errorIn(f.cause)])).toStrictEqual([
        ["A", "stop", new Boom("A.stop")]
      ])
      expect(error.message).toContain("while rolling back")
    }))
})

describe("stop failures", () => {
  for (const phase of ["stopping", "stop", "stopped"] as const) {
    for (const concurrent of [false, true]) {
      it.scoped(`a failure in ${phase} (${concurrent ? "concurrent" : "sequential"}) is reported; every service gets every stop phase`, () =>
        Effect.gen(function*() {
          const rec = new Recorder()
          const host = yield* TestHost.start(
            [rec.service("A"), rec.service("B", { [phase]: boom(`B.${phase}`) }), rec.service("C")],
            { servicesStopConcurrently: concurrent }
          )
          yield* host.started
          rec.log.length = 0
          const error = failureOf(yield* host.stop)
          if (error._tag !== "HostStopError") throw new Error(`expected HostStopError, got ${error._tag}`)
          expect(error.failures.map((f) => [f.service, f.phase, errorIn(f.cause)])).toStrictEqual([
            ["B", phase, new Boom(`B.${phase}`)]
          ])
          expect(error.message).toContain(`B (${phase})`)
          expect(rec.log).toStrictEqual(stopTrace(["C", "B", "A"]))
          expect(HostError.hitShutdownDeadline(error)).toBe(false)
        }))
    }
  }

  it.scoped("failures in every stop phase of several services are all reported, in the order they happened", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([
        rec.service("A", { stopped: boom("A.stopped") }),
        rec.service("B", { stopping: boom("B.stopping"), stop: Effect.die("B.stop") }),
        rec.service("C", { stop: boom("C.stop") })
      ])
      yield* host.started
      rec.log.length = 0
      const exit = yield* host.stop
      const error = failureOf(exit)
      if (error._tag !== "HostStopError") throw new Error(`expected HostStopError, got ${error._tag}`)
      expect(error.failures.map((f) => `${f.service}.${f.phase}`)).toStrictEqual([
        "B.stopping",
        "C.stop",
        "B.stop",
        "A.stopped"
      ])
      expect(rec.log).toStrictEqual(stopTrace(["C", "B", "A"]))
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.scoped("a graceful stop without failures succeeds", () =>
    Effect.gen(function*() {
      const rec = new Recorder()
      const host = yield* TestHost.start([rec.service("A")])
      yield* host.started
      assertSuccess(yield* host.stop)
    }))
})
