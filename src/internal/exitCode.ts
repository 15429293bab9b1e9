/**
 * The process exit codes (`ExitCode.ts` re-exports them with their documentation).
 *
 * @internal
 */
export const exitCodes = {
  Success: 0,
  ServiceFailure: 1,
  InvalidConfiguration: 78,
  ShutdownTimeout: 124,
  signalBase: 128
} as const
