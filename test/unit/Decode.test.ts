/**
 * Values JSON can carry that make effect's union decoding throw: `{ "toString": null }` where a
 * union looks for a literal (`jsonrpc`, `type`). Each is a clear refusal, never a defect.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Option, Schema } from "effect"
import { decodeUnknownEither, decodeUnknownOption, describeParseError, lazySchema, onFirstUse } from "../../src/domain/Decode.js"
import { decodeMessage, ErrorCode } from "../../src/domain/JsonRpc.js"
import { decodeRegistrationInput } from "../../src/domain/RegistrationInput.js"
import { toCallToolResult, toGetPromptResult } from "../../src/mcp/Results.js"
import { engineWith, rpcError } from "../support/engine.js"
import { promptSpec } from "../support/fixtures.js"

/** Parsed from JSON text, as every such value arrives. */
const unreadable = JSON.parse("{\"toString\":null}") as unknown
const Tagged = Schema.Union(Schema.Struct({ type: Schema.Literal("a") }), Schema.Struct({ type: Schema.Literal("b") }))

describe("decoding a value that cannot be turned into text", () => {
  it("throws in effect's own union decoder (why the wrapper exists)", () => {
    expect(() => Schema.decodeUnknownEither(Tagged)({ type: unreadable })).toThrow(TypeError)
  })

  it("is a parse error, or None, through the wrapper; other input decodes as before", () => {
    const failed = decodeUnknownEither(Tagged)({ type: unreadable })
    expect(Either.isLeft(failed) && failed.left.message).toMatch(/cannot be read/)
    expect(decodeUnknownOption(Tagged)({ type: unreadable })).toEqual(Option.none())
    expect(decodeUnknownEither(Tagged)({ type: "b" })).toEqual(Either.right({ type: "b" }))
    expect(Either.isLeft(decodeUnknownEither(Tagged)({ type: "c" }))).toBe(true)
  })

  it("describes a broken optional field once: its own rule, not also the `undefined` it could have been", () => {
    const Shape = Schema.Struct({ a: Schema.optional(Schema.Number), b: Schema.optional(Schema.Struct({ c: Schema.String })) })
    const failed = decodeUnknownEither(Shape, { errors: "all" })({ a: "x", b: { c: 1 } })
    expect(Either.isLeft(failed) && describeParseError(failed.left, "params")).toBe(
      "a: Expected number, actual \"x\"; b.c: Expected string, actual 1"
    )
    const wrongRoot = decodeUnknownEither(Shape)(7)
    expect(Either.isLeft(wrongRoot) && describeParseError(wrongRoot.left, "params")).toMatch(/^params: Expected/)
  })

  it("leaves any other throw a defect: a filter that throws is our bug, not bad input", () => {
    const Broken = Schema.String.pipe(Schema.filter(() => {
      throw new RangeError("a bug")
    }))
    expect(() => decodeUnknownEither(Broken)("x")).toThrow(RangeError)
  })

  it("is not a JSON-RPC message", () => {
    for (const input of [{ jsonrpc: unreadable, id: false }, { jsonrpc: unreadable, id: 1, result: {} }, { jsonrpc: "2.0", id: unreadable, error: unreadable }]) {
      expect(Either.isLeft(decodeMessage(input))).toBe(true)
    }
  })

  it.effect("is an invalid registration", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(decodeRegistrationInput({ type: unreadable, name: "t", lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:t" }))
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toMatch(/InvalidRegistration/)
    }))

  it.effect("is an unusable function answer", () =>
    Effect.gen(function* () {
      const called = yield* toCallToolResult({ name: "t" }, { content: [{ type: unreadable, text: "x" }] })
      expect(called.isError).toBe(true)
      expect(Either.isLeft(toGetPromptResult({ messages: [{ role: "user", content: { type: unreadable } }] }))).toBe(true)
    }))

  it.effect("is invalid params in a request", () =>
    rpcError("completion/complete", { ref: { type: unreadable, name: "trip" }, argument: { name: "city", value: "" } }).pipe(
      Effect.map((error) => expect(error.code).toBe(ErrorCode.InvalidParams)),
      Effect.provide(engineWith([promptSpec("trip", { parameters: { city: "string" } })], {}))
    ))
})

describe("built on first use (a cold start builds no schema, decoder or encoder it does not use)", () => {
  it("onFirstUse makes its function on the first call, once, and passes every argument through", () => {
    let made = 0
    const add = onFirstUse(() => {
      made++
      return (a: number, b: number) => a + b
    })
    expect(made).toBe(0)
    expect(add(1, 2)).toBe(3)
    expect(add(3, 4)).toBe(7)
    expect(made).toBe(1)
  })

  it("decodeUnknownEither compiles its decoder on the first input, not where it is declared", () => {
    let read = 0
    const Counted = Schema.Struct({ n: Schema.Number }).pipe(Schema.filter(() => {
      read++
      return true
    }))
    const decode = decodeUnknownEither(Counted)
    expect(read).toBe(0)
    expect(decode({ n: 1 })).toEqual(Either.right({ n: 1 }))
    expect(read).toBe(1)
  })

  it("lazySchema builds its schema once, when first decoded, and decodes and fails as the schema itself does", () => {
    let made = 0
    const Point = lazySchema(() => {
      made++
      return Schema.Struct({ x: Schema.Number, label: Schema.optional(Schema.String) })
    })
    const Points = Schema.Array(Point)
    expect(made).toBe(0)
    expect(Schema.decodeUnknownSync(Points)([{ x: 1 }, { x: 2, label: "b" }])).toEqual([{ x: 1 }, { x: 2, label: "b" }])
    expect(made).toBe(1)
    const bad = { x: "one", label: 2 }
    const lazy = Schema.decodeUnknownEither(Point, { errors: "all" })(bad)
    const eager = Schema.decodeUnknownEither(Point.built(), { errors: "all" })(bad)
    expect(Either.isLeft(lazy) && Either.isLeft(eager)).toBe(true)
    if (Either.isLeft(lazy) && Either.isLeft(eager)) expect(describeParseError(lazy.left)).toBe(describeParseError(eager.left))
    expect(Point.built()).toBe(Point.built())
    expect(made).toBe(1)
  })

  it("a union of built members still tells them apart by their literal field (one issue, not one per member)", () => {
    const A = lazySchema(() => Schema.Struct({ type: Schema.Literal("a"), a: Schema.String }))
    const B = lazySchema(() => Schema.Struct({ type: Schema.Literal("b"), b: Schema.Number }))
    const byLiteral = Schema.Union(A.built(), B.built())
    const failed = decodeUnknownEither(byLiteral, { errors: "all" })({ type: "b", b: "x" })
    expect(Either.isLeft(failed) && describeParseError(failed.left)).toBe("b: Expected number, actual \"x\"")
  })
})

describe("error messages through schemas built on first use", () => {
  it.effect("name the nested type, never `<suspended schema>`: a registration's icons, a tool answer's content", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(decodeRegistrationInput({
        type: "tool",
        name: "t",
        description: "d",
        lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:t",
        inputSchema: { type: "object" },
        icons: 5
      }))
      const refused = Exit.isFailure(exit) ? JSON.stringify(exit.cause) : ""
      expect(refused).toMatch(/"path":"icons","message":"Expected ReadonlyArray<\{ readonly src: /)
      expect(refused).not.toMatch(/suspended/)
      const called = yield* toCallToolResult({ name: "t" }, { content: [5] })
      expect(called.isError).toBe(true)
      const said = called.content.map((block) => (block.type === "text" ? block.text : "")).join("")
      expect(said).toMatch(/readonly type: "resource"; readonly resource: \{ readonly uri: string/)
      expect(said).not.toMatch(/suspended/)
      const prompt = toGetPromptResult({ messages: [{ role: "user", content: 5 }] })
      expect(Either.isLeft(prompt) && JSON.stringify(prompt.left)).not.toMatch(/suspended/)
    }))
})
