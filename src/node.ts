/**
 * `effect-host/node`: the Node.js process runner (signals, bounded shutdown, exit codes).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as NodeHost from "./NodeHost.js"
