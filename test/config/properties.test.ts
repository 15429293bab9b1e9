/**
 * Properties of the layered configuration, over generated inputs:
 *   - precedence: whichever sources set a key, the highest one wins, in any key syntax and case;
 *   - files: any JSON document (any strings, any nesting, any formatting) reads back exactly.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, Effect, FastCheck as fc } from "effect"
import { contentRoot, withConfig } from "./util.js"

const sources = ["code", "appsettings.json", "appsettings.Staging.json", "env", "command line"] as const

/** `section`/`key` with each letter's case flipped where `flips` says so. */
const recase = (text: string, flips: ReadonlyArray<boolean>) =>
  [...text].map((c, i) => (flips[i % flips.length] === true ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join("")

describe("precedence", () => {
  it.effect.prop(
    "the highest source that sets a key wins, whatever the syntax and case",
    {
      included: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }).filter((bits) => bits.some((b) => b)),
      flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      cliSyntax: fc.constantFrom("colon=", "colon space", "dot="),
      values: fc.array(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(",") && s.trim() === s && !s.startsWith("--")), { minLength: 5, maxLength: 5 })
    },
    ({ cliSyntax, flips, included, values }) => {
      const set = (source: (typeof sources)[number]) => included[sources.indexOf(source)] === true
      const value = (source: (typeof sources)[number]) => values[sources.indexOf(source)] as string
      const files: Record<string, unknown> = {}
      if (set("appsettings.json")) files["appsettings.json"] = { [recase("Section", flips)]: { Key: value("appsettings.json") } }
      if (set("appsettings.Staging.json")) files["appsettings.Staging.json"] = { Section: { [recase("Key", flips)]: value("appsettings.Staging.json") } }
      const cliKey = recase(cliSyntax === "dot=" ? "Section.Key" : "Section:Key", flips)
      const args = !set("command line")
        ? []
        : cliSyntax === "colon space"
        ? [`--${cliKey}`, value("command line")]
        : [`--${cliKey}=${value("command line")}`]
      const winner = [...sources].reverse().find(set) as (typeof sources)[number]
      return withConfig(
        {
          environmentName: "Staging",
          contentRoot: contentRoot(files),
          values: set("code") ? { "Section:Key": value("code") } : {},
          env: set("env") ? { [recase("SECTION__KEY", flips)]: value("env") } : {},
          args
        },
        Config.string(recase("section:key", [...flips].reverse()))
      ).pipe(Effect.map((read) => void expect(read).toBe(value(winner))))
    },
    { fastCheck: { numRuns: 60 } }
  )
})

type Leaf = string | number | boolean | ReadonlyArray<string>
interface Tree {
  readonly [key: string]: Leaf | Tree
}

// Letters only: numeric keys mean array elements, and keys differing only in case are rejected.
const key = fc.stringMatching(/^[A-Za-z][A-Za-z_]{0,7}$/)
const distinct = <A>(dict: Record<string, A>) =>
  new Set(Object.keys(dict).map((k) => k.toLowerCase())).size === Object.keys(dict).length
const leaf: fc.Arbitrary<Leaf> = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string({ unit: "binary" }), { minLength: 1, maxLength: 4 })
)
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.dictionary(key, fc.oneof({ depthSize: "small" }, leaf, tie("tree")), { maxKeys: 5 }).filter(distinct)
})).tree

const leaves = (t: Tree, prefix: ReadonlyArray<string> = []): Array<readonly [ReadonlyArray<string>, Leaf]> =>
  Object.entries(t).flatMap(([k, v]) =>
    typeof v === "object" && !Array.isArray(v) ? leaves(v as Tree, [...prefix, k]) : [[[...prefix, k], v as Leaf] as const]
  )

describe("files", () => {
  it.effect.prop(
    "any JSON document reads back exactly, whatever its strings and formatting",
    { document: tree, indent: fc.constantFrom(0, 2, "\t") },
    ({ document, indent }) =>
      withConfig(
        { contentRoot: contentRoot({ "appsettings.json": JSON.stringify(document, null, indent) }) },
        Effect.forEach(leaves(document), ([path, value]) =>
          Array.isArray(value)
            ? Effect.map(Config.array(Config.string(), path.join(":")), (read) => expect(read).toEqual(value))
            : Effect.map(Config.string(path.join(":")), (read) => expect(read).toBe(String(value))),
          // fast-check fails a property that returns anything but `undefined`/`true`.
          { discard: true }
        )
      ),
    { fastCheck: { numRuns: 100 } }
  )
})
