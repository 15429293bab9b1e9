/**
 * The errors of effect-host/cluster. Each names what was wrong and where, and carries the full
 * `Cause` of what failed underneath.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import { prettyCause } from "../writable.js"

/** Which storage a cluster member uses. */
export type StorageKind = "sqlite" | "postgres" | "provided" | "memory"

/** First line of a cause, for messages (the full cause stays on the error). */
export const firstLine = (cause: Cause.Cause<unknown>): string => {
  const pretty = prettyCause(cause)
  const line = pretty.split("\n").find((l) => l.trim().length > 0)
  return (line ?? pretty).trim()
}

/**
 * Joining the cluster failed: the storage could not be opened or migrated, the runner could not
 * listen on its address, or a workload layer failed to build. Retryable causes (the migration
 * race of two runners on an empty database, a busy SQLite file, a refused connection) were
 * retried first; `attempts` says how often it was tried.
 */
export class ClusterJoinError extends Data.TaggedError("ClusterJoinError")<{
  readonly address: string
  readonly storage: StorageKind
  readonly attempts: number
  readonly cause: Cause.Cause<unknown>
}> {
  override get message() {
    return `HostCluster: joining the cluster as ${this.address} (storage: ${this.storage}) failed after ` +
      `${this.attempts} attempt(s): ${firstLine(this.cause)}`
  }
}

/** A storage driver package that the configured storage needs is not installed. */
export class ClusterDriverMissingError extends Data.TaggedError("ClusterDriverMissingError")<{
  readonly storage: StorageKind
  readonly packageName: string
  readonly cause: Cause.Cause<unknown>
}> {
  override get message() {
    return `HostCluster: storage "${this.storage}" needs the package ${this.packageName}, which could not be loaded ` +
      `(npm install ${this.packageName})`
  }
}

/** Where a cluster member is in its life, as `HostCluster.status` reports it. */
export type MemberState = "notJoined" | "joining" | "joined" | "leaving" | "left" | "failed"

/**
 * The cluster is not running on this process: it has not joined (and will not: it failed, or
 * the host is stopping), or it has left.
 */
export class ClusterNotRunningError extends Data.TaggedError("ClusterNotRunningError")<{
  readonly state: MemberState
  /** Why joining failed, when it did. */
  readonly cause?: Cause.Cause<unknown> | undefined
}> {
  override get message() {
    return `HostCluster: the cluster is not running on this process (state: ${this.state})`
  }
}

/** Why the readiness check "cluster" fails. */
export class ClusterMembershipError extends Data.TaggedError("ClusterMembershipError")<{
  readonly address: string
  readonly reason: string
  /** What failed underneath (none when the state alone decided). */
  readonly cause?: Cause.Cause<unknown> | undefined
}> {
  override get message() {
    return `runner ${this.address}: ${this.reason}`
  }
}

/**
 * `DurableTaskQueue.enqueue` could not persist the task: the storage kept failing until the
 * enqueue timeout, the payload does not encode, or the cluster is not running. A task whose
 * enqueue failed may or may not have been stored (a commit whose answer was lost); enqueueing it
 * again with the same key is safe, it is stored at most once.
 */
export class DurableTaskEnqueueError extends Data.TaggedError("DurableTaskEnqueueError")<{
  readonly queue: string
  readonly key: string
  readonly reason: "storage" | "timeout" | "payload" | "notRunning"
  readonly cause: Cause.Cause<unknown>
}> {
  override get message() {
    const why = this.reason === "timeout"
      ? "the storage did not accept it before the enqueue timeout"
      : this.reason === "payload"
      ? "the payload could not be encoded"
      : this.reason === "notRunning"
      ? "the cluster is not running on this process"
      : "the storage failed"
    return `durable task queue ${this.queue}: task "${this.key}" was not persisted: ${why}: ${firstLine(this.cause)}`
  }
}

/** A workload's layer failed to build when the member joined (or at once, after the join). */
export class WorkloadError extends Data.TaggedError("WorkloadError")<{ readonly workload: string; readonly error: unknown }> {
  override get message() {
    const detail = this.error instanceof Error ? this.error.message : String(this.error)
    return `cluster workload ${this.workload} failed to start: ${detail}`
  }
}
