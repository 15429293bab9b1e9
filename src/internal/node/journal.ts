/**
 * Log lines for systemd's journal: when stdout or stderr is connected to the journal
 * (`JOURNAL_STREAM`), every line written there starts with its syslog priority, `<3>` for an
 * error, `<4>` a warning, `<6>` information, `<7>` debug and trace (`<2>` fatal), as .NET's
 * systemd console formatter writes them. journald strips the prefix and stores the priority, so
 * `journalctl -p warning` finds the warnings and the lines read as before.
 *
 * `JOURNAL_STREAM` is `<device>:<inode>` of the stream systemd connected; a child process
 * inherits the variable even when its own output goes elsewhere, so each stream is compared
 * with it (`fstat`) and only a stream that is the journal gets prefixes, as systemd's
 * documentation recommends.
 *
 * `withPriorities` wraps any logger that writes through Effect's `Console` service (Effect's
 * pretty, JSON, logfmt and structured loggers, the host's logger): for one log call it gives the
 * wrapped logger a console that prefixes each line with the call's priority, multi-line output
 * (a pretty cause) included, one prefix per line.
 *
 * @internal
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as FiberRefs from "effect/FiberRefs"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as fs from "node:fs"
import * as util from "node:util"

/** Which of the process's output streams are connected to the journal. */
export interface Streams {
  readonly stdout: boolean
  readonly stderr: boolean
}

type Identity = { readonly dev: bigint; readonly ino: bigint }

const fstat = (fd: number): Identity | undefined => {
  try {
    const stat = fs.fstatSync(fd, { bigint: true })
    return { dev: stat.dev, ino: stat.ino }
  } catch {
    // Not open: that stream is not the journal.
    return undefined
  }
}

/**
 * The streams that are the journal, from `JOURNAL_STREAM` (`undefined`: neither, or the variable
 * is unset or malformed).
 */
export const detect = (
  value: string | undefined,
  identify: (fd: number) => Identity | undefined = fstat
): Streams | undefined => {
  const match = value === undefined ? null : /^(\d+):(\d+)$/.exec(value.trim())
  if (match === null) return undefined
  const [, dev = "", ino = ""] = match
  const is = (fd: number) => {
    const identity = identify(fd)
    return identity !== undefined && identity.dev === BigInt(dev) && identity.ino === BigInt(ino)
  }
  const streams = { stdout: is(1), stderr: is(2) }
  return streams.stdout || streams.stderr ? streams : undefined
}

/** The syslog priority prefix for `level` (RFC 5424 severities, as sd-daemon(3) defines them). */
export const priority = (level: LogLevel.LogLevel): string => {
  switch (level._tag) {
    case "Fatal":
      return "<2>"
    case "Error":
      return "<3>"
    case "Warning":
      return "<4>"
    case "Debug":
    case "Trace":
      return "<7>"
    default:
      return "<6>"
  }
}

/** Node's console indents a group by two spaces. */
const groupIndentation = "  "

/**
 * A console that writes through `base` and prefixes each line on a journal stream with
 * `prefix`. Groups are indented here, after the prefix (journald reads the prefix only at the
 * very start of a line).
 */
export const prefixingConsole = (base: Console.UnsafeConsole, prefix: string, streams: Streams): Console.UnsafeConsole => {
  let depth = 0
  const write = (toStderr: boolean, text: string) => {
    const indent = groupIndentation.repeat(depth)
    const start = (toStderr ? streams.stderr : streams.stdout) ? prefix + indent : indent
    const lines = text.split("\n").map((line) => start + line).join("\n")
    if (toStderr) base.error(lines)
    else base.log(lines)
  }
  const out = (...args: ReadonlyArray<unknown>) => write(false, util.format(...args))
  const err = (...args: ReadonlyArray<unknown>) => write(true, util.format(...args))
  const group = (...label: ReadonlyArray<unknown>) => {
    if (label.length > 0) out(...label)
    depth += 1
  }
  return {
    assert: (condition, ...args: ReadonlyArray<unknown>) => {
      if (!condition) err("Assertion failed" + (args.length > 0 ? ":" : ""), ...args)
    },
    clear: () => base.clear(),
    count: (label) => base.count(label),
    countReset: (label) => base.countReset(label),
    debug: out,
    dir: (item: unknown, options?: unknown) =>
      write(false, util.inspect(item, typeof options === "object" && options !== null ? options : {})),
    dirxml: out,
    error: err,
    group,
    groupCollapsed: group,
    groupEnd: () => {
      depth = Math.max(0, depth - 1)
    },
    info: out,
    log: out,
    table: (data: unknown, properties?: ReadonlyArray<string>) => base.table(data, properties),
    time: (label) => base.time(label),
    timeEnd: (label) => base.timeEnd(label),
    timeLog: (label, ...args: ReadonlyArray<unknown>) => base.timeLog(label, ...args),
    trace: err,
    warn: err
  }
}

/** An Effect `Console` over an unsafe one (only `unsafe` is what loggers use). */
export const fromUnsafe = (unsafe: Console.UnsafeConsole): Console.Console => ({
  [Console.TypeId]: Console.TypeId,
  assert: (condition, ...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.assert(condition, ...args)),
  clear: Effect.sync(() => unsafe.clear()),
  count: (label) => Effect.sync(() => unsafe.count(label)),
  countReset: (label) => Effect.sync(() => unsafe.countReset(label)),
  debug: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.debug(...args)),
  dir: (item: unknown, options?: unknown) => Effect.sync(() => unsafe.dir(item, options)),
  dirxml: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.dirxml(...args)),
  error: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.error(...args)),
  group: (options) =>
    Effect.sync(() => options?.collapsed === true ? unsafe.groupCollapsed(options.label) : unsafe.group(options?.label)),
  groupEnd: Effect.sync(() => unsafe.groupEnd()),
  info: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.info(...args)),
  log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.log(...args)),
  table: (data: unknown, properties?: ReadonlyArray<string>) => Effect.sync(() => unsafe.table(data, properties)),
  time: (label) => Effect.sync(() => unsafe.time(label)),
  timeEnd: (label) => Effect.sync(() => unsafe.timeEnd(label)),
  timeLog: (label, ...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.timeLog(label, ...args)),
  trace: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.trace(...args)),
  warn: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.warn(...args)),
  unsafe
})

/**
 * `logger`, with each line it writes to a journal stream prefixed by the priority of the line's
 * level. A new logger; `logger` itself is left as it is.
 */
export const withPriorities = <M, O>(logger: Logger.Logger<M, O>, streams: Streams): Logger.Logger<M, O> =>
  Logger.make((options) => {
    const services = FiberRefs.getOrDefault(options.context, DefaultServices.currentServices)
    const base = Context.get(services, Console.Console).unsafe
    const console = fromUnsafe(prefixingConsole(base, priority(options.logLevel), streams))
    const context = FiberRefs.updateAs(options.context, {
      // The owner of the new value: the logging fiber (a composite id has no single owner).
      fiberId: options.fiberId._tag === "Composite" ? FiberId.none : options.fiberId,
      fiberRef: DefaultServices.currentServices,
      value: Context.add(services, Console.Console, console)
    })
    return logger.log({ ...options, context })
  })
