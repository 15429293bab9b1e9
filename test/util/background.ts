/** Helpers for the background-work tests (BackgroundService, ScheduledService, BackgroundTaskQueue). */
import { Cause, Context, Effect, Exit, Layer, Logger, Option } from "effect"
import { BackgroundTaskQueue, type ConfigurationError, type Host } from "effect-host"
import { TestHost } from "effect-host/testing"

/** The typed failure of `exit`; throws (failing the test) when it succeeded or died. */
export const failureOf = <E>(exit: Exit.Exit<unknown, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, but it succeeded")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure, got:\n${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** Throws (failing the test) unless `exit` succeeded, showing the cause. */
export const assertSuccess = (exit: Exit.Exit<unknown, unknown>): void => {
  if (Exit.isFailure(exit)) throw new Error(`expected success, got:\n${Cause.pretty(exit.cause)}`)
}

/**
 * Lets every fiber that is ready run until it completes or suspends: a macrotask boundary, after
 * Effect's scheduler (microtasks) has drained. Not a timed wait.
 */
export const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** One captured log line. */
export interface LogLine {
  readonly level: string
  readonly message: string
  readonly cause: Cause.Cause<unknown>
}

/** A logger that keeps every line; provide `layer` to the test. */
export const captureLogs = () => {
  const lines: Array<LogLine> = []
  const logger = Logger.make<unknown, void>(({ cause, logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    lines.push({ level: logLevel.label, message: text, cause })
  })
  return {
    lines,
    layer: Logger.replace(Logger.defaultLogger, logger),
    messages: (level?: string) => lines.filter((l) => level === undefined || l.level === level).map((l) => l.message)
  }
}

/** A per-run resource: counts acquisitions and releases; its service is the acquisition's number. */
export class Resource extends Context.Tag("test/Resource")<Resource, { readonly id: number }>() {}

export const countingLayer = () => {
  const counts = { acquired: 0, released: 0 }
  const layer = Layer.scoped(
    Resource,
    Effect.acquireRelease(
      Effect.sync(() => ({ id: ++counts.acquired })),
      () => Effect.sync(() => void counts.released++)
    )
  )
  return { counts, layer }
}

/** Starts a host with `queueLayer` and hands the test the queue itself. */
export const startWithQueue = (queueLayer: Layer.Layer<BackgroundTaskQueue, ConfigurationError>, options?: Host.Options) =>
  Effect.gen(function*() {
    const captured: { queue?: BackgroundTaskQueue.Service } = {}
    const Capture = Layer.effectDiscard(Effect.map(BackgroundTaskQueue, (queue) => void (captured.queue = queue))).pipe(
      Layer.provide(queueLayer)
    )
    const host = yield* TestHost.start([queueLayer, Capture], options)
    yield* host.started
    const queue = captured.queue
    if (queue === undefined) throw new Error("the queue was not built")
    return { host, queue }
  })
