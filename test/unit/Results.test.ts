/**
 * A function's answer as the client sees it (the payload contract): the `{ statusCode, body }`
 * envelope or a bare result, error statuses, and the text of every unusable answer.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import type { ToolRegistration } from "../../src/domain/Registration.js"
import {
  describeBody,
  toCallToolResult,
  toGetPromptResult,
  toListedResources,
  toReadResourceResult,
  UnusableAnswer,
  unwrap
} from "../../src/mcp/Results.js"

const tool = { name: "t" }
const typed = {
  name: "typed",
  outputSchema: { type: "object", properties: { n: { type: "number" } }, required: ["n"] } as ToolRegistration["outputSchema"]
}

describe("unwrap: the { statusCode, body } envelope", () => {
  it("opens an envelope whose body is JSON text, text, or a value", () => {
    expect(unwrap({ statusCode: 200, body: "{\"a\":1}" })).toEqual({ statusCode: 200, body: { a: 1 } })
    expect(unwrap({ statusCode: 201, body: "not json" })).toEqual({ statusCode: 201, body: "not json" })
    expect(unwrap({ statusCode: 200, body: { a: 1 } })).toEqual({ statusCode: 200, body: { a: 1 } })
    // Only text is parsed: a value is kept as it is, even one whose text would parse.
    expect(unwrap({ statusCode: 200, body: ["42"] })).toEqual({ statusCode: 200, body: ["42"] })
  })

  it("takes anything else as a bare answer: no numeric status, or no body", () => {
    expect(unwrap({ statusCode: "200", body: "x" })).toEqual({ statusCode: undefined, body: { statusCode: "200", body: "x" } })
    expect(unwrap({ statusCode: 500 })).toEqual({ statusCode: undefined, body: { statusCode: 500 } })
    expect(unwrap("text")).toEqual({ statusCode: undefined, body: "text" })
    expect(unwrap([{ statusCode: 500, body: "x" }])).toEqual({ statusCode: undefined, body: [{ statusCode: 500, body: "x" }] })
  })
})

describe("describeBody: the message of an error body", () => {
  it("is the text, or the error / message / errorMessage field, in that order", () => {
    expect(describeBody("plain words")).toBe("plain words")
    expect(describeBody({ error: "first", message: "second" })).toBe("first")
    expect(describeBody({ message: "second", errorMessage: "third" })).toBe("second")
    expect(describeBody({ errorMessage: "third" })).toBe("third")
    expect(describeBody({ error: 42, message: "a number is skipped" })).toBe("a number is skipped")
  })

  it("reads a nested { message } and falls back to the JSON", () => {
    expect(describeBody({ error: { message: "nested", code: 7 } })).toBe("nested")
    expect(describeBody({ error: { code: 7 } })).toBe("{\"error\":{\"code\":7}}")
    expect(describeBody([1, 2])).toBe("[1,2]")
    expect(describeBody(undefined)).toBe("undefined")
  })
})

describe("toCallToolResult", () => {
  const call = (answer: unknown, shape: { readonly name: string } = tool) => Effect.runSync(toCallToolResult(shape, answer))

  it("a status of 400 or more is a tool error with the body's message; below is a result", () => {
    expect(call({ statusCode: 400, body: { message: "bad city" } })).toEqual({
      content: [{ type: "text", text: "Tool 't' failed (status 400): bad city" }],
      isError: true
    })
    expect(call({ statusCode: 399, body: "redirected, but fine" })).toEqual({
      content: [{ type: "text", text: "redirected, but fine" }]
    })
  })

  it("an MCP result is decoded; a broken one is a tool error naming each problem", () => {
    const image = { type: "image", data: "aGk=", mimeType: "image/png" }
    expect(call({ content: [image], isError: false })).toEqual({ content: [image], isError: false })
    expect(call({ content: [{ type: "text" }] })).toEqual({
      content: [{ type: "text", text: "Tool 't' returned an invalid result: content.0.text: is missing" }],
      isError: true
    })
  })

  it("other JSON is text, and structured content when it is an object", () => {
    expect(call({ content: "not a list" })).toEqual({
      content: [{ type: "text", text: "{\"content\":\"not a list\"}" }],
      structuredContent: { content: "not a list" }
    })
    expect(call([1, 2])).toEqual({ content: [{ type: "text", text: "[1,2]" }] })
    expect(call(7)).toEqual({ content: [{ type: "text", text: "7" }] })
    expect(call(null)).toEqual({ content: [{ type: "text", text: "null" }] })
    expect(call(undefined)).toEqual({ content: [{ type: "text", text: "null" }] })
  })

  it.effect("with an outputSchema: structured content is required and checked; a tool error passes as it is", () =>
    Effect.gen(function* () {
      // The JSON Schema module loads on first use: asynchronously.
      const check = (answer: unknown) => toCallToolResult(typed, answer)
      expect(yield* check({ n: 1 })).toEqual({ content: [{ type: "text", text: "{\"n\":1}" }], structuredContent: { n: 1 } })
      expect(yield* check("words")).toEqual({
        content: [{ type: "text", text: "Tool 'typed' declares an outputSchema but returned no structured content" }],
        isError: true
      })
      expect(yield* check({ n: "one" })).toEqual({
        content: [{ type: "text", text: "Tool 'typed' returned structured content that does not match its outputSchema: n: must be number" }],
        isError: true
      })
      const failed = { content: [{ type: "text", text: "no luck" }], isError: true }
      expect(yield* check(failed)).toEqual(failed)
    }))
})

describe("toReadResourceResult", () => {
  const read = (answer: unknown, mimeType?: string) => toReadResourceResult("x://1", mimeType, answer)

  it("404 says the resource does not exist; other error statuses are unusable answers", () => {
    expect(read({ statusCode: 404, body: "gone" })).toEqual(Either.left(new UnusableAnswer("status 404: gone", true)))
    expect(read({ statusCode: 400, body: { error: "bad" } })).toEqual(Either.left(new UnusableAnswer("status 400: bad", false)))
    expect(read({ statusCode: 399, body: "fine" })).toEqual(Either.right({ contents: [{ uri: "x://1", text: "fine" }] }))
  })

  it("contents are decoded; broken contents are named", () => {
    const contents = [{ uri: "x://1", blob: "aGk=", mimeType: "image/png" }]
    expect(read({ contents })).toEqual(Either.right({ contents }))
    expect(read({ contents: [{ uri: "x://1" }] })).toEqual(Either.left(new UnusableAnswer(
      "invalid contents: contents.0.text: is missing; contents.0.blob: is missing"
    )))
  })

  it("text is the resource's text with its MIME type; other JSON is JSON text", () => {
    expect(read("hello")).toEqual(Either.right({ contents: [{ uri: "x://1", text: "hello" }] }))
    expect(read("hello", "text/plain")).toEqual(Either.right({ contents: [{ uri: "x://1", mimeType: "text/plain", text: "hello" }] }))
    expect(read({ a: 1 })).toEqual(Either.right({ contents: [{ uri: "x://1", mimeType: "application/json", text: "{\"a\":1}" }] }))
    expect(read({ a: 1 }, "application/vnd.x+json")).toEqual(Either.right({
      contents: [{ uri: "x://1", mimeType: "application/vnd.x+json", text: "{\"a\":1}" }]
    }))
    expect(read(undefined)).toEqual(Either.right({ contents: [{ uri: "x://1", mimeType: "application/json", text: "null" }] }))
  })
})

describe("toListedResources", () => {
  it("reads the resources; an error status or another shape is unusable", () => {
    const resources = [{ uri: "x://1", name: "One" }]
    expect(toListedResources({ statusCode: 200, body: JSON.stringify({ resources }) })).toEqual(Either.right(resources))
    expect(toListedResources({ statusCode: 503, body: "busy" })).toEqual(Either.left(new UnusableAnswer("status 503: busy", false)))
    expect(toListedResources({ resources: [{ uri: "x://1" }] })).toEqual(Either.left(new UnusableAnswer(
      "invalid resource list: resources.0.name: is missing"
    )))
  })
})

describe("toGetPromptResult", () => {
  it("text is one user message; a result is decoded; anything else is unusable", () => {
    expect(toGetPromptResult("Say hi")).toEqual(Either.right({ messages: [{ role: "user", content: { type: "text", text: "Say hi" } }] }))
    const result = { description: "d", messages: [{ role: "assistant", content: { type: "text", text: "hi" } }] }
    expect(toGetPromptResult({ statusCode: 200, body: result })).toEqual(Either.right(result))
    expect(toGetPromptResult({ statusCode: 404, body: "no prompt" })).toEqual(Either.left(new UnusableAnswer("status 404: no prompt", true)))
    expect(toGetPromptResult({ messages: [{ role: "system", content: { type: "text", text: "x" } }] })).toEqual(Either.left(
      new UnusableAnswer(expect.stringMatching(/^invalid prompt result: messages\.0\.role: Expected "user"/) as unknown as string)
    ))
    expect(toGetPromptResult(42)).toEqual(Either.left(new UnusableAnswer(expect.stringMatching(/^invalid prompt result: result: Expected/) as unknown as string)))
  })
})
