/**
 * A small JSON reader for appsettings files. `JSON.parse` is not enough: on Node 20 its messages
 * often carry no position, and an operator needs "file:line:column" to fix a broken file. Like
 * .NET's JSON configuration provider it accepts `//` and `/* *\/` comments and trailing commas,
 * and rejects keys that differ only in case (configuration keys are case-insensitive, so such a
 * file is ambiguous). Numbers keep their text (`1.50` stays `1.50`).
 *
 * @internal
 */

export type JsonValue = string | boolean | JsonNumber | null | ReadonlyArray<JsonValue> | JsonObject

export interface JsonObject {
  readonly [key: string]: JsonValue
}

/** A number, as written in the file. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export class JsonSyntaxError {
  readonly _tag = "JsonSyntaxError"
  constructor(readonly message: string, readonly line: number, readonly column: number) {}
}

const describe = (char: string | undefined): string => (char === undefined ? "end of file" : JSON.stringify(char))

class Reader {
  pos = 0
  constructor(readonly text: string) {}

  fail(message: string, at: number = this.pos): never {
    let line = 1
    let lineStart = 0
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text[i] === "\n") {
        line++
        lineStart = i + 1
      }
    }
    throw new JsonSyntaxError(message, line, at - lineStart + 1)
  }

  skip(): void {
    for (;;) {
      const c = this.text[this.pos]
      if (c === " " || c === "\t" || c === "\n" || c === "\r") {
        this.pos++
      } else if (c === "/" && this.text[this.pos + 1] === "/") {
        const end = this.text.indexOf("\n", this.pos)
        this.pos = end === -1 ? this.text.length : end + 1
      } else if (c === "/" && this.text[this.pos + 1] === "*") {
        const end = this.text.indexOf("*/", this.pos + 2)
        if (end === -1) this.fail("Unterminated comment")
        this.pos = end + 2
      } else {
        return
      }
    }
  }

  value(): JsonValue {
    this.skip()
    const c = this.text[this.pos]
    switch (c) {
      case "{":
        return this.object()
      case "[":
        return this.array()
      case "\"":
        return this.string()
      case "t":
        return this.literal("true", true)
      case "f":
        return this.literal("false", false)
      case "n":
        return this.literal("null", null)
      default:
        if (c !== undefined && (c === "-" || (c >= "0" && c <= "9"))) return this.number()
        return this.fail(`Unexpected ${describe(c)}, expected a value`)
    }
  }

  literal<A extends JsonValue>(word: string, value: A): A {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length
      return value
    }
    return this.fail(`Unexpected ${describe(this.text[this.pos])}, expected a value`)
  }

  number(): JsonNumber {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos))
    if (match === null) return this.fail(`Invalid number`)
    this.pos += match[0].length
    return new JsonNumber(match[0])
  }

  string(): string {
    const start = this.pos
    this.pos++ // opening quote
    let out = ""
    for (;;) {
      const c = this.text[this.pos]
      if (c === undefined || c === "\n") return this.fail("Unterminated string", start)
      if (c === "\"") {
        this.pos++
        return out
      }
      if (c === "\\") {
        const e = this.text[this.pos + 1]
        const simple: Record<string, string> = { "\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }
        if (e !== undefined && e in simple) {
          out += simple[e]
          this.pos += 2
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
          out += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16))
          this.pos += 6
        } else {
          return this.fail(`Invalid escape sequence`)
        }
        continue
      }
      out += c
      this.pos++
    }
  }

  array(): ReadonlyArray<JsonValue> {
    this.pos++ // [
    const out: Array<JsonValue> = []
    for (;;) {
      this.skip()
      if (this.text[this.pos] === "]") {
        this.pos++
        return out
      }
      out.push(this.value())
      this.skip()
      const c = this.text[this.pos]
      if (c === ",") this.pos++
      else if (c !== "]") this.fail(`Unexpected ${describe(c)}, expected ',' or ']'`)
    }
  }

  object(): JsonObject {
    this.pos++ // {
    const out: Record<string, JsonValue> = {}
    const seen = new Map<string, string>()
    for (;;) {
      this.skip()
      const c = this.text[this.pos]
      if (c === "}") {
        this.pos++
        return out
      }
      if (c !== "\"") this.fail(`Unexpected ${describe(c)}, expected a property name in double quotes`)
      const keyAt = this.pos
      const key = this.string()
      const previous = seen.get(key.toLowerCase())
      if (previous !== undefined) {
        this.fail(`Duplicate key ${JSON.stringify(key)} (keys are case-insensitive; ${JSON.stringify(previous)} came first)`, keyAt)
      }
      seen.set(key.toLowerCase(), key)
      this.skip()
      if (this.text[this.pos] !== ":") this.fail(`Unexpected ${describe(this.text[this.pos])}, expected ':'`)
      this.pos++
      out[key] = this.value()
      this.skip()
      const d = this.text[this.pos]
      if (d === ",") this.pos++
      else if (d !== "}") this.fail(`Unexpected ${describe(d)}, expected ',' or '}'`)
    }
  }
}

/** Parses `text`; throws `JsonSyntaxError` with a 1-based line and column. */
export const parse = (text: string): JsonValue => {
  const reader = new Reader(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  const value = reader.value()
  reader.skip()
  if (reader.pos < reader.text.length) reader.fail(`Unexpected ${describe(reader.text[reader.pos])} after the end of the document`)
  return value
}

export const isObject = (value: JsonValue): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber)
