/**
 * Finding registrations for the list and call methods: pages of the catalog (where a page
 * ends, what the cursor resumes after) and names that match nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import { registrationId } from "../../src/domain/Registration.js"
import { Registry } from "../../src/services/Registry.js"
import { engineWith, result, rpcError } from "../support/engine.js"
import { promptSpec, toolSpec } from "../support/fixtures.js"

const prompts = (count: number) => Array.from({ length: count }, (_, index) => promptSpec(`p${index}`))
const names = (page: Record<string, unknown>) => (page["prompts"] as Array<{ name: string }>).map((prompt) => prompt.name)

describe("pages of a list", () => {
  it.effect("a last page that is exactly full has no next cursor", () =>
    Effect.gen(function* () {
      const page = yield* result("prompts/list", {})
      expect(names(page)).toEqual(["p0", "p1", "p2"])
      expect(page).not.toHaveProperty("nextCursor")
    }).pipe(Effect.provide(engineWith(prompts(3), {}, { pageSize: 3 }))))

  it.effect("one more makes a second page, and the cursor resumes after the last one listed", () =>
    Effect.gen(function* () {
      const first = yield* result("prompts/list", {})
      expect(names(first)).toEqual(["p0", "p1", "p2"])
      expect(first["nextCursor"]).toEqual(expect.any(String))
      const second = yield* result("prompts/list", { cursor: first["nextCursor"] })
      expect(names(second)).toEqual(["p3"])
      expect(second).not.toHaveProperty("nextCursor")
    }).pipe(Effect.provide(engineWith(prompts(4), {}, { pageSize: 3 }))))

  it.effect("a cursor still resumes after its registration when that one has been removed", () =>
    Effect.gen(function* () {
      const first = yield* result("prompts/list", {})
      yield* (yield* Registry).remove(registrationId("prompt", "p1"))
      const second = yield* result("prompts/list", { cursor: first["nextCursor"] })
      expect(names(second)).toEqual(["p2", "p3"])
    }).pipe(Effect.provide(engineWith(prompts(4), {}, { pageSize: 2 }))))

  it.effect("an empty list is an empty page", () =>
    Effect.gen(function* () {
      expect(yield* result("tools/list", {})).toEqual({ tools: [] })
    }).pipe(Effect.provide(engineWith([], {}))))
})

describe("a registration by name", () => {
  it.effect("is found only among its own kind", () =>
    Effect.gen(function* () {
      expect(yield* rpcError("prompts/get", { name: "twin" })).toEqual({ code: ErrorCode.InvalidParams, message: "Unknown prompt: twin" })
      expect(yield* rpcError("tools/call", { name: "p0" })).toEqual({ code: ErrorCode.InvalidParams, message: "Unknown tool: p0" })
    }).pipe(Effect.provide(engineWith([toolSpec("twin"), promptSpec("p0")], {}))))
})
