/**
 * The example app (`npm start`): a small worker service, no outside services needed.
 *
 * - `POST /jobs?ms=1500` enqueues a job (a simulated piece of work of `ms` milliseconds; add
 *   `&fail=true` to make it fail) on a queue worked off by 2 workers; `GET /jobs` shows the counts.
 * - A timed job reports the counts every 10 seconds (`Jobs:ReportIntervalSeconds`).
 * - Health endpoints: `/health/live`, `/health/ready` (includes a "queue not full" check),
 *   `/health/startup`.
 * - Status messages, and a graceful Ctrl+C: the HTTP server stops accepting, the queued jobs are
 *   completed (within `shutdownTimeoutSeconds`, default 30), then the process exits 0.
 *
 * Configuration (later wins): defaults below < `appsettings.json` < `appsettings.{Environment}.json`
 * < environment variables (`HTTP__PORT=8080`) < command line (`npm start -- --Http:Port=8080`).
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Console, Context, Effect, Layer, Ref, Schedule, Schema } from "effect"
import { ApplicationLifetime, BackgroundTaskQueue, Host, ScheduledService, Settings } from "effect-host"
import { Health, HttpHost } from "effect-host/http"
import { NodeHost } from "effect-host/node"

// ---------------------------------------------------------------------------------------------
// Settings: the `Jobs` section, typed; every invalid key is reported before anything starts.
// ---------------------------------------------------------------------------------------------
class JobSettings extends Settings.Tag("app/JobSettings")<JobSettings>()(
  "Jobs",
  Schema.Struct({
    Workers: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 64)), { default: () => 2 }),
    Capacity: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 100 }),
    ReportIntervalSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 10 })
  })
) {}

// ---------------------------------------------------------------------------------------------
// Job counts, shared by the HTTP handlers, the workers and the report.
// ---------------------------------------------------------------------------------------------
interface Counts {
  readonly queued: number
  readonly running: number
  readonly completed: number
  readonly failed: number
}

class JobStats extends Context.Tag("app/JobStats")<JobStats, Ref.Ref<Counts>>() {
  static readonly layer = Layer.effect(JobStats, Ref.make<Counts>({ queued: 0, running: 0, completed: 0, failed: 0 }))
}

// The queue of jobs: its workers are a hosted service, drained at stop.
class Jobs extends BackgroundTaskQueue.Tag("app/Jobs")<Jobs>() {}

const JobsLive = Layer.unwrapEffect(Effect.map(JobSettings, (settings) =>
  Jobs.layer({
    capacity: settings.Capacity,
    workers: settings.Workers,
    onUnprocessed: (tasks) => Effect.logWarning(`${tasks.length} job(s) were not completed before the shutdown deadline`)
  }))).pipe(Layer.provide(JobSettings.layer))

/** One job: `ms` of simulated work, failing at the end when asked to. */
const job = (id: number, ms: number, fail: boolean) =>
  Effect.gen(function*() {
    const stats = yield* JobStats
    yield* Ref.update(stats, (c) => ({ ...c, queued: c.queued - 1, running: c.running + 1 }))
    yield* Effect.log(`job ${id}: working for ${ms} ms`)
    yield* Effect.sleep(ms)
    if (fail) return yield* Effect.fail(new Error(`job ${id} failed (as requested)`))
    yield* Effect.log(`job ${id}: done`)
  }).pipe(
    Effect.onExit((exit) =>
      Effect.flatMap(JobStats, (stats) =>
        Ref.update(stats, (c) => ({
          ...c,
          running: c.running - 1,
          completed: c.completed + (exit._tag === "Success" ? 1 : 0),
          failed: c.failed + (exit._tag === "Failure" ? 1 : 0)
        })))
    ),
    Effect.annotateLogs({ job: id })
  )

// ---------------------------------------------------------------------------------------------
// HTTP: enqueue and inspect jobs. Health endpoints are added by HttpHost.
// ---------------------------------------------------------------------------------------------
const JobQuery = Schema.Struct({
  ms: Schema.optionalWith(Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, 600_000)), { default: () => 1000 }),
  fail: Schema.optionalWith(Schema.BooleanFromString, { default: () => false })
})

