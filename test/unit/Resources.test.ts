/**
 * `resources/*`: which registration serves a URI, what a template's function lists, how a
 * function's answer reads (a 404 is resource-not-found), and subscriptions, which need a session.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import type { SessionId } from "../../src/domain/Session.js"
import { McpEngine, type RequestContext } from "../../src/mcp/Engine.js"
import { Subscriptions } from "../../src/mcp/Subscriptions.js"
import { SessionStore } from "../../src/services/SessionStore.js"
import { context, engineWith, request, result, rpcError } from "../support/engine.js"
import { resourceSpec } from "../support/fixtures.js"

const readOf = (name: string) => async (event: unknown) => {
  const { action, uri, variables } = event as { action: string; uri: string; variables: Record<string, string> }
  if (action === "list") return { resources: [{ uri: `${name}://listed`, name: `${name} item` }] }
  return `${name} read ${uri} with ${JSON.stringify(variables)}`
}
const functions = {
  exact: readOf("exact"),
  first: readOf("first"),
  second: readOf("second"),
  typed: async (event: unknown) => {
    const { action } = event as { action: string }
    if (action === "list") return { resources: [{ uri: "typed://a", name: "A" }, { uri: "typed://b", name: "B", mimeType: "text/csv" }] }
    return "typed"
  },
  failingList: async () => {
    throw new Error("listing exploded")
  },
  missing: async () => ({ statusCode: 404, body: "no such note" }),
  broken: async () => ({ statusCode: 500, body: { error: "disk full" } }),
  invalid: async () => ({ contents: [{ uri: "i://1" }] }),
  throwing: async () => {
    throw new Error("boom")
  }
}
const engine = engineWith([
  resourceSpec("exact", { uri: "notes://special" }),
  resourceSpec("first", { uriTemplate: "notes://{id}" }),
  resourceSpec("second", { uriTemplate: "notes://{id}/{part}" }),
  resourceSpec("typed", { uriTemplate: "typed://{x}", mimeType: "text/plain" }),
  resourceSpec("failingList", { uriTemplate: "failing://{x}" }),
  resourceSpec("missing", { uri: "m://1" }),
  resourceSpec("broken", { uri: "b://1" }),
  resourceSpec("invalid", { uri: "i://1" }),
  resourceSpec("throwing", { uri: "t://1" })
], functions)

const textOf = (answer: Record<string, unknown>) => (answer["contents"] as Array<{ text: string }>)[0]!.text

describe("resources/read", () => {
  it.effect("an exact URI wins over a template; otherwise the first template that matches, with its variables", () =>
    Effect.gen(function* () {
      expect(textOf(yield* result("resources/read", { uri: "notes://special" }))).toBe("exact read notes://special with {}")
      expect(textOf(yield* result("resources/read", { uri: "notes://7" }))).toBe("first read notes://7 with {\"id\":\"7\"}")
      expect(textOf(yield* result("resources/read", { uri: "notes://7/intro" }))).toBe("second read notes://7/intro with {\"id\":\"7\",\"part\":\"intro\"}")
    }).pipe(Effect.provide(engine)))

  it.effect("a function's 404 is resource-not-found (-32602 under 2026-07-28); other failures are -32603 naming the resource", () =>
    Effect.gen(function* () {
      const notFound = { message: "Resource not found", data: { uri: "m://1" } }
      expect(yield* rpcError("resources/read", { uri: "m://1" })).toEqual({ code: ErrorCode.ResourceNotFound, ...notFound })
      expect(yield* rpcError("resources/read", { uri: "m://1" }, { protocolVersion: "2026-07-28" })).toEqual({ code: ErrorCode.InvalidParams, ...notFound })
      expect(yield* rpcError("resources/read", { uri: "b://1" })).toEqual({
        code: ErrorCode.InternalError,
        message: "Resource 'broken' answered unusably: status 500: disk full"
      })
      // Unusable contents are the server's problem, not a missing resource.
      expect(yield* rpcError("resources/read", { uri: "i://1" })).toEqual({
        code: ErrorCode.InternalError,
        message: "Resource 'invalid' answered unusably: invalid contents: contents.0.text: is missing; contents.0.blob: is missing"
      })
      expect(yield* rpcError("resources/read", { uri: "t://1" })).toEqual({ code: ErrorCode.InternalError, message: "Reading 't://1' failed: boom" })
    }).pipe(Effect.provide(engine)))

  it.effect("with no templates registered, an unknown URI is not found", () =>
    Effect.gen(function* () {
      expect(yield* rpcError("resources/read", { uri: "notes://7" })).toMatchObject({ code: ErrorCode.ResourceNotFound })
    }).pipe(Effect.provide(engineWith([resourceSpec("exact", { uri: "notes://special" })], functions))))
})

describe("resources/list", () => {
  it.effect("a template's function lists its resources, with the registration's MIME type unless an item has its own", () =>
    Effect.gen(function* () {
      const listed = (yield* result("resources/list", {}))["resources"] as Array<Record<string, unknown>>
      expect(listed.filter((item) => String(item["uri"]).startsWith("typed://"))).toEqual([
        { uri: "typed://a", name: "A", mimeType: "text/plain" },
        { uri: "typed://b", name: "B", mimeType: "text/csv" }
      ])
      expect(listed.find((item) => item["uri"] === "first://listed")).toEqual({ uri: "first://listed", name: "first item" })
    }).pipe(Effect.provide(engine)))

  it.effect("a function that fails to list lists nothing, and the client is told at warning level", () =>
    Effect.gen(function* () {
      const outcome = yield* (yield* McpEngine).handle({ ...context, logLevel: "warning" }, request("resources/list", {}))
      const listed = (outcome.responses[0] as unknown as { result: { resources: Array<{ uri: string }> } }).result.resources
      expect(listed.map((item) => item.uri)).toEqual(["b://1", "notes://special", "first://listed", "i://1", "m://1", "second://listed", "t://1", "typed://a", "typed://b"])
      expect(outcome.notifications).toEqual([{
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "warning", logger: "mcp-lambda-sam", data: "Listing resource 'failingList' failed: Error: listing exploded" }
      }])
    }).pipe(Effect.provide(engine)))
})

describe("resources/subscribe and unsubscribe", () => {
  const session = "session-resources-0123456789" as SessionId
  const inSession: RequestContext = { protocolVersion: "2025-11-25", sessionId: session }

  it.effect("need a session", () =>
    Effect.gen(function* () {
      for (const change of ["subscribe", "unsubscribe"]) {
        expect(yield* rpcError(`resources/${change}`, { uri: "notes://1" })).toEqual({
          code: ErrorCode.InvalidRequest,
          message: `resources/${change} needs a session`
        })
      }
    }).pipe(Effect.provide(engine)))

  it.effect("subscribe the session to the URI's updates, and unsubscribe it", () =>
    Effect.gen(function* () {
      yield* (yield* SessionStore).create({ id: session, principal: "alice", transport: "streamable-http", protocolVersion: "2025-11-25", initialized: true })
      const subscriptions = yield* Subscriptions
      expect(yield* result("resources/subscribe", { uri: "notes://1" }, inSession)).toEqual({})
      expect(yield* subscriptions.publish("notes://1")).toBe(1)
      expect(yield* result("resources/unsubscribe", { uri: "notes://1" }, inSession)).toEqual({})
      expect(yield* subscriptions.publish("notes://1")).toBe(0)
    }).pipe(Effect.provide(engine)))
})
