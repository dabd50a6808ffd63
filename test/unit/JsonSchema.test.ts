/** JSON Schema checks with bounded work: RE2 patterns, size and depth before compiling, a real LRU. */
import v8 from "node:v8"
import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { cachedValidators, checkSchema, validate } from "../../src/domain/JsonSchema.js"
import { decodeRegistrationInput } from "../../src/domain/RegistrationInput.js"
import { FIXED } from "../../src/Settings.js"
import { arn } from "../support/fixtures.js"

const stringWith = (pattern: string) => ({ type: "object", properties: { s: { type: "string", pattern } } })

/** A full collection, so heap figures count what is kept, not garbage (the flag is set at run time). */
v8.setFlagsFromString("--expose-gc")
const collectGarbage = runInNewContext("gc") as () => void

/** Elapsed milliseconds of a synchronous call, and its result. */
const timed = <A>(run: () => A) => {
  const started = performance.now()
  const result = run()
  return { result, millis: performance.now() - started }
}

describe("JsonSchema", () => {
  it("checks `pattern` on RE2: ^(a+)+$ against 30 a's and '!' is answered at once, and correctly", () => {
    const schema = stringWith("^(a+)+$")
    expect(checkSchema(schema)).toEqual([])
    const { millis, result } = timed(() => validate(schema, { s: `${"a".repeat(30)}!` }))
    expect(result).toEqual([{ path: "s", message: "must match pattern \"^(a+)+$\"" }])
    // The backtracking RegExp took 34.9 s for this.
    expect(millis).toBeLessThan(200)
    expect(validate(schema, { s: "aaaa" })).toEqual([])
  })

  it("keeps ECMAScript pattern syntax: classes, escapes, named groups, \\p{…}, patternProperties", () => {
    const schema = {
      type: "object",
      properties: {
        id: { type: "string", pattern: "^[0-9a-f]{8}-[0-9a-f]{4}$" },
        word: { type: "string", pattern: "^\\p{L}+$" },
        date: { type: "string", pattern: "^(?<year>\\d{4})-\\d{2}$" },
        path: { type: "string", pattern: "^\\/[\\w.-]+$" }
      },
      patternProperties: { "^x-\\w+$": { type: "integer" } }
    }
    expect(checkSchema(schema)).toEqual([])
    expect(validate(schema, { id: "0123abcd-ef01", word: "Zoë", date: "2026-11", path: "/a.b", "x-n": 1 })).toEqual([])
    expect(validate(schema, { id: "nope", word: "a1", date: "26-11", path: "a", "x-n": "one" }).map((issue) => issue.path))
      .toEqual(["id", "word", "date", "path", "x-n"])
  })

  it("refuses a pattern RE2 cannot run, naming the rule's path", () => {
    expect(checkSchema(stringWith("^(?=a)b"))).toEqual([
      { path: "properties.s.pattern", message: expect.stringMatching(/^pattern "\^\(\?=a\)b" cannot run on the linear-time engine/) }
    ])
    expect(checkSchema({ type: "object", patternProperties: { "(x)\\1": {} } })).toEqual([
      { path: "patternProperties.(x)\\1", message: expect.stringMatching(/linear-time engine/) }
    ])
    // A `pattern` inside data (const, enum, default, examples) is no rule.
    expect(checkSchema({ type: "object", default: { pattern: "(?=x)" } })).toEqual([])
  })

  it("refuses patterns whose RE2 programs are too large to compile and run quickly", () => {
    const schema = {
      type: "object",
      properties: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, { type: "string", pattern: `^[a-z]{1,${900 + i}}$` }]))
    }
    const { millis, result } = timed(() => checkSchema(schema))
    expect(result).toEqual([{ path: "", message: expect.stringMatching(/too complex to check quickly/) }])
    expect(millis).toBeLessThan(1_000)
  })

  it("refuses a string too long to check against its pattern within the step budget, quickly", () => {
    const schema = stringWith("^([ab]*a[ab]{500})$")
    expect(checkSchema(schema)).toEqual([])
    const { millis, result } = timed(() => validate(schema, { s: "ab".repeat(100_000) }))
    expect(result).toEqual([{ path: "", message: expect.stringMatching(/too long to check against the pattern/) }])
    expect(millis).toBeLessThan(200)
  })

  it("checks size and depth before compiling: a 940 KB schema and a 200k-deep one are refused at once", () => {
    const big = {
      type: "object",
      properties: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`property${i}`, { type: "string", minLength: i }]))
    }
    expect(JSON.stringify(big).length).toBeGreaterThan(900_000)
    const large = timed(() => checkSchema(big))
    expect(large.result).toEqual([{ path: "", message: `is larger than 64 KB (${FIXED.limits.maxSchemaBytes} bytes of JSON)` }])
    expect(large.millis).toBeLessThan(200)
    let nested: Record<string, unknown> = {}
    for (let i = 0; i < 200_000; i++) nested = { a: nested }
    const deep = timed(() => checkSchema({ type: "object", properties: nested }))
    expect(deep.result).toEqual([{ path: "", message: expect.stringMatching(/more than 64 levels deep/) }])
    expect(deep.millis).toBeLessThan(200)
  })

  it("keeps at most FIXED.limits.compiledSchemas validators, and Ajv keeps nothing more: heap stays flat", () => {
    const schemaOf = (i: number) => ({
      type: "object",
      properties: { [`field${i}`]: { type: "string", pattern: `^x${i}[a-z]+$` }, count: { type: "integer", minimum: i } },
      required: [`field${i}`]
    })
    const heap = () => {
      collectGarbage()
      return process.memoryUsage().heapUsed
    }
    for (let i = 0; i < 600; i++) validate(schemaOf(i), {})
    const before = heap()
    for (let i = 600; i < 3_600; i++) expect(validate(schemaOf(i), { [`field${i}`]: `x${i}ok` })).toEqual([])
    expect(cachedValidators()).toBe(FIXED.limits.compiledSchemas)
    // Unbounded (Ajv's cache and scope, the old FIFO of 1,000), 3,000 more schemas held about 30 MB.
    expect(heap() - before).toBeLessThan(10_000_000)
  }, 120_000)

  it("forgets schemas it refused: 3,000 that fail to compile leave the heap flat", () => {
    // An unresolvable `$ref` passes the meta-schema and fails in Ajv's compile, after Ajv cached it.
    const refused = (i: number) => ({
      type: "object",
      properties: {
        ...Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`f${i}_${j}`, { type: "string", minLength: j, pattern: `^y${i}_${j}$` }])),
        ref: { $ref: `#/$defs/missing${i}` }
      }
    })
    const heap = () => {
      collectGarbage()
      return process.memoryUsage().heapUsed
    }
    for (let i = 0; i < 200; i++) checkSchema(refused(i))
    const before = heap()
    for (let i = 200; i < 3_200; i++) expect(checkSchema(refused(i))).toHaveLength(1)
    // Before, Ajv kept each one: about 37 MB for these.
    expect(heap() - before).toBeLessThan(10_000_000)
  }, 120_000)

  it.effect("registration answers the problems with their paths (the API's 400)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(decodeRegistrationInput({
        type: "tool",
        name: "lookahead",
        description: "d",
        lambdaArn: arn("weather"),
        inputSchema: stringWith("^(?!admin)\\w+$")
      }))
      expect(error.problems).toEqual([
        { path: "inputSchema.properties.s.pattern", message: expect.stringMatching(/cannot run on the linear-time engine/) }
      ])
    }))
})
