/**
 * Which failures of a cluster operation are worth another try.
 *
 * Sends of durable messages are idempotent (every durable payload has a primary key, so a
 * re-send of a message that was stored is a no-op), which makes retrying any failure whose
 * outcome is unknown safe. Several of them reach us as defects, not typed errors: the socket RPC
 * client dies on write errors (after the request was stored), the SQL storage layers die when a
 * migration loses a race. So the whole cause is classified, failures and defects alike, by the
 * error tags and messages in it (following `cause` chains a few levels down).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Predicate from "effect/Predicate"

/** Error tags whose operation may succeed when tried again. */
const retryableTags = new Set([
  "PersistenceError",
  "SqlError",
  "RunnerUnavailable",
  "EntityNotAssignedToRunner",
  "MailboxFull",
  "SocketError",
  "RpcClientError"
])

/**
 * Messages of transient conditions: a busy SQLite file, a connection reset or refused, a
 * PostgreSQL migration race (two runners creating the same table), a server restart.
 */
const retryableMessage =
  /database is locked|SQLITE_BUSY|ECONNRESET|EPIPE|ECONNREFUSED|already exists|duplicate key value|terminating connection|Connection terminated|connection timeout|the database system is (starting up|shutting down)/i

/** The tags and messages of an error and of its `cause` chain (a few levels deep). */
const describe = (error: unknown, depth = 0): Array<string> => {
  if (depth > 4 || error === null || error === undefined) return []
  const parts: Array<string> = []
  if (Predicate.hasProperty(error, "_tag") && typeof error._tag === "string") parts.push(error._tag)
  if (Predicate.hasProperty(error, "message") && typeof error.message === "string") parts.push(error.message)
  if (typeof error === "string") parts.push(error)
  if (Predicate.hasProperty(error, "cause")) {
    const inner = error.cause
    if (Cause.isCause(inner)) {
      for (const e of causeErrors(inner)) parts.push(...describe(e, depth + 1))
    } else {
      parts.push(...describe(inner, depth + 1))
    }
  }
  return parts
}

const causeErrors = (cause: Cause.Cause<unknown>): Array<unknown> => [
  ...Chunk.toReadonlyArray(Cause.failures(cause)),
  ...Chunk.toReadonlyArray(Cause.defects(cause))
]

/** Every tag and message in `cause`'s failures and defects. */
export const describeCause = (cause: Cause.Cause<unknown>): Array<string> => causeErrors(cause).flatMap((e) => describe(e))

/** Whether `cause` is worth another try (see the module's comment). Interruption never is. */
export const isRetryable = (cause: Cause.Cause<unknown>): boolean => {
  if (Cause.isInterruptedOnly(cause)) return false
  const parts = describeCause(cause)
  return parts.some((part) => retryableTags.has(part) || retryableMessage.test(part))
}

/** The message was already stored and is being processed: the send did what it was for. */
export const isAlreadyProcessing = (cause: Cause.Cause<unknown>): boolean =>
  causeErrors(cause).some((e) => Predicate.hasProperty(e, "_tag") && e._tag === "AlreadyProcessingMessage")

/** A payload that does not encode (a schema error): retrying cannot help. */
export const isEncodingError = (cause: Cause.Cause<unknown>): boolean =>
  describeCause(cause).some((part) => part === "ParseError" || part === "MalformedMessage")
