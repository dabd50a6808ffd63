/**
 * `completion/complete`: a registration's listed values by prefix (case-insensitive, at most
 * 100, with the full count), or its function's answer, and what goes wrong with either.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import { engineWith, result, rpcError } from "../support/engine.js"
import { promptSpec, resourceSpec } from "../support/fixtures.js"

const many = (count: number) => Array.from({ length: count }, (_, index) => `v${index}`)
const asked: Array<unknown> = []
let answer: unknown = { values: [] }
const functions = {
  byFunction: async (event: unknown) => {
    asked.push(event)
    if (answer instanceof Error) throw answer
    return answer
  }
}
const engine = engineWith([
  promptSpec("trip", {
    parameters: { city: "string", count: "string", hundred: "string", other: "string" },
    completions: { city: ["Paris", "paris-east", "Berlin"], count: many(150), hundred: many(100) }
  }),
  promptSpec("byFunction", { parameters: { city: "string" }, completions: "function" }),
  resourceSpec("doc", { uriTemplate: "docs://{lang}", completions: { lang: ["en", "fr"] } }),
  resourceSpec("readme", { uri: "docs://readme" })
], functions)

const complete = (ref: Record<string, unknown>, name: string, value: string, context?: Record<string, unknown>) =>
  Effect.map(result("completion/complete", { ref, argument: { name, value }, ...(context === undefined ? {} : { context }) }), (answer) => answer["completion"])
const trip = { type: "ref/prompt", name: "trip" }
const fn = { type: "ref/prompt", name: "byFunction" }

describe("listed completions", () => {
  it.effect("match the prefix in any case", () =>
    Effect.gen(function* () {
      expect(yield* complete(trip, "city", "PA")).toEqual({ values: ["Paris", "paris-east"], total: 2, hasMore: false })
      expect(yield* complete(trip, "other", "x")).toEqual({ values: [], total: 0, hasMore: false })
    }).pipe(Effect.provide(engine)))

  it.effect("are cut to 100, with the full count and whether there is more", () =>
    Effect.gen(function* () {
      const cut = yield* complete(trip, "count", "v")
      expect(cut.values).toEqual(many(100))
      expect(cut).toMatchObject({ total: 150, hasMore: true })
      expect(yield* complete(trip, "hundred", "")).toMatchObject({ total: 100, hasMore: false })
    }).pipe(Effect.provide(engine)))

  it.effect("a resource is named by its URI template or its URI", () =>
    Effect.gen(function* () {
      expect(yield* complete({ type: "ref/resource", uri: "docs://{lang}" }, "lang", "F")).toEqual({ values: ["fr"], total: 1, hasMore: false })
      expect(yield* complete({ type: "ref/resource", uri: "docs://readme" }, "lang", "")).toEqual({ values: [], total: 0, hasMore: false })
      expect(yield* rpcError("completion/complete", { ref: { type: "ref/resource", uri: "docs://other" }, argument: { name: "lang", value: "" } }))
        .toEqual({ code: ErrorCode.InvalidParams, message: "Unknown resource: docs://other" })
    }).pipe(Effect.provide(engine)))
})

describe("completions from a function", () => {
  it.effect("the function is asked with the argument and the other arguments so far", () =>
    Effect.gen(function* () {
      asked.length = 0
      answer = { values: ["Paris", "Parma"] }
      expect(yield* complete(fn, "city", "Par", { arguments: { country: "FR" } })).toEqual({ values: ["Paris", "Parma"], total: 2, hasMore: false })
      yield* complete(fn, "city", "X")
      expect(asked).toMatchObject([
        { action: "complete", argument: { name: "city", value: "Par" }, context: { arguments: { country: "FR" } } },
        { action: "complete", argument: { name: "city", value: "X" }, context: { arguments: {} } }
      ])
    }).pipe(Effect.provide(engine)))

  it.effect("its values are cut to 100; its own total and hasMore win", () =>
    Effect.gen(function* () {
      answer = { statusCode: 200, body: JSON.stringify({ values: many(101) }) }
      const cut = yield* complete(fn, "city", "")
      expect(cut.values).toHaveLength(100)
      expect(cut).toMatchObject({ total: 101, hasMore: true })
      answer = { values: many(100) }
      expect(yield* complete(fn, "city", "")).toMatchObject({ total: 100, hasMore: false })
      answer = { values: ["a"], total: 7, hasMore: true }
      expect(yield* complete(fn, "city", "")).toEqual({ values: ["a"], total: 7, hasMore: true })
    }).pipe(Effect.provide(engine)))

  it.effect("a failure, an error status or another shape is -32603 naming it", () =>
    Effect.gen(function* () {
      const failing = (value: unknown) => {
        answer = value
        return rpcError("completion/complete", { ref: fn, argument: { name: "city", value: "" } })
      }
      expect(yield* failing(new Error("boom"))).toEqual({ code: ErrorCode.InternalError, message: "Completing for 'byFunction' failed: boom" })
      expect(yield* failing({ statusCode: 400, body: "no" })).toEqual({
        code: ErrorCode.InternalError,
        message: "Completing for 'byFunction' failed (status 400)"
      })
      answer = { statusCode: 399, body: { values: ["ok"] } }
      expect(yield* complete(fn, "city", "")).toEqual({ values: ["ok"], total: 1, hasMore: false })
      expect(yield* failing({ suggestions: ["a"] })).toEqual({
        code: ErrorCode.InternalError,
        message: "Completing for 'byFunction' answered unusably: values: is missing"
      })
    }).pipe(Effect.provide(engine)))
})
