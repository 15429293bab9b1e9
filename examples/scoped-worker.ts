/**
 * Consuming a scoped service in a background task — the "ConsumeScopedServiceHostedService" of
 * the .NET hosted-services docs (`IServiceScopeFactory.CreateScope()` per run).
 *
 * `perRun` takes a Layer that is built fresh for every run and released when the run ends —
 * success, failure or interruption — so a per-run resource (a DB transaction, a request-scoped
 * client) can never outlive its run. Every third run fails on purpose: its scope is still
 * released, the failure is logged, and the worker keeps going.
 *
 * Run: `node --import tsx examples/scoped-worker.ts`, then press Ctrl+C.
 */
import { Console, Context, Effect, Layer, Schedule } from "effect"
import { Host, ScheduledService } from "effect-host"
import { NodeHost } from "effect-host/node"

/** The scoped service: one instance per run, like a scoped `IScopedProcessingService`. */
class ScopedProcessing extends Context.Tag("example/ScopedProcessing")<ScopedProcessing, {
  readonly id: number
  readonly doWork: Effect.Effect<void, Error>
}>() {}

let scopes = 0
let open = 0

const ScopedProcessingLive = Layer.scoped(
  ScopedProcessing,
  Effect.acquireRelease(
    Effect.gen(function*() {
      const id = ++scopes
      open++
      yield* Console.log(`scope #${id} opened (open scopes: ${open})`)
      return {
        id,
        doWork: id % 3 === 0
          ? Effect.fail(new Error(`scope #${id}: simulated failure`))
          : Console.log(`scope #${id} doing work`)
      }
    }),
    ({ id }) =>
      Effect.suspend(() => {
        open--
        return Console.log(`scope #${id} released (open scopes: ${open})`)
      })
  )
)

const ScopedWorker = ScheduledService.make("ScopedWorker", {
  schedule: Schedule.spaced("300 millis"),
  run: Effect.flatMap(ScopedProcessing, (scoped) => scoped.doWork),
  perRun: ScopedProcessingLive
})

// Development by default, for human-readable logs (`--environment Production` logs JSON lines).
const options = { configuration: { values: { environment: "Development" } } }

Console.log("scoped-worker: a fresh ScopedProcessing per run, always released").pipe(
  Effect.zipRight(Host.launch([ScopedWorker], options)),
  NodeHost.runMain
)
