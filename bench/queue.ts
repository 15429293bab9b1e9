/**
 * Queue throughput: M tasks pushed by one producer through a queue of the same capacity and run
 * by 1 or 4 workers, until every task has run. Two kinds of task: no-op (increments a counter)
 * and yielding (`Effect.yieldNow()` first; for the promise queues an awaited `setImmediate`).
 *
 * - BackgroundTaskQueue: ours, as a hosted service under `Host.make`, from the built package
 *   (`dist/`, run `npm run build` first) when it is up to date, else from the sources.
 * - Effect batched loop: the fastest hand-written Effect version, `Queue.bounded` + workers that
 *   take what is there in one `Queue.takeBetween` and run the batch, so a full queue wakes its
 *   producer once per batch instead of once per task. (The variant with an unbounded queue, a
 *   semaphore of `capacity` permits taken per task and released once per batch measured 2-3x the
 *   CPU time of this one, so this one is the baseline.)
 * - Effect one-take loop: `Queue.bounded` + workers that `Queue.take` one task at a time.
 * - p-queue: the popular promise queue, with the same capacity (the producer awaits
 *   `onSizeLessThan(capacity)`); fastq (unbounded, callbacks) for scale.
 *
 * Every program runs in the same process, interleaved (5 rounds after 1 warm-up, the starting
 * program rotated each round, a minor GC before each run), and both wall time and CPU time
 * (`process.cpuUsage`, user + system) are recorded; each row gives the median's throughput.
 */
import { Context, Deferred, Effect, Layer, Logger, LogLevel, Queue } from "effect"
import type * as EffectHost from "effect-host"
import fastq from "fastq"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import PQueue from "p-queue"
import { type Benchmark, median, quietHost, rootDir, type Row } from "./lib.js"

const capacity = 1024

type Kind = "no-op" | "yielding"

/** The built package when it is newer than every source file, else the sources (through tsx). */
const loadEffectHost = async (): Promise<{ readonly lib: typeof EffectHost; readonly built: boolean }> => {
  const dist = path.join(rootDir, "dist", "index.js")
  const newestSource = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
      const file = path.join(dir, entry.name)
      return Math.max(newest, entry.isDirectory() ? newestSource(file) : fs.statSync(file).mtimeMs)
    }, 0)
  if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= newestSource(path.join(rootDir, "src"))) {
    return { lib: (await import(pathToFileURL(dist).href)) as typeof EffectHost, built: true }
  }
  return { lib: await import("effect-host"), built: false }
}

/** A counter of completed tasks that completes `done` at the last one, and an Effect task. */
const effectTask = (tasks: number, kind: Kind, done: Deferred.Deferred<void>) => {
  let completed = 0
  const count = Effect.suspend(() => ++completed === tasks ? Deferred.succeed(done, undefined) : Effect.void)
  return kind === "no-op" ? count : Effect.zipRight(Effect.yieldNow(), count)
}

/** Hand-written: `Queue.bounded` and `workers` loops that take one task at a time. */
const oneTakeLoop = (tasks: number, workers: number, kind: Kind) =>
  Effect.scoped(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Effect.Effect<void>>(capacity)
    const done = yield* Deferred.make<void>()
    const task = effectTask(tasks, kind, done)
    for (let w = 0; w < workers; w++) {
      yield* Effect.forkScoped(Effect.forever(Effect.flatten(Queue.take(queue))))
    }
    for (let i = 0; i < tasks; i++) yield* Queue.offer(queue, task)
    yield* Deferred.await(done)
  }))

/** Hand-written: `Queue.bounded` and `workers` loops that take every queued task at once. */
const batchedLoop = (tasks: number, workers: number, kind: Kind) =>
  Effect.scoped(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Effect.Effect<void>>(capacity)
    const done = yield* Deferred.make<void>()
    const task = effectTask(tasks, kind, done)
    for (let w = 0; w < workers; w++) {
      yield* Effect.forkScoped(Effect.forever(
        Effect.flatMap(Queue.takeBetween(queue, 1, capacity), (batch) => Effect.forEach(batch, (t) => t, { discard: true }))
      ))
    }
    for (let i = 0; i < tasks; i++) yield* Queue.offer(queue, task)
    yield* Deferred.await(done)
  }))

/** Ours: the same tasks through `BackgroundTaskQueue` (workers as a hosted service under a host). */
const backgroundTaskQueue = (lib: typeof EffectHost) => (tasks: number, workers: number, kind: Kind) =>
  Effect.scoped(Effect.gen(function*() {
    const done = yield* Deferred.make<void>()
    const task = effectTask(tasks, kind, done)
    // Bound to a const first: written inline in `Host.make([...])`, the layer's input type is inferred as `any`.
    const queueLayer = lib.BackgroundTaskQueue.layer({ capacity, workers })
    const context = yield* Layer.build(lib.Host.make([queueLayer], quietHost))
    const queue = Context.get(context, lib.BackgroundTaskQueue)
    for (let i = 0; i < tasks; i++) yield* queue.enqueue(task)
    yield* Deferred.await(done)
  })).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A minor GC between programs, so none pays for the young garbage of the one before it (CPU time
 * counts the GC threads too). Not a full GC: the runs right after a forced full GC are slower
 * for a while, whatever they do (see fixtures/startstop.ts), which cost the fast programs up to
 * 3x at 20,000 tasks (`--quick`). `--expose-gc` is not on the bench's command line; V8 can still hand out
 * its `gc` function to a fresh context once the flag is set.
 */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString("--expose-gc")
  const gc: unknown = vm.runInNewContext("gc")
  return typeof gc === "function" ? () => void gc({ type: "minor" }) : () => undefined
})()

