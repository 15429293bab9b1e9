/**
 * Builds the layered configuration: resolves the environment name and the content root first
 * (from code, the command line and the environment, never from the files they select), then
 * reads the files and merges, later wins:
 *
 *   values in code < appsettings.json < appsettings.{Environment}.json < env < command line
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Issue } from "./error.js"
import { codeDuration } from "./hostOptions.js"
import * as Key from "./key.js"
import type { Configuration, FileStatus } from "./provider.js"
import * as Secrets from "./secrets.js"
import * as Source from "./source.js"
import * as Sources from "./sources.js"
import { nameProblem } from "./environment.js"
import { type Entry, type Layer, merge, Reads, type Store, valuelessMessage } from "./store.js"

export interface FileSpec {
  readonly path: string
  readonly optional?: boolean | undefined
  readonly reloadOnChange?: boolean | undefined
}

export interface BuildOptions {
  readonly values?: Readonly<Record<string, unknown>> | undefined
  readonly environmentName?: string | undefined
  readonly contentRoot?: string | undefined
  readonly files?: ReadonlyArray<string | FileSpec> | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | false | undefined
  readonly envPrefix?: string | undefined
  readonly args?: ReadonlyArray<string> | false | undefined
  readonly secrets?: ReadonlyArray<string> | undefined
  readonly reloadOnChange?: boolean | undefined
  readonly reloadDelay?: Duration.DurationInput | undefined
  readonly cwd?: string | undefined
}

/** Like .NET's `FileConfigurationSource.ReloadDelay` (250 ms): how long the files must be quiet. */
export const defaultReloadDelay: Duration.Duration = Duration.millis(250)

/** A file to read, resolved: absolute path, whether it must exist, whether a change reloads it. */
export interface PlannedFile {
  readonly path: string
  readonly optional: boolean
  readonly reloadOnChange: boolean
}

/**
 * What a reload needs to rebuild the store: the layers that never change (values in code below
 * the files; the environment, the command line and the pinned names above them) and the files
 * to read again. The environment and the command line are the process's: read once, at start.
 */
export interface Plan {
  readonly below: ReadonlyArray<Layer>
  readonly files: ReadonlyArray<PlannedFile>
  readonly above: ReadonlyArray<Layer>
  readonly reloadDelay: Duration.Duration
}

/** The files as read now, and the store they make (or what is wrong with them). */
export interface FilesRead {
  readonly files: ReadonlyArray<FileStatus>
  /** Each file's text by path, `undefined` when it is missing or unreadable. */
  readonly texts: ReadonlyMap<string, string | undefined>
  readonly result: { readonly store: Store } | { readonly issues: ReadonlyArray<Issue> }
}

/** Each file of the plan as read now, not parsed yet. */
export type FileReads = ReadonlyArray<readonly [PlannedFile, Sources.FileText]>

export const readTexts = (plan: Plan): FileReads => plan.files.map((file) => [file, Sources.readFileText(file.path)] as const)

/** Each file's text by path, as `FilesRead.texts` has them. */
export const textsOf = (reads: FileReads): ReadonlyMap<string, string | undefined> =>
  new Map(reads.map(([file, read]) => [file.path, Sources.textOf(read)]))

/**
 * Parses the plan's files (as read now, or as `reads` has them) and merges them with its fixed
 * layers, later wins.
 */
export const readFiles = (plan: Plan, reads: FileReads = readTexts(plan)): FilesRead => {
  const issues: Array<Issue> = []
  const files: Array<FileStatus> = []
  const fileLayers: Array<Layer> = []
  for (const [{ optional, path: file }, read] of reads) {
    const result = Sources.parseJsonFile(file, read)
    switch (result._tag) {
      case "Loaded":
        fileLayers.push(result.layer)
        files.push({ path: file, loaded: true })
        break
      case "Missing":
        if (!optional) issues.push({ message: `${file}: required configuration file not found`, source: Source.file(file) })
        files.push({ path: file, loaded: false })
        break
      case "Invalid":
        issues.push(result.issue)
        files.push({ path: file, loaded: false })
    }
  }
  const texts = textsOf(reads)
  const result = issues.length > 0 ? { issues } : { store: merge([...plan.below, ...fileLayers, ...plan.above]) }
  return { files, texts, result }
}

