import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock, Duration } from "effect"
import { StoreError } from "../../src/domain/errors.js"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import { LATEST_PROTOCOL_VERSION } from "../../src/domain/Mcp.js"
import type { SessionId } from "../../src/domain/Session.js"
import { layerLocal } from "../../src/layers/LocalFunctionInvoker.js"
import { engine as engineLayer } from "../../src/hosts/Core.js"
import { McpEngine, type RequestContext } from "../../src/mcp/Engine.js"
import { Registry } from "../../src/services/Registry.js"
import { context, engineWith, request, result, rpc, rpcError, sessionStores } from "../support/engine.js"
import { promptSpec, resourceSpec, toolSpec } from "../support/fixtures.js"

const received: Array<unknown> = []
/** Called when the never-ending "slow" function starts, so a test can cancel it without sleeping. */
const slowStarted = new Set<() => void>()
const whenSlowStarts = () => Effect.async<void>((resume) => {
  const notify = () => {
    slowStarted.delete(notify)
    resume(Effect.void)
  }
  slowStarted.add(notify)
})

const functions = {
  // The original contract: { statusCode, body: JSON text of an MCP result }.
  weather: async (event: unknown) => {
    received.push(event)
    const { args } = event as { args: { city: string } }
    return { statusCode: 200, body: JSON.stringify({ content: [{ type: "text", text: `Sunny in ${args.city}` }] }) }
  },
  bare: async () => ({ content: [{ type: "text", text: "bare result" }], isError: false }),
  plain: async () => ({ mean: 2.5, count: 4 }),
  words: async () => "just text",
  stats: async (event: unknown) => {
    const { args } = event as { args: { values: Array<number> } }
    const sum = args.values.reduce((a, b) => a + b, 0)
    return { mean: sum / args.values.length, count: args.values.length }
  },
  liar: async () => ({ mean: "not a number" }),
  broken: async () => {
    throw new Error("database unreachable")
  },
  status500: async () => ({ statusCode: 500, body: JSON.stringify({ error: "upstream said no" }) }),
  malformed: async () => ({ content: [{ type: "text" }] }),
  slow: () => {
    slowStarted.forEach((notify) => notify())
    return new Promise(() => {})
  },
  notes: async (event: unknown) => {
    const { action, uri, variables } = event as { action: string; uri: string; variables: { id?: string } }
    if (action === "list") {
      return { resources: [{ uri: "notes://1", name: "Note 1" }, { uri: "notes://2", name: "Note 2" }] }
    }
    return { statusCode: 200, body: JSON.stringify({ contents: [{ uri, text: `Note number ${variables.id}` }] }) }
  },
  readme: async () => "# Read me",
  greet: async (event: unknown) => {
    const { args } = event as { args: { name: string; tone?: string } }
    return {
      description: "A greeting",
      messages: [{ role: "user", content: { type: "text", text: `Greet ${args.name} (${args.tone ?? "warm"})` } }]
    }
  }
}

const specs = [
  toolSpec("weather", { title: "Weather", parameters: { city: "string", days: { type: "integer", optional: true } } }),
  toolSpec("bare"),
  toolSpec("plain"),
  toolSpec("words"),
  toolSpec("stats", {
    parameters: { values: { type: "array", items: "number" } },
    outputSchema: {
      type: "object",
      properties: { mean: { type: "number" }, count: { type: "integer" } },
      required: ["mean", "count"]
    },
    annotations: { readOnlyHint: true }
  }),
  toolSpec("liar", { outputSchema: { type: "object", properties: { mean: { type: "number" } } } }),
  toolSpec("broken"),
  toolSpec("status500"),
  toolSpec("malformed"),
  toolSpec("slow"),
  toolSpec("nofunction"),
  resourceSpec("notes", { uriTemplate: "notes://{id}", mimeType: "text/plain", completions: { id: ["1", "2", "10"] } }),
  resourceSpec("readme", { uri: "file:///README.md", mimeType: "text/markdown" }),
  promptSpec("greet", {
    parameters: { name: "string", tone: { type: "string", optional: true } },
    completions: { tone: ["warm", "formal", "funny"] }
  })
]