let nextId = 0

const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/",
    HttpServerResponse.text(
      "effect-host example app\n\n" +
        "POST /jobs?ms=1500[&fail=true]   enqueue a job\n" +
        "GET  /jobs                       job counts\n" +
        "GET  /health/live | /health/ready | /health/startup\n"
    )
  ),
  HttpRouter.get("/jobs", Effect.flatMap(JobStats, Ref.get).pipe(Effect.flatMap((counts) => HttpServerResponse.json(counts)))),
  HttpRouter.post(
    "/jobs",
    Effect.gen(function*() {
      const { fail, ms } = yield* HttpServerRequest.schemaSearchParams(JobQuery)
      const stats = yield* JobStats
      const id = ++nextId
      yield* Ref.update(stats, (c) => ({ ...c, queued: c.queued + 1 }))
      // Waits for room when the queue is full; fails with TaskQueueStoppedError once stopping.
      yield* Jobs.enqueue(job(id, ms, fail).pipe(Effect.provideService(JobStats, stats))).pipe(
        Effect.tapError(() => Ref.update(stats, (c) => ({ ...c, queued: c.queued - 1 })))
      )
      yield* Effect.log(`job ${id}: queued`)
      return yield* HttpServerResponse.json({ id, ms, fail }, { status: 202 })
    }).pipe(
      Effect.catchTags({
        ParseError: () => HttpServerResponse.text("ms must be an integer from 0 to 600000, fail true or false\n", { status: 400 }),
        TaskQueueStoppedError: () => HttpServerResponse.text("shutting down\n", { status: 503 })
      })
    )
  )
)

// Readiness: not ready while the queue is full (a load balancer then sends work elsewhere).
const QueueHealth = Layer.unwrapEffect(Effect.gen(function*() {
  const settings = yield* JobSettings
  return Health.check(
    "queue-not-full",
    Effect.flatMap(Jobs.size, (size) =>
      size < settings.Capacity ? Effect.void : Effect.fail(new Error(`queue full (${size}/${settings.Capacity})`))),
    { tags: ["ready"], timeout: "1 second" }
  )
})).pipe(Layer.provide(JobSettings.layer))

// ---------------------------------------------------------------------------------------------
// The timed job: a status report.
// ---------------------------------------------------------------------------------------------
const Report = Layer.unwrapEffect(Effect.map(JobSettings, (settings) =>
  ScheduledService.make("Report", {
    schedule: Schedule.spaced(`${settings.ReportIntervalSeconds} seconds`),
    run: Effect.gen(function*() {
      const counts = yield* Ref.get(yield* JobStats)
      const waiting = yield* Jobs.size
      yield* Effect.log(
        `jobs: ${counts.queued} queued (${waiting} waiting for a worker), ${counts.running} running, ` +
          `${counts.completed} completed, ${counts.failed} failed`
      )
    })
  }))).pipe(Layer.provide(JobSettings.layer))

// Tells the user where to point curl once the server listens.
const Banner = Layer.effectDiscard(Effect.gen(function*() {
  const http = yield* HttpHost.HttpHost
  yield* ApplicationLifetime.onStarted(Effect.gen(function*() {
    const address = yield* http.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    yield* Console.log(
      `\nTry:  curl -X POST 'http://localhost:${port}/jobs?ms=2000'   then   curl http://localhost:${port}/jobs\n`
    )
  }))
}))

// ---------------------------------------------------------------------------------------------
// The host: services in registration order. Layers that need another's output get it with
// `Layer.provide`; the host builds each layer once, so shared layers are shared.
// ---------------------------------------------------------------------------------------------
const Shared = Layer.mergeAll(JobsLive, JobStats.layer)
const Http = HttpHost.layer(router).pipe(Layer.provide(Shared))

Host.launch([
  JobsLive,
  Report.pipe(Layer.provide(Shared)),
  QueueHealth.pipe(Layer.provide(Shared)),
  Http,
  Banner.pipe(Layer.provide(Http))
], {
  // Human-readable logs for a first run; `--environment Production` gives JSON lines instead.
  configuration: { values: { environment: "Development" } }
}).pipe(NodeHost.runMain)
