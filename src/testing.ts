/**
 * `effect-host/testing`: run hosts in tests under `TestClock`.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as TestHost from "./TestHost.js"
