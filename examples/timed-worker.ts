/**
 * Timed background task — the "TimedHostedService" of the .NET hosted-services docs.
 *
 * Every second the worker increments an execution counter and prints it. Unlike a
 * `System.Threading.Timer` callback, runs never overlap (a run still going when the next tick
 * fires makes that tick be skipped), a failing run is logged and the timer goes on, and at
 * Ctrl+C the run in progress is awaited before the host stops.
 *
 * Run: `node --import tsx examples/timed-worker.ts`, then press Ctrl+C.
 */
import { Console, Effect, Layer, Schedule } from "effect"
import { ApplicationLifetime, Host, ScheduledService } from "effect-host"
import { NodeHost } from "effect-host/node"

let executionCount = 0

const TimedWorker = ScheduledService.make("TimedWorker", {
  // Fixed rate: ticks at 1 s, 2 s, 3 s ... after start, whatever each run takes.
  schedule: Schedule.fixed("1 second"),
  run: Effect.suspend(() => {
    const count = ++executionCount
    return Console.log(`Timed Hosted Service is working. Count: ${count}`)
  })
})

// The .NET sample logs when its timer starts and stops; lifetime callbacks do the same here.
const Announce = Layer.effectDiscard(Effect.gen(function*() {
  yield* ApplicationLifetime.onStarted(Console.log("Timed Hosted Service running (every second)."))
  yield* ApplicationLifetime.onStopped(Effect.gen(function*() {
    const stats = yield* TimedWorker.stats
    yield* Console.log(`Timed Hosted Service stopped after ${stats.runs} run(s), ${stats.skipped} skipped.`)
  }))
}))

// Development by default, for human-readable logs (`--environment Production` logs JSON lines).
const options = { configuration: { values: { environment: "Development" } } }

Host.launch([Announce, TimedWorker], options).pipe(NodeHost.runMain)
