/**
 * JSON-RPC framing around the methods: batch limits and what each batch item costs the
 * caller, which era answers which method, the 2026-07-28 result envelope, what a function
 * learns of the request, and what the client's notifications and answers leave in the inbox.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import { StoreError } from "../../src/domain/errors.js"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import type { SessionId } from "../../src/domain/Session.js"
import { McpEngine, type RequestContext } from "../../src/mcp/Engine.js"
import { cancelKey, Inbox, replyKey } from "../../src/services/Inbox.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import { engineWith, request } from "../support/engine.js"
import { resourceSpec, toolSpec } from "../support/fixtures.js"

const v2025_03_26: RequestContext = { protocolVersion: "2025-03-26", principal: "alice" }
const modern: RequestContext = { protocolVersion: "2026-07-28" }
const session = "session-dispatch-0123456789" as SessionId
const inSession: RequestContext = { protocolVersion: "2025-11-25", sessionId: session }

const received: Array<{ extra: Record<string, unknown> }> = []
const functions = {
  echo: async (event: unknown) => {
    received.push(event as { extra: Record<string, unknown> })
    return "echoed"
  },
  tagged: async () => ({ content: [{ type: "text", text: "with meta" }], _meta: { "example.com/trace": "t-1" } }),
  notes: async () => "a note",
  asking: async () => ({
    resultType: "input_required",
    inputRequests: { confirm: { method: "elicitation/create", params: { message: "Sure?", requestedSchema: { type: "object", properties: {} } } } }
  }),
  forever: () => new Promise(() => {})
}
const engine = engineWith(
  [toolSpec("echo"), toolSpec("tagged"), toolSpec("forever"), resourceSpec("notes", { uri: "notes://1" }), resourceSpec("asking", { uri: "ask://1" })],
  functions,
  { listTtl: "30 seconds" }
)

const handle = (context: RequestContext, input: unknown) => Effect.flatMap(McpEngine, (engine) => engine.handle(context, input))
const ping = (id: number | string) => ({ jsonrpc: "2.0", id, method: "ping" })
const initialized = { jsonrpc: "2.0", method: "notifications/initialized" }

/** A rate limiter that allows `allowed` takes, counting every take. */
const limiter = (allowed: number, takes: { count: number }) =>
  Layer.succeed(RateLimiter, {
    take: () =>
      Effect.sync(() => {
        takes.count++
        return { allowed: takes.count <= allowed, retryAfterSeconds: 60, remaining: Math.max(0, allowed - takes.count) }
      })
  })

describe("batches (2025-03-26)", () => {
  it.effect("hold at least one and at most 100 messages", () =>
    Effect.gen(function* () {
      const full = yield* handle(v2025_03_26, Array.from({ length: 100 }, (_, index) => ping(index)))
      expect(full.responses).toHaveLength(100)
      expect(full.requests).toBe(100)
      const over = yield* handle(v2025_03_26, Array.from({ length: 101 }, (_, index) => ping(index)))
      expect(over.responses).toEqual([{
        jsonrpc: "2.0",
        id: null,
        error: { code: ErrorCode.InvalidRequest, message: "Invalid Request: a batch holds at most 100 messages (this one has 101)" }
      }])
      expect(over.batch).toBe(false)
      const empty = yield* handle(v2025_03_26, [])
      expect(empty.responses).toEqual([{ jsonrpc: "2.0", id: null, error: { code: ErrorCode.InvalidRequest, message: "Invalid Request: empty batch" } }])
    }).pipe(Effect.provide(engine)))

  it.effect("count their requests (not notifications, not answers)", () =>
    Effect.gen(function* () {
      const outcome = yield* handle(v2025_03_26, [ping("a"), initialized, { jsonrpc: "2.0", id: "srv-1", result: {} }, ping("b")])
      expect(outcome.requests).toBe(2)
      expect(outcome.responses.map((response) => response.id)).toEqual(["a", "b"])
    }).pipe(Effect.provide(engine)))

  it.effect("each item after the first costs the caller a request of the rate limit", () => {
    const takes = { count: 0 }
    return Effect.gen(function* () {
      const outcome = yield* handle(v2025_03_26, [ping(1), ping(2), ping(3)])
      expect(outcome.responses).toHaveLength(3)
      expect(takes.count).toBe(2)
    }).pipe(Effect.provide(engine), Effect.provide(limiter(10, takes)))
  })

  it.effect("past the limit, requests are answered -32600 and notifications dropped; the first item goes through", () => {
    const takes = { count: 0 }
    return Effect.gen(function* () {
      const outcome = yield* handle(v2025_03_26, [ping("first"), initialized, ping("second")])
      expect(outcome.responses).toEqual([
        { jsonrpc: "2.0", id: "first", result: {} },
        {
          jsonrpc: "2.0",
          id: "second",
          error: { code: ErrorCode.InvalidRequest, message: "Too many requests: the per-minute limit for this caller is reached" }
        }
      ])
      expect(outcome.changes).toEqual({})
    }).pipe(Effect.provide(engine), Effect.provide(limiter(0, takes)))
  })

  it.effect("an anonymous caller is not counted, and a limiter that fails allows the item", () => {
    const takes = { count: 0 }
    const failing = Layer.succeed(RateLimiter, {
      take: () => Effect.fail(new StoreError({ operation: "take", cause: new Error("table gone") }))
    })
    return Effect.gen(function* () {
      const anonymous = yield* handle({ protocolVersion: "2025-03-26" }, [ping(1), ping(2)]).pipe(Effect.provide(limiter(0, takes)))
      expect(anonymous.responses.map((response) => "result" in response)).toEqual([true, true])
      expect(takes.count).toBe(0)
      const unlimited = yield* handle(v2025_03_26, [ping(1), ping(2)]).pipe(Effect.provide(failing))
      expect(unlimited.responses.map((response) => "result" in response)).toEqual([true, true])
    }).pipe(Effect.provide(engine))
  })
})

