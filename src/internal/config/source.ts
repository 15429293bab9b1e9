/**
 * Where a configuration value came from. Kept with every value so that errors and the debug
 * view can say "from file /app/appsettings.json" or "from env DATABASE__PORT".
 *
 * @internal
 */
export type Source =
  /** `configuration.values` given in code (the lowest layer). */
  | { readonly _tag: "Code" }
  /**
   * An option given in code (`Host.launch(services, { shutdownTimeout })`, `environment`, the
   * `HostConfiguration` options): not a configuration value, but validated like one.
   */
  | { readonly _tag: "Option" }
  | { readonly _tag: "File"; readonly path: string }
  /** `name` is the variable's name as set, e.g. `DATABASE__PORT`. */
  | { readonly _tag: "Env"; readonly name: string }
  /** `arg` is the switch without its value (`--Database:Port`): values may be secrets. */
  | { readonly _tag: "CommandLine"; readonly arg: string }
  /** A `ConfigProvider` that is not effect-host's: it cannot say more. */
  | { readonly _tag: "Provider" }
  /** A value the host filled in, e.g. the environment name from `NODE_ENV` or the cwd. */
  | { readonly _tag: "Default"; readonly reason: string }

export const code: Source = { _tag: "Code" }
export const option: Source = { _tag: "Option" }
export const file = (path: string): Source => ({ _tag: "File", path })
export const env = (name: string): Source => ({ _tag: "Env", name })
export const commandLine = (arg: string): Source => ({ _tag: "CommandLine", arg })
export const provider: Source = { _tag: "Provider" }
export const fallback = (reason: string): Source => ({ _tag: "Default", reason })
