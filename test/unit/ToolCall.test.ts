/**
 * `tools/call` under 2026-07-28: arguments marked `x-mcp-header` must travel in their
 * `Mcp-Param-*` header too, and agree (-32020); a tool's required client capabilities must be
 * declared (-32021). Neither applies to the 2025 revisions. The function runs only when all hold.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import type { RequestContext } from "../../src/mcp/Engine.js"
import { context, engineWith, rpc } from "../support/engine.js"
import { toolSpec } from "../support/fixtures.js"

let calls = 0
const functions = {
  route: async () => {
    calls++
    return "routed"
  },
  sample: async () => {
    calls++
    return "sampled"
  }
}
const engine = engineWith([
  toolSpec("route", {
    inputSchema: {
      type: "object",
      properties: {
        region: { type: ["string", "null"], "x-mcp-header": "Region" },
        count: { type: "number", "x-mcp-header": "Count" },
        note: { type: "string" }
      }
    }
  }),
  toolSpec("sample", { requiredCapabilities: { sampling: {}, elicitation: {} } })
], functions)

const modern = (paramHeaders: Record<string, string> = {}, clientCapabilities: Record<string, unknown> = {}): RequestContext => ({
  protocolVersion: "2026-07-28",
  paramHeaders,
  clientCapabilities
})

/** Calls `name`; the text of its result, or its error. */
const call = (name: string, args: Record<string, unknown>, ctx: RequestContext) =>
  Effect.map(rpc("tools/call", { name, arguments: args }, ctx), (response) =>
    "result" in response ? { text: (response.result as { content: Array<{ text: string }> }).content[0]!.text } : { error: response.error })

const mismatch = (message: string) => ({ error: { code: ErrorCode.HeaderMismatch, message } })

describe("Mcp-Param headers (2026-07-28)", () => {
  it.effect("an argument marked x-mcp-header needs its header, well-formed and equal", () =>
    Effect.gen(function* () {
      calls = 0
      expect(yield* call("route", { region: "eu-west-1" }, modern())).toEqual(
        mismatch("Header mismatch: the Mcp-Param-Region header is required")
      )
      expect(yield* call("route", { region: "eu-west-1" }, modern({ "mcp-param-region": "=?base64?not base64?=" }))).toEqual(
        mismatch("Header mismatch: the Mcp-Param-Region header is malformed")
      )
      expect(yield* call("route", { region: "eu-west-1" }, modern({ "mcp-param-region": "us-east-1" }))).toEqual(
        mismatch("Header mismatch: Mcp-Param-Region does not match the argument 'region'")
      )
      expect(calls).toBe(0)
    }).pipe(Effect.provide(engine)))

  it.effect("a header that agrees lets the call through: trimmed, base64-encoded, or a number's text", () =>
    Effect.gen(function* () {
      calls = 0
      expect(yield* call("route", { region: "eu-west-1" }, modern({ "mcp-param-region": " \teu-west-1 " }))).toEqual({ text: "routed" })
      const encoded = `=?base64?${Buffer.from("zürich", "utf8").toString("base64")}?=`
      expect(yield* call("route", { region: "zürich" }, modern({ "mcp-param-region": encoded }))).toEqual({ text: "routed" })
      expect(yield* call("route", { count: 42 }, modern({ "mcp-param-count": "42.0" }))).toEqual({ text: "routed" })
      expect(yield* call("route", { count: 42 }, modern({ "mcp-param-count": "43" }))).toEqual(
        mismatch("Header mismatch: Mcp-Param-Count does not match the argument 'count'")
      )
      expect(calls).toBe(3)
    }).pipe(Effect.provide(engine)))

  it.effect("an absent or null argument needs no header; unmarked arguments none; the 2025 revisions never", () =>
    Effect.gen(function* () {
      calls = 0
      expect(yield* call("route", { note: "n" }, modern())).toEqual({ text: "routed" })
      expect(yield* call("route", { region: null, note: "n" }, modern())).toEqual({ text: "routed" })
      expect(yield* call("route", { region: "eu-west-1" }, context)).toEqual({ text: "routed" })
      expect(calls).toBe(3)
    }).pipe(Effect.provide(engine)))
})

describe("required client capabilities (2026-07-28)", () => {
  it.effect("a request that does not declare them all is refused with the missing ones, and the function is not called", () =>
    Effect.gen(function* () {
      calls = 0
      expect(yield* call("sample", {}, modern({}, { elicitation: {} }))).toEqual({
        error: {
          code: ErrorCode.MissingRequiredClientCapability,
          message: "Missing required client capability: sampling",
          data: { requiredCapabilities: { sampling: {} } }
        }
      })
      expect(calls).toBe(0)
      expect(yield* call("sample", {}, modern({}, { sampling: {}, elicitation: {} }))).toEqual({ text: "sampled" })
      // 2025 clients declare capabilities once, at initialize: the check is the 2026-07-28 request's.
      expect(yield* call("sample", {}, context)).toEqual({ text: "sampled" })
      expect(calls).toBe(2)
    }).pipe(Effect.provide(engine)))
})
