/**
 * Spans that cost nothing when nobody collects them. `Effect.withSpan` installs a span in the
 * fiber's context even with Effect's built-in tracer, where no exporter ever sees it; per hook
 * that was a quarter of a host's start+stop CPU. The host checks once, when it is built, whether
 * a tracer was installed (`Layer.setTracer`, `@effect/opentelemetry`) and spans only then.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether the current tracer is one a program installed (spans are exported somewhere). */
export const isTracing: Effect.Effect<boolean> = Effect.tracerWith((tracer) => Effect.succeed(tracer !== builtInTracer))

/**
 * `Effect.withSpan(name, options)` when a tracer is installed as the effect runs, else the effect
 * itself (one read of the context instead of a span made, put in the context and ended).
 */
export const withSpanWhenTracing = (name: string, options: Tracer.SpanOptions = {}) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) => (tracer === builtInTracer ? effect : Effect.withSpan(effect, name, options)))

/** `Effect.withSpan(name, { attributes })` without a stack capture when `tracing`, else nothing. */
export const spanIf = (tracing: boolean) =>
(name: string, attributes: Record<string, unknown> = {}) =>
  tracing
    ? <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.withSpan(effect, name, { attributes, captureStackTrace: false })
    : identity

/**
 * A link to the current span, if there is one: for work that outlives the span it began in (a
 * background service's attempts, scheduled runs), which gets a trace of its own that points back.
 */
export const linkToCurrentSpan: Effect.Effect<ReadonlyArray<Tracer.SpanLink>> = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.match({ onNone: () => [], onSome: (span) => [{ _tag: "SpanLink", span, attributes: {} }] })
)

/** `Effect.annotateCurrentSpan(key, value)` when `tracing`, else nothing. */
export const annotateIf = (tracing: boolean) => (key: string, value: unknown): Effect.Effect<void> =>
  tracing ? Effect.annotateCurrentSpan(key, value) : Effect.void
