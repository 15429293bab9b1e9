/**
 * Typed settings: a section of the store becomes the input of an `effect/Schema`.
 *
 * Configuration values are text (environment variables and the command line have no types), so
 * the section is materialized guided by the schema's *encoded* side: where the schema expects a
 * number, `"8080"` becomes `8080`; a boolean, `"true"`; a literal, the literal matched
 * case-insensitively (as .NET binds enums). Everything else stays text, and Schema does all
 * validation, with `errors: "all"` so every problem is reported at once. Property names match
 * keys case-insensitively. Keys under a `Schema.Redacted` become secrets.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { ConfigurationError, type Issue } from "./error.js"
import * as Key from "./key.js"
import * as Secrets from "./secrets.js"
import { type Entry, type Store, valuelessMessage } from "./store.js"

/**
 * Whether `ast` is `Schema.Redacted` / `Schema.RedactedFromSelf`: the one place that knows how
 * Schema marks them (the public `TypeConstructor` annotation `{ _tag: "effect/Redacted" }` of
 * the declaration). Pinned by test/config/effect-contract.test.ts.
 */
export const isRedacted = (ast: AST.AST): boolean => {
  const constructor = AST.getTypeConstructorAnnotation(ast)
  return constructor._tag === "Some" && constructor.value._tag === "effect/Redacted"
}

/** Unwraps to the node that decides how a value is shaped on the encoded side. */
const encodedNode = (ast: AST.AST, depth = 0): AST.AST => {
  if (depth > 50) return ast
  switch (ast._tag) {
    case "Refinement":
    case "Transformation":
      return encodedNode(ast.from, depth + 1)
    case "Suspend":
      return encodedNode(ast.f(), depth + 1)
    default:
      return ast
  }
}

const numberText = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(Infinity|NaN)\s*$/

/** Converts text to what the encoded side of `ast` expects, when that is unambiguous. */
const coerce = (ast: AST.AST, text: string): unknown => {
  const node = encodedNode(ast)
  switch (node._tag) {
    case "NumberKeyword":
      return numberText.test(text) ? Number(text) : text
    case "BooleanKeyword":
      return /^true$/i.test(text.trim()) ? true : /^false$/i.test(text.trim()) ? false : text
    case "Literal":
      return matchLiteral([node.literal], text)
    case "Enums":
      return matchLiteral(node.enums.map(([, value]) => value), text)
    case "Union": {
      const members = node.types.map((member) => encodedNode(member))
      const literals = members.flatMap((m) => (m._tag === "Literal" ? [m.literal] : []))
      const matched = matchLiteral(literals, text)
      if (matched !== text) return matched
      // A union that accepts any string keeps the text; otherwise the first member that can
      // read it decides (`Schema.Union(Schema.Number, Schema.Literal("auto"))` reads `"5"` as 5).
      if (members.some((m) => m._tag === "StringKeyword" || m._tag === "TemplateLiteral")) return text
      for (const member of members) {
        const value = coerce(member, text)
        if (value !== text) return value
      }
      return text
    }
    default:
      return text
  }
}

const matchLiteral = (literals: ReadonlyArray<AST.LiteralValue>, text: string): unknown => {
  for (const literal of literals) {
    if (typeof literal === "string" && literal === text) return literal
  }
  for (const literal of literals) {
    if (typeof literal === "string" && literal.toLowerCase() === text.toLowerCase()) return literal
    if (typeof literal === "number" && numberText.test(text) && Number(text) === literal) return literal
    if (typeof literal === "boolean" && text.trim().toLowerCase() === String(literal)) return literal
  }
  return text
}

const isArrayLike = (ast: AST.AST) => encodedNode(ast)._tag === "TupleType"
const isObjectLike = (ast: AST.AST) => encodedNode(ast)._tag === "TypeLiteral"

interface Reader {
  readonly store: Store
  readonly secrets: Secrets.Secrets
  /** `store.get`, recording what the section read. */
  readonly get: (path: Key.Path) => Entry | undefined
}

/** Plain materialization without a schema to guide it: objects, arrays and text. */
const generic = (reader: Reader, path: Key.Path): unknown => {
  const children = reader.store.children(path)
  if (children.length === 0) return reader.get(path)?.value
  if (children.every(Key.isIndex)) return children.map((child) => generic(reader, [...path, child]))
  return Object.fromEntries(children.map((child) => [child, generic(reader, [...path, child])]))
}

