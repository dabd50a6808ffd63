/** The engine bounds the work of one request: batches capped and charged per item, URIs capped, templates linear. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { layerMemory as rateLimit } from "../../src/layers/MemoryRateLimiter.js"
import { McpEngine, type RequestContext } from "../../src/mcp/Engine.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import { FIXED } from "../../src/Settings.js"
import { engineWith, rpc } from "../support/engine.js"
import { resourceSpec, toolSpec } from "../support/fixtures.js"

const engine = engineWith(
  [resourceSpec("repo", { uriTemplate: "repo://{owner}-{name}", mimeType: "text/plain" }), toolSpec("echo")],
  {
    repo: async (event: unknown) => {
      const { uri, variables } = event as { uri: string; variables: { owner: string; name: string } }
      return { contents: [{ uri: uri.slice(0, 40), text: `${variables.owner.length}/${variables.name}` }] }
    },
    echo: async () => "ok"
  }
)

const batchContext: RequestContext = { protocolVersion: "2025-03-26", principal: "arn:aws:iam::123456789012:user/alice" }
const pings = (count: number) => Array.from({ length: count }, (_, id) => ({ jsonrpc: "2.0", id, method: "ping" }))

describe("bounded work", () => {
  it.effect("a batch over the cap is one -32600 naming the cap; nothing in it runs", () =>
    Effect.gen(function* () {
      const mcp = yield* McpEngine
      const outcome = yield* mcp.handle(batchContext, pings(10_000))
      expect(outcome.responses).toEqual([{
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: `Invalid Request: a batch holds at most ${FIXED.limits.maxBatchItems} messages (this one has 10000)` }
      }])
      const full = yield* mcp.handle(batchContext, pings(FIXED.limits.maxBatchItems))
      expect(full.responses).toHaveLength(FIXED.limits.maxBatchItems)
    }).pipe(Effect.provide(engine)))

  it.effect("every item after the first is charged to the caller's rate limit (the transport charged the first)", () =>
    Effect.gen(function* () {
      const mcp = yield* McpEngine
      const limiter = yield* RateLimiter
      // The HTTP API took one token for the request; the batch takes the rest of the minute's 5.
      yield* limiter.take(batchContext.principal!)
      const outcome = yield* mcp.handle(batchContext, pings(8))
      const refused = outcome.responses.filter((response) => "error" in response)
      expect(outcome.responses.filter((response) => "result" in response)).toHaveLength(5)
      expect(refused).toHaveLength(3)
      expect(refused[0]).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/^Too many requests/) } })
      // Another caller has its own count.
      const other = yield* mcp.handle({ ...batchContext, principal: "bob" }, pings(3))
      expect(other.responses.every((response) => "result" in response)).toBe(true)
    }).pipe(Effect.provide(Layer.merge(engine, rateLimit(5)))))

  it.effect("a URI over 8 KB is -32602 with the limit; one under it reads through the template", () =>
    Effect.gen(function* () {
      const long = yield* rpc("resources/read", { uri: `repo://${"a-".repeat(75_000)}b` })
      expect(long).toMatchObject({
        error: { code: -32602, message: expect.stringContaining(`must be at most ${FIXED.limits.maxUriLength} characters`) }
      })
      const started = performance.now()
      const read = yield* rpc("resources/read", { uri: `repo://${"a-".repeat(4_000)}b` })
      expect(performance.now() - started).toBeLessThan(1_000)
      expect(read).toMatchObject({ result: { contents: [{ text: "7999/b" }] } })
      const subscribe = yield* rpc("resources/subscribe", { uri: "x".repeat(FIXED.limits.maxUriLength + 1) }, {
        protocolVersion: "2025-03-26"
      })
      expect(subscribe).toMatchObject({ error: { code: -32602 } })
    }).pipe(Effect.provide(engine)))
})
