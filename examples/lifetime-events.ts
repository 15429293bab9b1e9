/**
 * The application lifetime from the inside — .NET's `IHostApplicationLifetime` used by a worker:
 * wait for `ApplicationStarted`, do a batch of work, then `StopApplication()`.
 *
 * A `BackgroundService` (`ExecuteAsync`) waits until every service has started, processes three
 * batches and asks the host to stop; a `Connection` service shows that the stop still runs every
 * stop hook. The process ends on its own with exit code 0 — or earlier on Ctrl+C, in which case
 * the worker is interrupted (that is the host's own doing, never reported as a failure).
 *
 * Run: `node --import tsx examples/lifetime-events.ts`
 */
import { Console, Effect } from "effect"
import { ApplicationLifetime, BackgroundService, Host, HostedService } from "effect-host"
import { NodeHost } from "effect-host/node"

const Connection = HostedService.make("Connection", {
  start: Console.log("Connection: open"),
  stop: Console.log("Connection: closed")
})

const BatchJob = BackgroundService.make(
  "BatchJob",
  Effect.gen(function*() {
    // `execute` is forked during start: wait until the whole application is up.
    yield* ApplicationLifetime.started
    yield* Console.log("BatchJob: application started, processing 3 batches")
    for (let batch = 1; batch <= 3; batch++) {
      yield* Effect.sleep("300 millis")
      yield* Console.log(`BatchJob: batch ${batch}/3 done`)
    }
    yield* Console.log("BatchJob: all done, stopping the application")
    yield* ApplicationLifetime.stopApplication
  }).pipe(Effect.onInterrupt(() => Console.log("BatchJob: interrupted by the stop")))
)

// Development by default, for human-readable logs (`--environment Production` logs JSON lines).
const options = { configuration: { values: { environment: "Development" } } }

Effect.gen(function*() {
  yield* Console.log("lifetime-events: a worker that stops the application when its work is done")
  yield* Host.launch([Connection, BatchJob], options)
  yield* Console.log("Host.launch returned: the application stopped gracefully")
}).pipe(NodeHost.runMain)
