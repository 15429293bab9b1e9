/**
 * `effect-host/cluster`: hosted services across processes and machines on `@effect/cluster` —
 * a cluster member with host defaults (`HostCluster`), scheduled jobs that run once per slot
 * across the cluster (`ClusterScheduledService`) and a durable, at-least-once task queue
 * (`DurableTaskQueue`). Its packages are optional peer dependencies: the other entry points
 * import none of them.
 *
 * @since 0.2.0
 */

/** @since 0.2.0 */
export * as HostCluster from "./HostCluster.js"
/** @since 0.2.0 */
export * as ClusterScheduledService from "./ClusterScheduledService.js"
/** @since 0.2.0 */
export * as DurableTaskQueue from "./DurableTaskQueue.js"