const pQueue = async (tasks: number, workers: number, kind: Kind) => {
  const queue = new PQueue({ concurrency: workers })
  let completed = 0
  const task = kind === "no-op"
    ? () => {
      completed++
    }
    : async () => {
      await immediate()
      completed++
    }
  for (let i = 0; i < tasks; i++) {
    if (queue.size >= capacity) await queue.onSizeLessThan(capacity)
    void queue.add(task)
  }
  await queue.onIdle()
  if (completed !== tasks) throw new Error(`p-queue ran ${completed} of ${tasks}`)
}

const fastQueue = (tasks: number, workers: number, kind: Kind) =>
  new Promise<void>((resolve, reject) => {
    let completed = 0
    const queue = fastq((_: number, cb: (error: Error | null) => void) => {
      if (kind === "no-op") {
        completed++
        cb(null)
      } else {
        setImmediate(() => {
          completed++
          cb(null)
        })
      }
    }, workers)
    const finish = () => (completed === tasks ? resolve() : reject(new Error(`fastq ran ${completed} of ${tasks}`)))
    for (let i = 0; i < tasks; i++) queue.push(i)
    // A synchronous worker may have drained the queue during the pushes already.
    if (queue.idle()) finish()
    else queue.drain = finish
  })

type QueueProgram = (tasks: number, workers: number, kind: Kind) => Promise<void>

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
}

/** Runs each program `reps` times, interleaved, after `warmup` rounds: wall and CPU time of each run. */
const interleaved = async (
  programs: Readonly<Record<string, () => Promise<void>>>,
  { reps, warmup }: { readonly reps: number; readonly warmup: number }
): Promise<Record<string, Array<Sample>>> => {
  const names = Object.keys(programs)
  const samples: Record<string, Array<Sample>> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < warmup + reps; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] ?? ""
      const program = programs[name]
      if (program === undefined) continue
      // A minor GC and a macrotask between programs, so the previous one's garbage and timers do
      // not land in this one.
      collectGarbage()
      await immediate()
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      await program()
      const wallMs = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      if (round >= warmup) samples[name]?.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 })
    }
  }
  return samples
}

const ours = "BackgroundTaskQueue"
const batched = "Effect batched loop"
const oneTake = "Effect one-take loop"

export const queue: Benchmark = {
  name: "queue",
  title: "Queue throughput, 1 and 4 workers, no-op and yielding tasks",
  run: async ({ quick }) => {
    const tasks = quick ? 20_000 : 200_000
    const reps = quick ? 3 : 5
    const { built, lib } = await loadEffectHost()
    const programs: Record<string, QueueProgram> = {
      [ours]: (m, w, k) => Effect.runPromise(backgroundTaskQueue(lib)(m, w, k)),
      [batched]: (m, w, k) => Effect.runPromise(batchedLoop(m, w, k)),
      [oneTake]: (m, w, k) => Effect.runPromise(oneTakeLoop(m, w, k)),
      "p-queue": pQueue,
      fastq: fastQueue
    }
    const names = Object.keys(programs)
    const rows: Array<Row> = []
    for (const kind of ["no-op", "yielding"] as const) {
      for (const workers of [1, 4]) {
        const samples = await interleaved(
          Object.fromEntries(names.map((n) => [n, () => programs[n]?.(tasks, workers, kind) ?? Promise.resolve()])),
          { reps, warmup: 1 }
        )
        for (const clock of ["wall", "CPU"] as const) {
          // Throughput from the median time: tasks per wall second, or per CPU second.
          const values = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [
            name,
            Math.round(tasks / (median(xs.map((x) => clock === "wall" ? x.wallMs : x.cpuMs)) / 1000))
          ]))
          const vsBatched = (values[ours] ?? 0) / (values[batched] ?? Number.NaN)
          const vsPQueue = (values[ours] ?? 0) / (values["p-queue"] ?? Number.NaN)
          const pQueueTarget = kind === "yielding"
          rows.push({
            case: `${kind}, ${workers} worker${workers === 1 ? "" : "s"} (${clock})`,
            values,
            ratio: { label: `${ours} / ${batched}; ${vsPQueue.toFixed(2)}x / p-queue`, value: vsBatched },
            target: {
              text: pQueueTarget ? "≥ 1.0x batched, ≥ 0.5x p-queue" : "≥ 1.0x batched",
              pass: vsBatched >= 1 && (!pQueueTarget || vsPQueue >= 0.5)
            }
          })
        }
      }
    }
    return {
      name: "queue",
      title: "Queue throughput, 1 and 4 workers, no-op and yielding tasks",
      unit: `tasks per second of wall time or of CPU time (${tasks.toLocaleString("en-US")} tasks, capacity ${capacity}, ` +
        `median of ${reps} interleaved rounds), higher is better`,
      programs: names,
      rows,
      notes: [
        "No-op tasks increment a counter; yielding tasks do `Effect.yieldNow()` first (p-queue and fastq: an awaited `setImmediate`). " +
        "One producer enqueues every task; the run ends when the last one has run.",
        `${ours} runs from ${built ? "the built package (dist/)" : "the sources through tsx (dist/ was missing or older than src/)"}, ` +
        "and includes building and stopping its host (a few ms) in every run.",
        `${batched}: \`Queue.bounded\` + \`Queue.takeBetween(queue, 1, capacity)\` per worker, the batch run in order ` +
        "(faster than an unbounded queue with one semaphore release per batch, which takes a permit per task). " +
        `${oneTake}: \`Queue.bounded\` + \`Queue.take\` per task.`,
        "p-queue gets the same capacity (the producer awaits `onSizeLessThan(capacity)`); fastq has no capacity (unbounded).",
        "CPU time is the whole process's (user + system), so it includes the producer and the GC; a minor GC runs before each program (a full one would slow the next runs down whatever they do)."
      ]
    }
  }
}