const sessionContext: RequestContext = {
  protocolVersion: LATEST_PROTOCOL_VERSION,
  sessionId: "session-0123456789abcdef" as SessionId,
  principal: "arn:aws:iam::123456789012:user/alice"
}

layer(engineWith(specs, functions, { pageSize: 4, instructions: "Use the tools." }))("McpEngine", (it) => {
  describe("initialize", () => {
    it.effect("answers with the client's version when supported", () =>
      Effect.gen(function* () {
        for (const version of ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]) {
          const engine = yield* McpEngine
          const outcome = yield* engine.handle(context, request("initialize", {
            protocolVersion: version,
            capabilities: { sampling: {} },
            clientInfo: { name: "test", version: "1.0.0" }
          }))
          const response = outcome.responses[0] as { result: Record<string, unknown> }
          expect(response.result["protocolVersion"]).toBe(version)
          expect(outcome.changes).toEqual({
            protocolVersion: version,
            clientInfo: { name: "test", version: "1.0.0" },
            clientCapabilities: { sampling: {} }
          })
        }
      }))

    it.effect("answers with the latest version otherwise, with capabilities and server info", () =>
      Effect.gen(function* () {
        const answer = yield* result("initialize", {
          protocolVersion: "1999-01-01",
          capabilities: {},
          clientInfo: { name: "old", version: "0" }
        })
        expect(answer).toEqual({
          protocolVersion: "2025-11-25",
          capabilities: {
            tools: { listChanged: true },
            resources: { listChanged: true, subscribe: true },
            prompts: { listChanged: true },
            logging: {},
            completions: {}
          },
          serverInfo: { name: "mcp-lambda-sam", version: expect.any(String) },
          instructions: "Use the tools."
        })
      }))

    it.effect("2024-11-05 has no completions capability", () =>
      Effect.gen(function* () {
        const answer = yield* result("initialize", {
          protocolVersion: "2024-11-05",
          capabilities: {},
          clientInfo: { name: "old", version: "0" }
        })
        expect(answer["capabilities"]).not.toHaveProperty("completions")
      }))

    it.effect("invalid params are -32602", () =>
      Effect.gen(function* () {
        const error = yield* rpcError("initialize", { protocolVersion: "2025-11-25" })
        expect(error.code).toBe(ErrorCode.InvalidParams)
        expect(error.message).toMatch(/capabilities/)
        expect(error.message).toMatch(/clientInfo/)
      }))

    it.effect("notifications/initialized marks the session, with no response", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const outcome = yield* engine.handle(context, { jsonrpc: "2.0", method: "notifications/initialized" })
        expect(outcome.responses).toEqual([])
        expect(outcome.changes).toEqual({ initialized: true })
      }))
  })

  describe("JSON-RPC errors", () => {
    it.effect("ping answers an empty result", () =>
      Effect.gen(function* () {
        expect(yield* result("ping")).toEqual({})
      }))

    it.effect("an unknown method is -32601", () =>
      Effect.gen(function* () {
        const error = yield* rpcError("tools/destroy")
        expect(error).toEqual({ code: ErrorCode.MethodNotFound, message: "Method not found: tools/destroy" })
        // Object.prototype names are not methods either.
        expect((yield* rpcError("constructor")).code).toBe(ErrorCode.MethodNotFound)
      }))

    it.effect("text that is not JSON is -32700 with a null id", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const outcome = yield* engine.handleText(context, "{\"jsonrpc\": \"2.0\", ")
        expect(outcome.responses).toEqual([{ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }])
      }))

    it.effect("a message that is not JSON-RPC is -32600, keeping its id when it has one", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const wrongVersion = yield* engine.handle(context, { jsonrpc: "1.0", id: 7, method: "ping" })
        expect(wrongVersion.responses).toEqual([
          { jsonrpc: "2.0", id: 7, error: { code: -32600, message: "Invalid Request" } }
        ])
        const nullId = yield* engine.handle(context, { jsonrpc: "2.0", id: null, method: "ping" })
        expect(nullId.responses[0]).toMatchObject({ id: null, error: { code: -32600 } })
        const scalar = yield* engine.handle(context, 42)
        expect(scalar.responses[0]).toMatchObject({ id: null, error: { code: -32600 } })
      }))

    it.effect("responses from the client need no answer", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const outcome = yield* engine.handle(context, { jsonrpc: "2.0", id: 3, result: {} })
        expect(outcome.responses).toEqual([])
      }))
  })

  describe("batches", () => {
    const v2025_03_26: RequestContext = { protocolVersion: "2025-03-26" }

    it.effect("are answered per JSON-RPC under 2025-03-26", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const outcome = yield* engine.handle(v2025_03_26, [
          { jsonrpc: "2.0", id: "a", method: "ping" },
          { jsonrpc: "2.0", method: "notifications/initialized" },
          { jsonrpc: "2.0", id: "b", method: "nope" },
          { bad: true }
        ])
        expect(outcome.batch).toBe(true)
        expect(outcome.responses).toEqual([
          { jsonrpc: "2.0", id: "a", result: {} },
          { jsonrpc: "2.0", id: "b", error: { code: -32601, message: "Method not found: nope" } },
          { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request" } }
        ])
        expect(outcome.changes).toEqual({ initialized: true })
      }))

    it.effect("of notifications only get no response; an empty batch is -32600", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const quiet = yield* engine.handle(v2025_03_26, [{ jsonrpc: "2.0", method: "notifications/initialized" }])
        expect(quiet.responses).toEqual([])
        const empty = yield* engine.handle(v2025_03_26, [])
        expect(empty.responses).toEqual([{ jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.any(String) } }])
      }))

    it.effect("are -32600 under other versions", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        for (const protocolVersion of ["2025-11-25", "2025-06-18", "2024-11-05"] as const) {
          const outcome = yield* engine.handle({ protocolVersion }, [{ jsonrpc: "2.0", id: 1, method: "ping" }])
          expect(outcome.responses).toEqual([
            { jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.stringMatching(/2025-03-26/) } }
          ])
        }
      }))
  })

  describe("tools", () => {
    it.effect("list across pages with opaque cursors", () =>
      Effect.gen(function* () {
        const names: Array<string> = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = yield* result("tools/list", cursor === undefined ? {} : { cursor })
          expect(page["tools"].length).toBeLessThanOrEqual(4)
          names.push(...page["tools"].map((tool: { name: string }) => tool.name))
          cursor = page["nextCursor"]
          pages++
        } while (cursor !== undefined)
        expect(pages).toBe(3)
        expect(names).toEqual([
          "bare",
          "broken",
          "liar",
          "malformed",
          "nofunction",
          "plain",
          "slow",
          "stats",
          "status500",
          "weather",
          "words"
        ])
      }))

    it.effect("list the MCP fields of each tool", () =>
      Effect.gen(function* () {
        const tools: Array<{ name: string }> = []
        let cursor: string | undefined
        do {
          const page = yield* result("tools/list", cursor === undefined ? {} : { cursor })
          tools.push(...page["tools"])
          cursor = page["nextCursor"]
        } while (cursor !== undefined)
        const stats = tools.find((tool) => tool.name === "stats")
        expect(stats).toEqual({
          name: "stats",
          description: "The stats tool",
          inputSchema: {
            type: "object",
            properties: { values: { type: "array", items: { type: "number" } } },
            required: ["values"]
          },
          outputSchema: {
            type: "object",
            properties: { mean: { type: "number" }, count: { type: "integer" } },
            required: ["mean", "count"]
          },
          annotations: { readOnlyHint: true }
        })
      }))

    it.effect("an invalid cursor is -32602", () =>
      Effect.gen(function* () {
        const error = yield* rpcError("tools/list", { cursor: "garbage" })
        expect(error).toEqual({ code: ErrorCode.InvalidParams, message: "Invalid cursor" })
        const page = yield* result("prompts/list", {})
        expect(page["nextCursor"]).toBeUndefined()
        const resources = yield* result("resources/templates/list", {})
        expect(resources).toHaveProperty("resourceTemplates")
      }))

    it.effect("call a function on the original {statusCode, body} contract with {args, extra}", () =>
      Effect.gen(function* () {
        received.length = 0
        const response = yield* rpc("tools/call", { name: "weather", arguments: { city: "Paris" } }, sessionContext)
        expect(response).toMatchObject({ result: { content: [{ type: "text", text: "Sunny in Paris" }] } })
        expect(received).toEqual([{
          args: { city: "Paris" },
          extra: {
            requestId: (response as { id: number }).id,
            protocolVersion: LATEST_PROTOCOL_VERSION,
            sessionId: "session-0123456789abcdef",
            principal: "arn:aws:iam::123456789012:user/alice"
          }
        }])
      }))

    it.effect("accept a bare CallToolResult, plain JSON and text", () =>
      Effect.gen(function* () {
        expect(yield* result("tools/call", { name: "bare" })).toEqual({
          content: [{ type: "text", text: "bare result" }],
          isError: false
        })
        expect(yield* result("tools/call", { name: "plain" })).toEqual({
          content: [{ type: "text", text: "{\"mean\":2.5,\"count\":4}" }],
          structuredContent: { mean: 2.5, count: 4 }
        })
        expect(yield* result("tools/call", { name: "words" })).toEqual({ content: [{ type: "text", text: "just text" }] })
      }))

    it.effect("validate structured content against the outputSchema", () =>
      Effect.gen(function* () {
        expect(yield* result("tools/call", { name: "stats", arguments: { values: [1, 2, 3, 4] } })).toEqual({
          content: [{ type: "text", text: "{\"mean\":2.5,\"count\":4}" }],
          structuredContent: { mean: 2.5, count: 4 }
        })
        const liar = yield* result("tools/call", { name: "liar" })
        expect(liar["isError"]).toBe(true)
        expect(liar["content"][0].text).toMatch(/does not match its outputSchema: mean: must be number/)
      }))

    it.effect("invalid arguments are a tool error naming each problem, and the function is not called", () =>
      Effect.gen(function* () {
        received.length = 0
        const answer = yield* result("tools/call", { name: "weather", arguments: { days: "three" } })
        expect(answer["isError"]).toBe(true)
        expect(answer["content"][0].text).toBe("Invalid arguments for tool 'weather': city: is required; days: must be integer")
        expect(received).toEqual([])
      }))

    it.effect("a call without `arguments` is validated too: a required parameter is named, the function is not called", () =>
      Effect.gen(function* () {
        received.length = 0
        const answer = yield* result("tools/call", { name: "weather" })
        expect(answer["isError"]).toBe(true)
        expect(answer["content"][0].text).toBe("Invalid arguments for tool 'weather': city: is required")
        expect(received).toEqual([])
      }))

    it.effect("function failures are tool errors with a readable message", () =>
      Effect.gen(function* () {
        const cases: Array<[string, RegExp]> = [
          ["broken", /^Tool 'broken' failed: database unreachable$/],
          ["status500", /^Tool 'status500' failed \(status 500\): upstream said no$/],
          ["malformed", /^Tool 'malformed' returned an invalid result: content\.0/],
          ["nofunction", /^Tool 'nofunction' is unavailable: its function was not found \(correlation id [0-9a-f-]{36}\)$/]
        ]
        for (const [name, message] of cases) {
          const answer = yield* result("tools/call", { name })
          expect(answer["isError"]).toBe(true)
          expect(answer["content"]).toHaveLength(1)
          expect(answer["content"][0].text).toMatch(message)
        }
      }))

    it.effect("an unknown tool is -32602", () =>
      Effect.gen(function* () {
        expect(yield* rpcError("tools/call", { name: "teleport" })).toEqual({
          code: ErrorCode.InvalidParams,
          message: "Unknown tool: teleport"
        })
        expect((yield* rpcError("tools/call", { arguments: {} })).code).toBe(ErrorCode.InvalidParams)
      }))

    it.effect("a cancelled call gets no response and its invocation stops", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const call = request("tools/call", { name: "slow" })
        const started = yield* Effect.fork(whenSlowStarts())
        const fiber = yield* Effect.fork(engine.handle(sessionContext, call))
        yield* Fiber.join(started)
        const cancelled = yield* engine.handle(sessionContext, {
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: call.id, reason: "user pressed stop" }
        })
        expect(cancelled.responses).toEqual([])
        const outcome = yield* Fiber.join(fiber)
        expect(outcome.responses).toEqual([])
      }))
  })

  describe("resources", () => {
    it.effect("list static resources and those a template's function lists", () =>
      Effect.gen(function* () {
        const answer = yield* result("resources/list", {})
        expect(answer["resources"]).toEqual([
          { uri: "notes://1", name: "Note 1", mimeType: "text/plain" },
          { uri: "notes://2", name: "Note 2", mimeType: "text/plain" },
          { uri: "file:///README.md", name: "readme", description: "The readme resource", mimeType: "text/markdown" }
        ])
      }))

    it.effect("list templates", () =>
      Effect.gen(function* () {
        const answer = yield* result("resources/templates/list", {})
        expect(answer["resourceTemplates"]).toEqual([
          { uriTemplate: "notes://{id}", name: "notes", description: "The notes resource", mimeType: "text/plain" }
        ])
      }))

    it.effect("read an exact uri, and a uri matching a template with its variables", () =>
      Effect.gen(function* () {
        expect(yield* result("resources/read", { uri: "file:///README.md" })).toEqual({
          contents: [{ uri: "file:///README.md", mimeType: "text/markdown", text: "# Read me" }]
        })
        expect(yield* result("resources/read", { uri: "notes://42" })).toEqual({
          contents: [{ uri: "notes://42", text: "Note number 42" }]
        })
      }))

    it.effect("a uri nothing matches is -32002", () =>
      Effect.gen(function* () {
        expect(yield* rpcError("resources/read", { uri: "file:///missing" })).toEqual({
          code: ErrorCode.ResourceNotFound,
          message: "Resource not found",
          data: { uri: "file:///missing" }
        })
      }))
  })

  describe("prompts", () => {
    it.effect("list with their arguments", () =>
      Effect.gen(function* () {
        expect((yield* result("prompts/list", {}))["prompts"]).toEqual([{
          name: "greet",
          description: "The greet prompt",
          arguments: [{ name: "name", required: true }, { name: "tone", required: false }]
        }])
      }))

    it.effect("get with arguments", () =>
      Effect.gen(function* () {
        expect(yield* result("prompts/get", { name: "greet", arguments: { name: "Ada", tone: "formal" } })).toEqual({
          description: "A greeting",
          messages: [{ role: "user", content: { type: "text", text: "Greet Ada (formal)" } }]
        })
      }))

    it.effect("a missing required argument or an unknown prompt is -32602", () =>
      Effect.gen(function* () {
        expect(yield* rpcError("prompts/get", { name: "greet", arguments: { tone: "warm" } })).toEqual({
          code: ErrorCode.InvalidParams,
          message: "Missing required arguments: name"
        })
        expect(yield* rpcError("prompts/get", { name: "nope" })).toEqual({
          code: ErrorCode.InvalidParams,
          message: "Unknown prompt: nope"
        })
      }))
  })

  describe("completion and logging", () => {
    it.effect("complete prompt arguments and template variables by prefix", () =>
      Effect.gen(function* () {
        expect(yield* result("completion/complete", {
          ref: { type: "ref/prompt", name: "greet" },
          argument: { name: "tone", value: "F" }
        })).toEqual({ completion: { values: ["formal", "funny"], total: 2, hasMore: false } })
        expect(yield* result("completion/complete", {
          ref: { type: "ref/resource", uri: "notes://{id}" },
          argument: { name: "id", value: "1" }
        })).toEqual({ completion: { values: ["1", "10"], total: 2, hasMore: false } })
        expect(yield* result("completion/complete", {
          ref: { type: "ref/prompt", name: "greet" },
          argument: { name: "name", value: "" }
        })).toEqual({ completion: { values: [], total: 0, hasMore: false } })
      }))

    it.effect("an unknown reference is -32602", () =>
      Effect.gen(function* () {
        const unknownPrompt = yield* rpcError("completion/complete", {
          ref: { type: "ref/prompt", name: "nope" },
          argument: { name: "a", value: "" }
        })
        expect(unknownPrompt.code).toBe(ErrorCode.InvalidParams)
        const unknownResource = yield* rpcError("completion/complete", {
          ref: { type: "ref/resource", uri: "x://{y}" },
          argument: { name: "y", value: "" }
        })
        expect(unknownResource.code).toBe(ErrorCode.InvalidParams)
      }))

    it.effect("logging/setLevel sets the session's level; an unknown level is -32602", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const outcome = yield* engine.handle(context, request("logging/setLevel", { level: "warning" }))
        expect(outcome.responses[0]).toMatchObject({ result: {} })
        expect(outcome.changes).toEqual({ logLevel: "warning" })
        expect((yield* rpcError("logging/setLevel", { level: "loud" })).code).toBe(ErrorCode.InvalidParams)
      }))

    it.effect("log messages at or above the session's level come before the response", () =>
      Effect.gen(function* () {
        const engine = yield* McpEngine
        const atError = yield* engine.handle({ ...context, logLevel: "error" }, request("tools/call", { name: "broken" }))
        expect(atError.notifications).toEqual([{
          jsonrpc: "2.0",
          method: "notifications/message",
          params: { level: "error", logger: "mcp-lambda-sam", data: "Tool 'broken' failed: database unreachable" }
        }])
        const atDebug = yield* engine.handle({ ...context, logLevel: "debug" }, request("tools/call", { name: "words" }))
        expect(atDebug.notifications.map((n) => n.params?.["level"])).toEqual(["debug"])
        const unset = yield* engine.handle(context, request("tools/call", { name: "broken" }))
        expect(unset.notifications).toEqual([])
      }))
  })
})

