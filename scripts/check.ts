/**
 * `npm test`'s type check and lint in one TypeScript program. `tsc --noEmit` and eslint's
 * type-aware rules (`no-floating-promises`) each build and check the whole project: about 19 s
 * and 27 s of CPU on the two-core CI machine, most of eslint's being its own type check. Here the
 * program is built and checked once, then handed to eslint (`parserOptions.programs`), whose
 * rules ask the same checker for types it has already computed: about 25 s of CPU for both.
 *
 * The result is the same as `npm run typecheck` and `npm run lint` (which stay for running one
 * of them alone): tsconfig.json's files and options, eslint.config.js's rules. The JavaScript
 * files eslint lints (its config's `allowDefaultProject`: the config, the .mjs scripts) are no
 * part of that program; they get a second one, as eslint's project service would make them, from
 * the same compiler host, so the declarations both read are parsed once (about 5 s of CPU less
 * than the project service). Prints what each reports; exits non-zero when either fails.
 */
import { ESLint } from "eslint"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** `value[key]` when `value` is an object, else `undefined`. */
const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined

/** The files eslint.config.js lets its project service type outside tsconfig.json (`allowDefaultProject`). */
const defaultProjectFiles = async (): Promise<ReadonlyArray<string>> => {
  const config: unknown = field(await import(pathToFileURL(path.join(root, "eslint.config.js")).href), "default")
  const entries: ReadonlyArray<unknown> = Array.isArray(config) ? config : []
  return entries.flatMap((entry) => {
    const files = field(field(field(field(entry, "languageOptions"), "parserOptions"), "projectService"), "allowDefaultProject")
    return Array.isArray(files) ? files.filter((file): file is string => typeof file === "string") : []
  })
}

const started = performance.now()
const seconds = () => ((performance.now() - started) / 1000).toFixed(1)

const configErrors: Array<ts.Diagnostic> = []
const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.json"), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => void configErrors.push(diagnostic)
})
// One compiler host for both programs below: a file both read (the lib and @types/node
// declarations) is parsed once.
const sourceFiles = new Map<string, ts.SourceFile | undefined>()
const compilerHost = (options: ts.CompilerOptions): ts.CompilerHost => {
  const host = ts.createCompilerHost(options, true)
  const getSourceFile = host.getSourceFile.bind(host)
  return {
    ...host,
    getSourceFile: (fileName, languageVersion, onError, shouldCreate) => {
      // What a parse depends on besides the text (the format decides how `import` reads).
      const key = typeof languageVersion === "object"
        ? `${languageVersion.languageVersion}:${languageVersion.impliedNodeFormat ?? ""}:${fileName}`
        : `${languageVersion}::${fileName}`
      if (!sourceFiles.has(key)) sourceFiles.set(key, getSourceFile(fileName, languageVersion, onError, shouldCreate))
      return sourceFiles.get(key)
    }
  }
}
const program = parsed === undefined ? undefined : ts.createProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
  projectReferences: parsed.projectReferences ?? [],
  configFileParsingDiagnostics: parsed.errors,
  host: compilerHost(parsed.options)
})
const diagnostics = program === undefined ? configErrors : [...ts.getPreEmitDiagnostics(program)]

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (file) => file,
  getCurrentDirectory: () => root,
  getNewLine: () => "\n"
}
const color = process.stdout.isTTY || process.env["FORCE_COLOR"] !== undefined
if (diagnostics.length > 0) {
  const text = color
    ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost)
    : ts.formatDiagnostics(diagnostics, formatHost)
  process.stdout.write(`${text}\n`)
}
const typeErrors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length
console.log(`${typeErrors === 0 ? "✓" : "✗"} typecheck: ${typeErrors} error${typeErrors === 1 ? "" : "s"} (${seconds()} s)`)

// The JavaScript files' program (see the header), from the compiler host above. A JavaScript file
// missing from it fails the lint, as a file missing from `allowDefaultProject` does.
const jsProgramOf = async (options: ts.CompilerOptions): Promise<ts.Program> => {
  const jsOptions = { ...options, allowJs: true, checkJs: false, noEmit: true, incremental: false, composite: false }
  const rootNames = (await defaultProjectFiles()).map((file) => path.join(root, file))
  return ts.createProgram({ rootNames, options: jsOptions, host: compilerHost(jsOptions) })
}
const jsProgram = parsed === undefined ? undefined : await jsProgramOf(parsed.options)

// Without a program (tsconfig.json unreadable) eslint falls back to the config's project service.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: program === undefined || jsProgram === undefined ? [] : [{
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, programs: [program] } }
  }, {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { parserOptions: { projectService: false, programs: [jsProgram] } }
  }]
})
const results = await eslint.lintFiles(["."])
const formatter = await eslint.loadFormatter("stylish")
const report = await formatter.format(results)
if (report !== "") process.stdout.write(report.endsWith("\n") ? report : `${report}\n`)
// `errorCount` includes the fatal ones (a file that does not parse).
const lintErrors = results.reduce((n, r) => n + r.errorCount, 0)
console.log(`${lintErrors === 0 ? "✓" : "✗"} lint: ${lintErrors} error${lintErrors === 1 ? "" : "s"} (${seconds()} s)`)

process.exitCode = typeErrors === 0 && lintErrors === 0 ? 0 : 1