export const keys = {
  environment: "environment",
  contentRoot: "contentRoot",
  environmentVariable: "EFFECT_HOST_ENVIRONMENT",
  contentRootVariable: "EFFECT_HOST_CONTENTROOT"
} as const

export const defaultFiles: ReadonlyArray<string> = ["appsettings.json", "appsettings.{Environment}.json"]

const known = ["Development", "Staging", "Production"]

/** `development` (as NODE_ENV is usually written) reads as `Development`. */
export const normalizeEnvironmentName = (name: string): string =>
  known.find((n) => n.toLowerCase() === name.toLowerCase()) ?? name

interface Candidate {
  readonly value: string | undefined
  readonly source: Source.Source
  /** A command-line switch given without a value. */
  readonly entry?: Entry | undefined
}

const first = (candidates: ReadonlyArray<Candidate>, fallback: Candidate): Candidate =>
  candidates.find((c) => c.entry?.valueless === true || (c.value !== undefined && c.value.trim() !== "")) ?? fallback

/** The value a single layer gives a top-level key (the last one wins, as in a merge). */
const valueIn = (layer: Layer, key: string): Candidate => {
  let entry: Entry | undefined
  for (const e of layer.entries) {
    if (e.path.length === 1 && e.path[0]?.toLowerCase() === key.toLowerCase()) entry = e
  }
  return { value: entry?.value, source: entry?.source ?? Source.code, entry }
}

/** The sources that do not depend on the files, and what they select. */
export interface Roots {
  readonly fromCode: { readonly layer: Layer; readonly secrets: ReadonlyArray<Key.Path> }
  readonly envLayer: Layer
  readonly argsLayer: Layer
  readonly environment: Candidate
  readonly environmentName: string
  readonly contentRoot: Candidate
  readonly contentRootPath: string
  /** What is wrong with the environment name or the content root. */
  readonly issues: ReadonlyArray<Issue>
}

const blank = (value: string | undefined): boolean => value !== undefined && value.trim() === ""

/**
 * Resolves the environment name and the content root from everything but the files (code, the
 * command line, the environment), as the build does before it reads the files they select.
 */
export const roots = (options: BuildOptions): Roots => {
  const cwd = options.cwd ?? process.cwd()
  const fromCode = Sources.fromValues(options.values ?? {})
  const env = options.env === false ? {} : (options.env ?? process.env)
  const envLayer = Sources.fromEnv(env, options.envPrefix)
  const argsLayer = Sources.fromArgs(options.args === false ? [] : (options.args ?? process.argv.slice(2)))
  const issues: Array<Issue> = []

  // Options given in code are validated like configuration: a blank name is a mistake.
  for (const [key, value] of [["environmentName", options.environmentName], ["contentRoot", options.contentRoot]] as const) {
    if (blank(value)) {
      issues.push({ key, message: `Expected a non-empty string (leave it out to use configuration), actual ${JSON.stringify(value)}`, source: Source.option })
    }
  }

  // The keys that select the files come from everything but the files.
  const rawEnv = (name: string): Candidate => ({ value: env[name], source: Source.env(name) })

  const environment = first([
    { value: options.environmentName, source: Source.option },
    valueIn(argsLayer, keys.environment),
    rawEnv(keys.environmentVariable),
    valueIn(envLayer, keys.environment),
    valueIn(fromCode.layer, keys.environment),
    rawEnv("NODE_ENV")
  ], { value: "Production", source: Source.fallback("no environment name configured") })
  const contentRoot = first([
    { value: options.contentRoot, source: Source.option },
    valueIn(argsLayer, keys.contentRoot),
    rawEnv(keys.contentRootVariable),
    valueIn(envLayer, keys.contentRoot),
    valueIn(fromCode.layer, keys.contentRoot)
  ], { value: cwd, source: Source.fallback("current working directory") })

  for (const [key, candidate] of [[keys.environment, environment], [keys.contentRoot, contentRoot]] as const) {
    if (candidate.entry?.valueless === true) issues.push({ key, message: valuelessMessage(candidate.entry), source: candidate.source })
  }
  const environmentValid = environment.entry?.valueless !== true && !blank(options.environmentName)
  const problem = environmentValid ? nameProblem(environment.value ?? "") : undefined
  if (problem !== undefined) issues.push({ key: keys.environment, message: problem, source: environment.source })
  const environmentName = environmentValid && problem === undefined
    ? normalizeEnvironmentName((environment.value ?? "Production").trim())
    : "Production"

  const contentRootPath = contentRoot.entry?.valueless === true || blank(options.contentRoot)
    ? cwd
    : path.resolve(cwd, contentRoot.value ?? cwd)
  // The working directory itself needs no look (a stat per host): it exists while it is ours.
  if (contentRoot.entry?.valueless !== true && !blank(options.contentRoot) && contentRootPath !== cwd && !isDirectory(contentRootPath)) {
    // As .NET, whose file provider refuses a content root that does not exist: a typo there
    // would otherwise load no file at all, silently.
    issues.push({
      key: keys.contentRoot,
      message: `Expected an existing directory (where appsettings.json is looked up), actual ${JSON.stringify(contentRootPath)}`,
      source: contentRoot.source
    })
  }
  return { fromCode, envLayer, argsLayer, environment, environmentName, contentRoot, contentRootPath, issues }
}

