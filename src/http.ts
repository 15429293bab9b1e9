/**
 * `effect-host/http`: an `@effect/platform` HTTP server as a hosted service, and health checks.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Health from "./Health.js"
/** @since 0.1.0 */
export * as HttpHost from "./HttpHost.js"