/** The value at `path` shaped for `ast`, or `undefined` when nothing is set there. */
const materialize = (reader: Reader, ast: AST.AST, path: Key.Path, depth = 0): unknown => {
  const { get, secrets, store } = reader
  if (!store.has(path) || depth > 100) return undefined
  switch (ast._tag) {
    case "Transformation":
      if (isRedacted(ast.to)) secrets.add(path)
      return materialize(reader, ast.from, path, depth + 1)
    case "Declaration":
      if (isRedacted(ast)) secrets.add(path)
      return get(path)?.value ?? generic(reader, path)
    case "Refinement":
      return materialize(reader, ast.from, path, depth + 1)
    case "Suspend":
      return materialize(reader, ast.f(), path, depth + 1)
    case "TypeLiteral": {
      const children = store.children(path)
      if (children.length === 0) return get(path)?.value
      const out: Record<string, unknown> = {}
      const used = new Set<string>()
      for (const property of ast.propertySignatures) {
        const name = String(property.name)
        const value = materialize(reader, property.type, [...path, name], depth + 1)
        used.add(name.toLowerCase())
        if (value !== undefined) out[name] = value
      }
      for (const index of ast.indexSignatures) {
        for (const child of children) {
          if (used.has(child.toLowerCase())) continue
          const value = materialize(reader, index.type, [...path, child], depth + 1)
          if (value !== undefined) out[child] = value
        }
      }
      return out
    }
    case "TupleType": {
      const element = (i: number): AST.AST =>
        ast.elements[i]?.type ?? ast.rest[0]?.type ?? AST.unknownKeyword
      const children = store.children(path)
      if (children.length > 0 && children.every(Key.isIndex)) {
        return children.map((child, i) => materialize(reader, element(i), [...path, child], depth + 1))
      }
      const entry = get(path)
      if (children.length === 0 && entry !== undefined) {
        // `Items=a,b` from the environment or the command line; a JSON string stays a string.
        const parts = entry.splittable ? entry.value.split(",").map((s) => s.trim()) : undefined
        return parts === undefined ? entry.value : parts.map((part, i) => coerce(element(i), part))
      }
      return generic(reader, path)
    }
    case "Union": {
      const children = store.children(path)
      if (children.length === 0) {
        const entry = get(path)
        return entry === undefined ? undefined : coerce(ast, entry.value)
      }
      const shaped = children.every(Key.isIndex) ? ast.types.find(isArrayLike) : ast.types.find(isObjectLike)
      return shaped === undefined ? generic(reader, path) : materialize(reader, shaped, path, depth + 1)
    }
    default: {
      const entry = get(path)
      return entry !== undefined && store.children(path).length === 0 ? coerce(ast, entry.value) : generic(reader, path)
    }
  }
}

/**
 * Reads section `section` (`""` for the root) of `store` into `schema`; fails with one
 * `ConfigurationError` listing every invalid or missing key.
 */
export const decode = <A, I, R>(
  schema: Schema.Schema<A, I, R>,
  section: Key.Path,
  view: {
    readonly store: Store
    readonly secrets: Secrets.Secrets
    /** Hears of every key the section reads. */
    readonly onRead?: ((path: Key.Path) => void) | undefined
  }
): Effect.Effect<A, ConfigurationError, R> => {
  const { secrets, store } = view
  const valueless: Array<Entry> = []
  const get = (path: Key.Path): Entry | undefined => {
    const entry = store.get(path)
    if (entry !== undefined) {
      view.onRead?.(path)
      if (entry.valueless === true && !valueless.includes(entry)) valueless.push(entry)
    }
    return entry
  }
  const input = materialize({ store, secrets, get }, schema.ast, section) ?? {}
  // A switch given without a value is reported as such, whatever the schema would say of "".
  const valuelessIssues = valueless.map((entry): Issue => ({ key: Key.display(entry.path), message: valuelessMessage(entry), source: entry.source }))
  const valuelessKeys = new Set(valueless.map((entry) => Key.lower(entry.path)))
  return ParseResult.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })(input).pipe(
    Effect.filterOrFail(() => valuelessIssues.length === 0, () => new ConfigurationError({ issues: valuelessIssues })),
    Effect.mapError((error) => {
      if (error instanceof ConfigurationError) return error
      // Any message may quote any value (a refinement of the whole section prints it all).
      const secretValues = store.entries().filter((e) => secrets.has(e.path)).map((e) => e.value)
      const byKey = new Map<string, { readonly path: Key.Path; readonly problems: Array<ParseResult.ArrayFormatterIssue> }>()
      for (const problem of ParseResult.ArrayFormatter.formatIssueSync(error)) {
        // Spelled as the program spells it (section name, schema properties), not as the source did.
        const path = [...section, ...problem.path.map(String)]
        const key = Key.display(path)
        const group = byKey.get(key) ?? { path, problems: [] }
        group.problems.push(problem)
        byKey.set(key, group)
      }
      const issues = [...byKey].filter(([, { path }]) => !valuelessKeys.has(Key.lower(path))).map(([key, { path, problems }]): Issue => {
        const entry = store.get(path)
        if (problems.some((p) => p._tag === "Missing") || (entry === undefined && !store.has(path))) {
          return { key, message: `is missing: ${Key.whereToSet(path)}` }
        }
        const message = Secrets.scrub(combine(problems.map((p) => p.message)), secretValues, secrets.has(path))
        return { key, message, source: entry?.source }
      })
      return new ConfigurationError({ issues: [...valuelessIssues, ...issues] })
    })
  )
}

/**
 * One message per key: a union reports each member separately ("Expected "A", actual "x"",
 * "Expected "B", actual "x""); an operator wants "Expected "A" | "B", actual "x"". The
 * `undefined` member of an optional key is noise next to the real alternatives.
 */
const combine = (messages: ReadonlyArray<string>): string => {
  if (messages.length === 1) return messages[0] as string // length checked
  const parsed = messages.map((m) => /^Expected (.*), actual (.*)$/s.exec(m))
  const actuals = new Set(parsed.map((m) => m?.[2]))
  if (parsed.every((m) => m !== null) && actuals.size === 1) {
    const expected = [...new Set(parsed.map((m) => m?.[1] ?? ""))]
    const meaningful = expected.length > 1 ? expected.filter((e) => e !== "undefined") : expected
    return `Expected ${meaningful.join(" | ")}, actual ${[...actuals][0]}`
  }
  return [...new Set(messages)].join("; ")
}