const isDirectory = (dir: string): boolean => {
  try {
    return fs.statSync(dir).isDirectory()
  } catch {
    // Missing or unreadable: not a content root we can read files from.
    return false
  }
}

/**
 * The configuration without the files: code values, the environment and the command line. What
 * can still be known when a file is broken (the runner's fallback logger reads its Logging keys).
 */
export const withoutFiles = (options: BuildOptions): Configuration => {
  const { argsLayer, contentRoot, contentRootPath, envLayer, environment, environmentName, fromCode } = roots(options)
  const pinned: ReadonlyArray<Entry> = [
    { path: [keys.environment], value: environmentName, source: environment.source, splittable: false },
    { path: [keys.contentRoot], value: contentRootPath, source: contentRoot.source, splittable: false }
  ]
  const store = merge([fromCode.layer, envLayer, argsLayer, { entries: pinned, arrays: [] }])
  const secrets = new Secrets.Secrets([...fromCode.secrets, ...(options.secrets ?? []).map((k) => Key.normalize([k]))])
  return { store, reads: new Reads(), secrets, environmentName, contentRootPath, files: [] }
}

/** A built configuration, with what a reload of it needs: its plan and the texts it read. */
export interface Built {
  readonly configuration: Configuration
  readonly plan: Plan
  readonly texts: ReadonlyMap<string, string | undefined>
}

export const build = (options: BuildOptions): Built | { readonly issues: ReadonlyArray<Issue> } => {
  const { argsLayer, contentRoot, contentRootPath, envLayer, environment, environmentName, fromCode, ...resolved } = roots(options)
  const delay = codeDuration("reloadDelay", options.reloadDelay, { finite: true })
  const optionIssues = delay !== undefined && Either.isLeft(delay) ? [delay.left] : []
  if (resolved.issues.length > 0 || optionIssues.length > 0) return { issues: [...resolved.issues, ...optionIssues] }

  // The resolved names are pinned so that everyone reading `environment` / `contentRoot`
  // (HostEnvironment, user code) sees the values that selected the files.
  const pinned: ReadonlyArray<Entry> = [
    { path: [keys.environment], value: environmentName, source: environment.source, splittable: false },
    { path: [keys.contentRoot], value: contentRootPath, source: contentRoot.source, splittable: false }
  ]
  const plan: Plan = {
    below: [fromCode.layer],
    files: (options.files ?? defaultFiles).map((spec): PlannedFile => {
      const { optional = true, path: name, reloadOnChange = options.reloadOnChange ?? true } = typeof spec === "string" ? { path: spec } : spec
      return { path: path.resolve(contentRootPath, name.replaceAll("{Environment}", environmentName)), optional, reloadOnChange }
    }),
    above: [envLayer, argsLayer, { entries: pinned, arrays: [] }],
    reloadDelay: delay !== undefined && Either.isRight(delay) ? delay.right : defaultReloadDelay
  }
  const read = readFiles(plan)
  if ("issues" in read.result) return { issues: read.result.issues }
  const secrets = new Secrets.Secrets([...fromCode.secrets, ...(options.secrets ?? []).map((k) => Key.normalize([k]))])
  return {
    configuration: {
      store: read.result.store,
      reads: new Reads(),
      secrets,
      environmentName,
      contentRootPath,
      files: read.files
    },
    plan,
    texts: read.texts
  }
}
