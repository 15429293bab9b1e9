/**
 * Queued background tasks — the "QueuedHostedService" of the ASP.NET Core hosted-services docs,
 * whose Razor page has an "Add Task" button. Here the button is an HTTP endpoint:
 *
 *   curl -X POST http://localhost:3000/tasks      # or open http://localhost:3000 and click "Add Task"
 *
 * Each task runs three 300 ms steps on the queue's single worker. At Ctrl+C the HTTP server stops
 * accepting first, then the queue refuses new tasks and completes the ones already queued (within
 * the shutdown budget) before the host stops; a task that could not be completed would be logged
 * and handed to `onUnprocessed` — never lost silently.
 *
 * Run: `node --import tsx examples/queued-work.ts` (port: `--Http:Port=8080`), then press Ctrl+C.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { Console, Effect, Layer } from "effect"
import { BackgroundTaskQueue, Host } from "effect-host"
import { HttpHost } from "effect-host/http"
import { NodeHost } from "effect-host/node"

let nextId = 0

/** One work item, as in the docs' sample: three delays, with progress. */
const workItem = (id: number) =>
  Effect.gen(function*() {
    for (let step = 1; step <= 3; step++) {
      yield* Effect.sleep("300 millis")
      yield* Console.log(`Queued work item ${id} is running. ${step}/3`)
    }
    yield* Console.log(`Queued Background Task ${id} is complete.`)
  })

const page = `<!doctype html><title>queued-work</title>
<form method="post" action="/tasks"><button>Add Task</button></form>`

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.html(page)),
  HttpRouter.post(
    "/tasks",
    Effect.gen(function*() {
      const id = ++nextId
      // Waits for room when the queue is full (back-pressure); fails once the stop has begun.
      yield* BackgroundTaskQueue.enqueue(workItem(id))
      yield* Console.log(`Task ${id} queued (${yield* BackgroundTaskQueue.size} waiting)`)
      return yield* HttpServerResponse.json({ id }, { status: 202 })
    }).pipe(
      Effect.catchTag("TaskQueueStoppedError", () => HttpServerResponse.text("shutting down", { status: 503 }))
    )
  )
)

const Queue = BackgroundTaskQueue.layer({
  capacity: 100,
  workers: 1,
  onUnprocessed: (tasks) => Console.log(`${tasks.length} task(s) could not be completed`)
})

// Development by default, for human-readable logs (`--environment Production` logs JSON lines).
const options = { configuration: { values: { environment: "Development" } } }

Console.log("queued-work: POST /tasks adds a work item; Ctrl+C completes the queued ones, then stops").pipe(
  // The router enqueues, so the HTTP layer gets the queue with `Layer.provide`; the host builds each
  // layer once, so the queue's workers are still one hosted service, registered first.
  Effect.zipRight(Host.launch([Queue, HttpHost.layer(router).pipe(Layer.provide(Queue))], options)),
  NodeHost.runMain
)