describe("batch items run side by side", () => {
  it.effect("so a cancellation in the same batch stops a call before it", () =>
    Effect.gen(function* () {
      const outcome = yield* handle({ ...v2025_03_26, sessionId: session }, [
        { jsonrpc: "2.0", id: "long", method: "tools/call", params: { name: "forever", arguments: {} } },
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "long" } },
        ping("short")
      ])
      expect(outcome.responses).toEqual([{ jsonrpc: "2.0", id: "short", result: {} }])
    }).pipe(Effect.provide(engine)))
})

describe("eras", () => {
  it.effect("a method of the other era is not found", () =>
    Effect.gen(function* () {
      const legacyUnderModern = yield* handle(modern, request("ping"))
      expect(legacyUnderModern.responses[0]).toMatchObject({ error: { code: ErrorCode.MethodNotFound, message: "Method not found: ping" } })
      const modernUnderLegacy = yield* handle(inSession, request("server/discover"))
      expect(modernUnderLegacy.responses[0]).toMatchObject({
        error: { code: ErrorCode.MethodNotFound, message: "Method not found: server/discover" }
      })
      const both = yield* handle(modern, request("tools/list"))
      expect(both.responses[0]).toHaveProperty("result")
    }).pipe(Effect.provide(engine)))
})

describe("2026-07-28 results", () => {
  const serverInfo = { "io.modelcontextprotocol/serverInfo": { name: "mcp-lambda-sam", version: expect.any(String) } }
  const resultOf = (input: unknown) =>
    Effect.map(handle(modern, input), (outcome) => (outcome.responses[0] as { result: Record<string, unknown> }).result)

  it.effect("lists are complete, public and cacheable for the list TTL, and name the server", () =>
    Effect.gen(function* () {
      const listed = yield* resultOf(request("tools/list"))
      expect(listed).toMatchObject({ resultType: "complete", ttlMs: 30_000, cacheScope: "public", _meta: serverInfo })
    }).pipe(Effect.provide(engine)))

  it.effect("a read is private and not kept; a call carries no caching hints and keeps the function's _meta", () =>
    Effect.gen(function* () {
      const read = yield* resultOf(request("resources/read", { uri: "notes://1" }))
      expect(read).toEqual({
        contents: [{ uri: "notes://1", text: "a note" }],
        resultType: "complete",
        ttlMs: 0,
        cacheScope: "private",
        _meta: serverInfo
      })
      const called = yield* resultOf(request("tools/call", { name: "tagged", arguments: {} }))
      expect(called).toEqual({
        content: [{ type: "text", text: "with meta" }],
        resultType: "complete",
        _meta: { "example.com/trace": "t-1", ...serverInfo }
      })
    }).pipe(Effect.provide(engine)))
})

describe("2026-07-28 results (cont.)", () => {
  it.effect("an input-required answer keeps its resultType and carries no caching hints, even for a read", () =>
    Effect.gen(function* () {
      const outcome = yield* handle(
        { ...modern, clientCapabilities: { elicitation: {} } },
        request("resources/read", { uri: "ask://1" })
      )
      const result = (outcome.responses[0] as unknown as { result: Record<string, unknown> }).result
      expect(result["resultType"]).toBe("input_required")
      expect(result).not.toHaveProperty("ttlMs")
      expect(result).not.toHaveProperty("cacheScope")
    }).pipe(Effect.provide(engine)))
})

