/**
 * The engine's invariants under random applications (DESIGN.md, "Lifecycle"): random sets of
 * services with random hook durations (TestClock), random failures in random phases, random
 * concurrency modes, random startup deadlines and stop requests, and sometimes a stop hook that
 * never ends. Whatever happens:
 *   - a service gets its stop phases exactly once iff its `start` hook completed (a prefix of them
 *     when the shutdown deadline cut the stop), never without a completed start;
 *   - hooks are called FIFO per start phase and in reverse order per stop phase, phase by phase;
 *   - `started` fires only after every `started` hook completed; `stopped` fires once, last;
 *   - the result is a failure exactly when some hook failed or a deadline was hit.
 *
 * Durations are multiples of 10 ms, the startup deadline is 5 ms off that grid and the stop
 * request 3 ms off it, so no two timed events tie and the model below is exact.
 */
import { expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, FastCheck as fc, Option } from "effect"
import { HostedService } from "effect-host"
import { TestHost } from "effect-host/testing"

const phases = ["starting", "start", "started", "stopping", "stop", "stopped"] as const
type Phase = (typeof phases)[number]
const startPhases: ReadonlyArray<Phase> = ["starting", "start", "started"]
const stopPhases: ReadonlyArray<Phase> = ["stopping", "stop", "stopped"]

interface Spec {
  readonly durations: ReadonlyArray<number> // per phase, in 10 ms steps
  readonly failIn: Phase | undefined
  readonly stuckStop: boolean
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  // Mostly instant hooks (each sleep costs the TestClock a step), some of 10 to 30 ms.
  durations: fc.array(fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 }), {
    minLength: 6,
    maxLength: 6
  }),
  failIn: fc.option(fc.constantFrom(...phases), { nil: undefined, freq: 3 }),
  stuckStop: fc.boolean().map((b) => b && Math.random() < 0.3)
})

const scenarioArb = fc.record({
  specs: fc.array(specArb, { minLength: 1, maxLength: 12 }),
  startConcurrently: fc.boolean(),
  stopConcurrently: fc.boolean(),
  // In 10 ms steps; the deadline lands 5 ms after the step.
  startupTimeout: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  // In 10 ms steps; the request lands 3 ms after the step.
  stopAt: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined })
})

type Step = { readonly service: string; readonly phase: Phase; readonly what: "call" | "done" | "failed"; readonly at: number }

