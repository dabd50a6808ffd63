/** `prompts/list` and `prompts/get`: what is listed, what the function is asked, and what a failure answers. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import { engineWith, result, rpcError } from "../support/engine.js"
import { promptSpec } from "../support/fixtures.js"

const asked: Array<unknown> = []
const functions = {
  trip: async (event: unknown) => {
    asked.push(event)
    return "Plan a trip"
  },
  throwing: async () => {
    throw new Error("boom")
  },
  odd: async () => ({ messages: [{ role: "narrator", content: { type: "text", text: "x" } }] })
}
const engine = engineWith([
  promptSpec("trip", { title: "Trip", parameters: { from: "string", to: "string", when: { type: "string", optional: true } } }),
  promptSpec("throwing"),
  promptSpec("odd")
], functions)

describe("prompts", () => {
  it.effect("list their MCP fields", () =>
    Effect.gen(function* () {
      const listed = (yield* result("prompts/list", {}))["prompts"] as Array<{ name: string }>
      expect(listed.find((prompt) => prompt.name === "trip")).toEqual({
        name: "trip",
        title: "Trip",
        description: "The trip prompt",
        arguments: [{ name: "from", required: true }, { name: "to", required: true }, { name: "when", required: false }]
      })
    }).pipe(Effect.provide(engine)))

  it.effect("every missing required argument is named, and the function is not asked", () =>
    Effect.gen(function* () {
      asked.length = 0
      expect(yield* rpcError("prompts/get", { name: "trip" })).toEqual({
        code: ErrorCode.InvalidParams,
        message: "Missing required arguments: from, to"
      })
      expect(yield* rpcError("prompts/get", { name: "trip", arguments: { to: "Rome", when: "May" } })).toEqual({
        code: ErrorCode.InvalidParams,
        message: "Missing required arguments: from"
      })
      expect(asked).toEqual([])
    }).pipe(Effect.provide(engine)))

  it.effect("the function gets the arguments; its text is one user message", () =>
    Effect.gen(function* () {
      asked.length = 0
      expect(yield* result("prompts/get", { name: "trip", arguments: { from: "Oslo", to: "Rome" } })).toEqual({
        messages: [{ role: "user", content: { type: "text", text: "Plan a trip" } }]
      })
      expect(asked).toMatchObject([{ args: { from: "Oslo", to: "Rome" } }])
    }).pipe(Effect.provide(engine)))

  it.effect("a function that fails, or answers unusably, is -32603 naming the prompt", () =>
    Effect.gen(function* () {
      expect(yield* rpcError("prompts/get", { name: "throwing" })).toEqual({ code: ErrorCode.InternalError, message: "Prompt 'throwing' failed: boom" })
      const odd = yield* rpcError("prompts/get", { name: "odd" })
      expect(odd.code).toBe(ErrorCode.InternalError)
      expect(odd.message).toMatch(/^Prompt 'odd' answered unusably: invalid prompt result: messages\.0\.role: /)
    }).pipe(Effect.provide(engine)))
})
