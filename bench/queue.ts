/**
 * Queue throughput: M tasks pushed by one producer through a queue of the same capacity and run
 * by 1 or 4 workers, until every task has run. Two kinds of task: no-op (increments a counter)
 * and yielding (`Effect.yieldNow()` first; for the promise queues an awaited `setImmediate`).
 *
 * - BackgroundTaskQueue: ours, as a hosted service under `Host.make`, from the built package.
 * - Effect batched loop: the fastest hand-written Effect version, `Queue.bounded` + workers that
 *   take what is there in one `Queue.takeBetween` and run the batch, so a full queue wakes its
 *   producer once per batch instead of once per task. (The variant with an unbounded queue, a
 *   semaphore of `capacity` permits taken per task and released once per batch measured 2-3x the
 *   CPU time of this one, so this one is the baseline.)
 * - Effect one-take loop: `Queue.bounded` + workers that `Queue.take` one task at a time.
 * - p-queue: the popular promise queue, with the same capacity (the producer awaits
 *   `onSizeLessThan(capacity)`); fastq (unbounded, callbacks) for scale.
 *
 * Every run is a process of its own (fixtures/queue.ts, built JS): the program runs up to three
 * times to warm up (as many as fit in 1.5 s, at least once), then once more, measured (wall time and the process's CPU time, user +
 * system). Run in one process, the programs ran on code the JIT had shaped for the ones before
 * them, and the rows moved by 10-15 % with the order. Rounds interleave the programs (5 rounds,
 * the starting program rotated each round); each row gives the median's throughput.
 */
import { runBuilt } from "./child.js"
import type { Sample } from "./fixtures/common.js"
import { type Benchmark, median, type Row } from "./lib.js"

const fixture = "bench/fixtures/queue.ts"
const capacity = 1024

const ours = "BackgroundTaskQueue"
const batched = "Effect batched loop"
const oneTake = "Effect one-take loop"

export const queue: Benchmark = {
  name: "queue",
  title: "Queue throughput, 1 and 4 workers, no-op and yielding tasks",
  run: async ({ quick }) => {
    const tasks = quick ? 20_000 : 200_000
    const reps = quick ? 3 : 5
    const names = [ours, batched, oneTake, "p-queue", "fastq"]
    const rows: Array<Row> = []
    for (const kind of ["no-op", "yielding"] as const) {
      for (const workers of [1, 4]) {
        const samples: Record<string, Array<Sample>> = Object.fromEntries(names.map((n) => [n, []]))
        for (let round = 0; round < reps; round++) {
          for (let i = 0; i < names.length; i++) {
            const name = names[(round + i) % names.length] ?? ""
            samples[name]?.push(await runBuilt<Sample>(fixture, {
              nodeArgs: ["--expose-gc"],
              args: [name, kind, String(workers), String(tasks), String(capacity)]
            }))
          }
        }
        for (const clock of ["wall", "CPU"] as const) {
          // Throughput from the median time: tasks per wall second, or per CPU second.
          const values = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [
            name,
            Math.round(tasks / (median(xs.map((x) => clock === "wall" ? x.wall : x.cpu)) / 1000))
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
        `median of ${reps} interleaved rounds, a process per run), higher is better`,
      programs: names,
      rows,
      notes: [
        "No-op tasks increment a counter; yielding tasks do `Effect.yieldNow()` first (p-queue and fastq: an awaited `setImmediate`). " +
        "One producer enqueues every task; the run ends when the last one has run.",
        `Each run is a process of its own (\`node <bundle>.mjs\`, effect-host from dist/): up to three warm-up runs of the same size (as many as fit in 1.5 s, at least one), then the measured run. ${ours} includes building and stopping its host (a few ms) in every run.`,
        `${batched}: \`Queue.bounded\` + \`Queue.takeBetween(queue, 1, capacity)\` per worker, the batch run in order ` +
        "(faster than an unbounded queue with one semaphore release per batch, which takes a permit per task). " +
        `${oneTake}: \`Queue.bounded\` + \`Queue.take\` per task.`,
        "p-queue gets the same capacity (the producer awaits `onSizeLessThan(capacity)`); fastq has no capacity (unbounded).",
        "CPU time is the process's (user + system) during the measured run, so it includes the producer and the GC; a minor GC runs before it (a full one would slow the run down whatever it does)."
      ]
    }
  }
}
