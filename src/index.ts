/**
 * effect-host: a generic host for Effect programs.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { ApplicationLifetime } from "./ApplicationLifetime.js"
/** @since 0.1.0 */
export * as BackgroundService from "./BackgroundService.js"
/** @since 0.1.0 */
export { BackgroundTaskQueue, TaskQueueFullError, TaskQueueStoppedError } from "./BackgroundTaskQueue.js"
/** @since 0.1.0 */
export { ConfigurationError } from "./ConfigurationError.js"
/** @since 0.1.0 */
export * as Host from "./Host.js"
/** @since 0.1.0 */
export * as HostConfiguration from "./HostConfiguration.js"
/** @since 0.1.0 */
export * as HostedService from "./HostedService.js"
/** @since 0.1.0 */
export { HostEnvironment } from "./HostEnvironment.js"
/** @since 0.1.0 */
export * as HostError from "./HostError.js"
/** @since 0.1.0 */
export * as HostLogger from "./HostLogger.js"
/** @since 0.1.0 */
export * as HostMetrics from "./HostMetrics.js"
/** @since 0.1.0 */
export * as HostOptions from "./HostOptions.js"
/** @since 0.1.0 */
export * as ScheduledService from "./ScheduledService.js"
/** @since 0.1.0 */
export * as Settings from "./Settings.js"
