/**
 * Queue throughput: M trivial tasks (each increments a counter) pushed by one producer through a
 * bounded queue and run by 1 or 4 workers, until every task has run.
 *
 * - Effect Queue.bounded: the hand-written baseline — `Queue.bounded` + `forkScoped` worker loops.
 * - BackgroundTaskQueue: ours, as a hosted service under `Host.make` (capacity and workers alike).
 * - p-queue / fastq: the popular npm queues, for scale. Both are promise/callback queues without
 *   fibers; p-queue is given the same capacity (the producer waits for room), fastq is unbounded.
 */
import { Context, Deferred, Effect, Layer, Logger, LogLevel, Queue } from "effect"
import { BackgroundTaskQueue, Host } from "effect-host"
import fastq from "fastq"
import PQueue from "p-queue"
import { type Benchmark, median, quietHost, type Row, sideBySide } from "./lib.js"

const capacity = 1024

/** The raw Effect baseline: a bounded queue of effects and `workers` loops taking from it. */
const rawEffect = (tasks: number, workers: number) =>
  Effect.scoped(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Effect.Effect<void>>(capacity)
    const done = yield* Deferred.make<void>()
    let completed = 0
    const task = Effect.suspend(() => ++completed === tasks ? Deferred.succeed(done, undefined) : Effect.void)
    for (let w = 0; w < workers; w++) {
      yield* Effect.forkScoped(Effect.forever(Effect.flatten(Queue.take(queue))))
    }
    for (let i = 0; i < tasks; i++) yield* Queue.offer(queue, task)
    yield* Deferred.await(done)
  }))

/** Ours: the same tasks through `BackgroundTaskQueue` (workers as a hosted service under a host). */
const backgroundTaskQueue = (tasks: number, workers: number) =>
  Effect.scoped(Effect.gen(function*() {
    const done = yield* Deferred.make<void>()
    let completed = 0
    const task = Effect.suspend(() => ++completed === tasks ? Deferred.succeed(done, undefined) : Effect.void)
    // Bound to a const first: written inline in `Host.make([...])`, the layer's input type is inferred as `any`.
    const queueLayer = BackgroundTaskQueue.layer({ capacity, workers })
    const context = yield* Layer.build(Host.make([queueLayer], quietHost))
    const queue = Context.get(context, BackgroundTaskQueue)
    for (let i = 0; i < tasks; i++) yield* queue.enqueue(task)
    yield* Deferred.await(done)
  })).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

const pQueue = async (tasks: number, workers: number) => {
  const queue = new PQueue({ concurrency: workers })
  let completed = 0
  const task = () => {
    completed++
  }
  for (let i = 0; i < tasks; i++) {
    if (queue.size >= capacity) await queue.onSizeLessThan(capacity)
    void queue.add(task)
  }
  await queue.onIdle()
  if (completed !== tasks) throw new Error(`p-queue ran ${completed} of ${tasks}`)
}

const fastQueue = (tasks: number, workers: number) =>
  new Promise<void>((resolve, reject) => {
    let completed = 0
    const queue = fastq((_: number, cb: (error: Error | null) => void) => {
      completed++
      cb(null)
    }, workers)
    const finish = () => (completed === tasks ? resolve() : reject(new Error(`fastq ran ${completed} of ${tasks}`)))
    for (let i = 0; i < tasks; i++) queue.push(i)
    // A synchronous worker may have drained the queue during the pushes already.
    if (queue.idle()) finish()
    else queue.drain = finish
  })

type QueueProgram = (tasks: number, workers: number) => Promise<void>

const ours: Readonly<Record<string, QueueProgram>> = {
  BackgroundTaskQueue: (m, w) => Effect.runPromise(backgroundTaskQueue(m, w))
}

export const queue: Benchmark = {
  name: "queue",
  title: "Queue throughput, 1 and 4 workers",
  run: async ({ quick }) => {
    const tasks = quick ? 20_000 : 200_000
    const reps = quick ? 3 : 5
    const baselineName = "Effect Queue.bounded"
    const programs: Record<string, QueueProgram> = {
      [baselineName]: (m, w) => Effect.runPromise(rawEffect(m, w)),
      ...ours,
      "p-queue": pQueue,
      fastq: fastQueue
    }
    const names = Object.keys(programs)
    const oursName = Object.keys(ours)[0]
    const rows: Array<Row> = []
    for (const workers of [1, 4]) {
      const samples = await sideBySide(
        Object.fromEntries(names.map((n) => [n, () => programs[n]?.(tasks, workers) ?? Promise.resolve()])),
        { reps, warmup: 1 }
      )
      // Throughput in tasks per second from the median duration.
      const values = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(tasks / (median(v) / 1000))]))
      const ratio = oursName === undefined ? undefined : (values[oursName] ?? 0) / (values[baselineName] ?? Number.NaN)
      rows.push({
        case: `${workers} worker${workers === 1 ? "" : "s"}`,
        values,
        ratio: ratio === undefined ? undefined : { label: `${oursName} / ${baselineName}`, value: ratio },
        target: ratio === undefined ? undefined : { text: "≥ 0.70x", pass: ratio >= 0.7 }
      })
    }
    return {
      name: "queue",
      title: "Queue throughput, 1 and 4 workers",
      unit: `tasks per second (${tasks.toLocaleString("en-US")} tasks, capacity ${capacity}, median of ${reps}), higher is better`,
      programs: names,
      rows,
      notes: [
        "Each task increments a counter; the producer enqueues every task, the run ends when the last one has run.",
        "BackgroundTaskQueue includes building and stopping its host (a few ms) in every run.",
        "p-queue gets the same capacity (the producer awaits room); fastq has no capacity (unbounded)."
      ]
    }
  }
}