describe("what a function learns of the request", () => {
  it.effect("a string or number progress token and the request's _meta; a token of another type is dropped", () =>
    Effect.gen(function* () {
      received.length = 0
      yield* handle(inSession, request("tools/call", { name: "echo", arguments: {}, _meta: { progressToken: 7 } }))
      yield* handle(inSession, request("tools/call", { name: "echo", arguments: {}, _meta: { progressToken: { no: 1 }, note: "n" } }))
      yield* handle(inSession, request("tools/call", { name: "echo", arguments: {} }))
      expect(received.map((event) => [event.extra["progressToken"], event.extra["_meta"]])).toEqual([
        [7, { progressToken: 7 }],
        [undefined, { progressToken: { no: 1 }, note: "n" }],
        [undefined, undefined]
      ])
    }).pipe(Effect.provide(engine)))
})

describe("the client's notifications and answers", () => {
  it.effect("a cancellation of a request running elsewhere is left in the inbox; a malformed one is not", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const cancelled = yield* handle(inSession, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "r-9" } })
      expect(cancelled.responses).toEqual([])
      yield* handle(inSession, { jsonrpc: "2.0", method: "notifications/cancelled", params: { reason: "no id" } })
      yield* handle({ protocolVersion: "2025-11-25" }, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "r-8" } })
      const kept = yield* inbox.read(session, [cancelKey("r-9"), cancelKey("r-8")])
      expect([...kept.keys()]).toEqual([cancelKey("r-9")])
    }).pipe(Effect.provide(engine)))

  it.effect("a cancellation found in the inbox stops the call and is then removed", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const call = request("tools/call", { name: "forever", arguments: {} })
      const running = yield* Effect.fork(handle(inSession, call))
      yield* inbox.put(session, cancelKey(call.id), true)
      yield* TestClock.adjust(Duration.seconds(3))
      expect((yield* Fiber.join(running)).responses).toEqual([])
      expect((yield* inbox.read(session, [cancelKey(call.id)])).size).toBe(0)
    }).pipe(Effect.provide(engine)))

  it.effect("a cancellation of a request running here stops it; a second request with its id is answered", () =>
    Effect.gen(function* () {
      const call = request("tools/call", { name: "forever", arguments: {} })
      const running = yield* Effect.fork(handle(inSession, call))
      yield* TestClock.adjust(Duration.millis(10))
      // The same id again while the first is in flight: answered, though nothing could cancel it.
      const twin = yield* handle(inSession, { ...call, method: "ping", params: {} })
      expect(twin.responses).toEqual([{ jsonrpc: "2.0", id: call.id, result: {} }])
      yield* handle(inSession, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: call.id } })
      expect((yield* Fiber.join(running)).responses).toEqual([])
      // Stopped here: nothing was left for another container.
      expect((yield* (yield* Inbox).read(session, [cancelKey(call.id)])).size).toBe(0)
    }).pipe(Effect.provide(engine)))

  it.effect("a cancellation names its request by id and id type: 1 and \"1\" are two requests", () =>
    Effect.gen(function* () {
      const call = (id: number | string) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "forever", arguments: {} } })
      const numbered = yield* Effect.fork(handle(inSession, call(1)))
      const named = yield* Effect.fork(handle(inSession, call("1")))
      yield* TestClock.adjust(Duration.millis(10))
      yield* handle(inSession, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "1" } })
      expect((yield* Fiber.join(named)).responses).toEqual([])
      // The numbered call still runs: nothing ended it.
      expect(yield* Fiber.poll(numbered)).toEqual(Option.none())
      yield* Fiber.interrupt(numbered)
    }).pipe(Effect.provide(engine)))

  it.effect("an answer to one of the server's requests is kept for the waiting call; any other answer is not", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const answer = { jsonrpc: "2.0", id: "srv-42", result: { roots: [] } }
      expect((yield* handle(inSession, answer)).responses).toEqual([])
      yield* handle(inSession, { jsonrpc: "2.0", id: "client-7", result: {} })
      yield* handle(inSession, { jsonrpc: "2.0", id: 7, result: {} })
      yield* handle({ protocolVersion: "2025-11-25" }, { jsonrpc: "2.0", id: "srv-43", result: {} })
      const kept = yield* inbox.read(session, [replyKey("srv-42"), replyKey("client-7"), replyKey(7), replyKey("srv-43")])
      expect([...kept.entries()]).toEqual([[replyKey("srv-42"), answer]])
    }).pipe(Effect.provide(engine)))
})

describe("JSON text", () => {
  it.effect("is parsed, then handled as a message", () =>
    Effect.gen(function* () {
      const outcome = yield* (yield* McpEngine).handleText(inSession, JSON.stringify(ping("p")))
      expect(outcome.responses).toEqual([{ jsonrpc: "2.0", id: "p", result: {} }])
    }).pipe(Effect.provide(engine)))
})
