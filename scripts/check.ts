/**
 * `npm test`'s type check and lint in one TypeScript program. `tsc --noEmit` and eslint's
 * type-aware rules (`no-floating-promises`) each build and check the whole project: about 19 s
 * and 27 s of CPU on the two-core CI machine, most of eslint's being its own type check. Here the
 * program is built and checked once, then handed to eslint (`parserOptions.programs`), whose
 * rules ask the same checker for types it has already computed: about 25 s of CPU for both.
 *
 * The result is the same as `npm run typecheck` and `npm run lint` (which stay for running one
 * of them alone): tsconfig.json's files and options, eslint.config.js's rules. The JavaScript
 * files eslint lints (its config, the .mjs scripts) are no part of the program and keep the
 * config's own project service. Prints what each reports; exits non-zero when either fails.
 */
import { ESLint } from "eslint"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const started = performance.now()
const seconds = () => ((performance.now() - started) / 1000).toFixed(1)

const configErrors: Array<ts.Diagnostic> = []
const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.json"), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => void configErrors.push(diagnostic)
})
const program = parsed === undefined ? undefined : ts.createProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
  projectReferences: parsed.projectReferences ?? [],
  configFileParsingDiagnostics: parsed.errors
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

// Without a program (tsconfig.json unreadable) eslint falls back to the config's project service.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: program === undefined ? [] : [{
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, programs: [program] } }
  }]
})
const results = await eslint.lintFiles(["."])
const formatter = await eslint.loadFormatter("stylish")
const report = await formatter.format(results)
if (report !== "") process.stdout.write(report.endsWith("\n") ? report : `${report}\n`)
const lintErrors = results.reduce((n, r) => n + r.errorCount + r.fatalErrorCount, 0)
console.log(`${lintErrors === 0 ? "✓" : "✗"} lint: ${lintErrors} error${lintErrors === 1 ? "" : "s"} (${seconds()} s)`)

process.exitCode = typeErrors === 0 && lintErrors === 0 ? 0 : 1