it.effect.prop("lifecycle invariants hold for random applications", [scenarioArb], ([scenario]) =>
  Effect.scoped(Effect.gen(function*() {
    const steps: Array<Step> = []
    const names = scenario.specs.map((_, i) => `S${i}`)
    const record = (service: string, phase: Phase, what: Step["what"]) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.sync(() => void steps.push({ service, phase, what, at })))

    const services = scenario.specs.map((spec, i) => {
      const name = names[i] ?? "?"
      const hook = (phase: Phase, index: number) => {
        const duration = (spec.durations[index] ?? 0) * 10
        const body = spec.stuckStop && phase === "stop"
          ? Effect.never
          : duration === 0
          ? Effect.void
          : Effect.sleep(`${duration} millis`)
        const end = spec.failIn === phase
          // Recording and failing together: an interruption cannot fall between them.
          ? Effect.uninterruptible(Effect.zipRight(record(name, phase, "failed"), Effect.fail(`${name}.${phase}`)))
          : record(name, phase, "done")
        return Effect.zipRight(record(name, phase, "call"), Effect.zipRight(body, end))
      }
      return HostedService.make(name, Object.fromEntries(phases.map((p, index) => [p, hook(p, index)])))
    })

    const shutdownTimeout = 1000 // far above any legitimate stop: 12 services x 3 phases x 30 ms
    const startupTimeout = scenario.startupTimeout === undefined ? undefined : scenario.startupTimeout * 10 + 5
    const stopAt = scenario.stopAt === undefined ? undefined : scenario.stopAt * 10 + 3
    const host = yield* TestHost.start(services, {
      servicesStartConcurrently: scenario.startConcurrently,
      servicesStopConcurrently: scenario.stopConcurrently,
      shutdownTimeout: `${shutdownTimeout} millis`,
      ...(startupTimeout === undefined ? {} : { startupTimeout: `${startupTimeout} millis` })
    })
    if (stopAt !== undefined) yield* host.advance(`${stopAt} millis`)
    else yield* host.advance("1 hour")
    yield* host.requestStop
    yield* host.advance("1 hour")
    const exit = yield* host.exit
    const trace = yield* host.trace

    // --- the model ----------------------------------------------------------------------------
    const calls = steps.filter((s) => s.what === "call")
    const has = (service: string, phase: Phase, what: Step["what"]) =>
      steps.some((s) => s.service === service && s.phase === phase && s.what === what)
    const startCompleted = names.filter((n) => has(n, "start", "done"))
    const anyFailed = steps.some((s) => s.what === "failed")
    const shutdownDeadline = scenario.specs.some((spec, i) => spec.stuckStop && has(names[i] ?? "?", "stop", "call"))
    const inFlightAt = (t: number) =>
      calls.filter((c) =>
        startPhases.includes(c.phase) && c.at < t &&
        !steps.some((s) => s.service === c.service && s.phase === c.phase && s.what !== "call" && s.at < t)
      )
    const startupDeadline = startupTimeout !== undefined && (stopAt === undefined || stopAt > startupTimeout) &&
      inFlightAt(startupTimeout).length > 0

    // --- invariants ---------------------------------------------------------------------------
    // Stop phases exactly once iff start completed (a prefix when the deadline cut the stop).
    for (const name of names) {
      const stops = calls.filter((c) => c.service === name && stopPhases.includes(c.phase)).map((c) => c.phase)
      if (!startCompleted.includes(name)) expect(stops).toStrictEqual([])
      else if (!shutdownDeadline) expect(stops).toStrictEqual(stopPhases)
      else expect(stopPhases.slice(0, stops.length)).toStrictEqual(stops)
    }

    // Order: start phases FIFO, stop phases in reverse, phase by phase (the calls, in both modes).
    const startCalls = calls.filter((c) => startPhases.includes(c.phase)).map((c) => `${c.service}.${c.phase}`)
    const fullStart = startPhases.flatMap((p) => names.map((n) => `${n}.${p}`))
    const stopCalls = calls.filter((c) => stopPhases.includes(c.phase)).map((c) => `${c.service}.${c.phase}`)
    const reversed = [...startCompleted].reverse()
    const fullStop = stopPhases.flatMap((p) => reversed.map((n) => `${n}.${p}`))
    if (!scenario.startConcurrently) expect(startCalls).toStrictEqual(fullStart.slice(0, startCalls.length))
    else expect(new Set(startCalls).size).toBe(startCalls.length)
    if (!shutdownDeadline) expect(stopCalls).toStrictEqual(fullStop)
    else if (!scenario.stopConcurrently) expect(stopCalls).toStrictEqual(fullStop.slice(0, stopCalls.length))
    // Every stop hook runs after every start hook ended (the stop waits for the start).
    const firstStop = calls.find((c) => stopPhases.includes(c.phase))
    if (firstStop !== undefined) {
      expect(steps.filter((s) => startPhases.includes(s.phase) && s.what !== "call").every((s) => s.at <= firstStop.at)).toBe(true)
    }

    // Lifetime events: `started` only after every started hook completed; `stopped` once, last.
    if (trace.includes("lifetime.started")) {
      expect(names.every((n) => has(n, "started", "done"))).toBe(true)
    }
    if (anyFailed && steps.some((s) => s.what === "failed" && startPhases.includes(s.phase))) {
      expect(trace).not.toContain("lifetime.started")
    }
    expect(trace.filter((e) => e === "lifetime.stopping")).toHaveLength(1)
    expect(trace.filter((e) => e === "lifetime.stopped")).toHaveLength(1)
    expect(trace.at(-1)).toBe("lifetime.stopped")

    // The result is a failure exactly when some hook failed or a deadline was hit.
    const expectFailure = anyFailed || shutdownDeadline || startupDeadline
    expect(Exit.isFailure(exit)).toBe(expectFailure)
    if (Exit.isFailure(exit)) {
      const error = Option.getOrUndefined(Exit.causeOption(exit).pipe(Option.flatMap((c) => Option.fromNullable(
        (c._tag === "Fail" ? c.error : undefined)
      ))))
      expect(error).toBeDefined()
      if (error?._tag === "StartupTimeoutError") {
        expect(startupDeadline).toBe(true)
        expect([...error.pending].sort()).toStrictEqual(
          [...new Set(inFlightAt(startupTimeout ?? 0).map((c) => c.service))].sort()
        )
      }
      if (error?._tag === "HostStartError") {
        for (const f of error.failures) expect(has(f.service, f.phase as Phase, "failed")).toBe(true)
      }
      if (error?._tag === "ShutdownTimeoutError") expect(shutdownDeadline).toBe(true)
      if (error?._tag === "HostStopError") {
        expect(error.failures.map((f) => `${f.service}.${f.phase}`).sort()).toStrictEqual(
          steps.filter((s) => s.what === "failed").map((s) => `${s.service}.${s.phase}`).sort()
        )
      }
    }
  })), { fastCheck: { numRuns: 100 } })