describe("McpEngine failures", () => {
  const failingRegistry = Layer.succeed(Registry, {
    create: () => Effect.die("unused"),
    update: () => Effect.die("unused"),
    get: () => Effect.fail(new StoreError({ operation: "get", cause: new Error("secret table arn:aws:dynamodb:...") })),
    list: () => Effect.fail(new StoreError({ operation: "list", cause: new Error("secret") })),
    remove: () => Effect.die("unused"),
    stamp: Effect.fail(new StoreError({ operation: "stamp", cause: new Error("secret") }))
  })
  const failing = engineLayer().pipe(Layer.provide(Layer.mergeAll(failingRegistry, layerLocal(new Map()), sessionStores)))

  it.effect("store failures are -32603 without details", () =>
    Effect.gen(function* () {
      for (const [method, params] of [
        ["tools/list", {}],
        ["tools/call", { name: "x" }],
        ["resources/read", { uri: "file:///x" }],
        ["prompts/get", { name: "x" }]
      ] as const) {
        expect(yield* rpcError(method, params)).toEqual({ code: ErrorCode.InternalError, message: "Internal error" })
      }
    }).pipe(Effect.provide(failing)))

  it.effect("a function that outlives the invoke timeout is a tool error", () =>
    Effect.gen(function* () {
      const engine = yield* McpEngine
      const fiber = yield* Effect.fork(engine.handle(context, request("tools/call", { name: "slow" })))
      yield* TestClock.adjust(Duration.seconds(2))
      const outcome = yield* Fiber.join(fiber)
      expect(outcome.responses[0]).toMatchObject({
        result: { isError: true, content: [{ type: "text", text: expect.stringMatching(/^Tool 'slow' timed out after 2 s \(correlation id [0-9a-f-]{36}\)$/) }] }
      })
    }).pipe(Effect.provide(engineWith([toolSpec("slow")], { slow: () => new Promise(() => {}) }, { invokeTimeout: "2 seconds" }))))
})
