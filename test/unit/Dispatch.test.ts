/** The method table under dispatch: typed errors become JSON-RPC errors; broken results never leave. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Schema } from "effect"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import { CallToolResult, EmptyResult } from "../../src/domain/Mcp.js"
import { layerLocal } from "../../src/layers/LocalFunctionInvoker.js"
import { layerMemory } from "../../src/layers/MemoryRegistry.js"
import * as Catalog from "../../src/mcp/Catalog.js"
import { layer as engineLayer, McpEngine } from "../../src/mcp/Engine.js"
import { InvalidParams } from "../../src/mcp/Errors.js"
import { McpRequest } from "../../src/mcp/McpRequest.js"
import { method } from "../../src/mcp/Method.js"
import * as RequestState from "../../src/mcp/RequestState.js"
import * as Subscriptions from "../../src/mcp/Subscriptions.js"
import { context, request, sessionStores } from "../support/engine.js"

const broken = method("test/broken", {
  params: Schema.Unknown,
  result: CallToolResult,
  // The compiler rejects a wrong shape; a cast stands for a bug that slips past it at run time.
  handle: () => Effect.succeed({ content: [{ type: "text", text: 42 }] } as unknown as CallToolResult)
})

const refusing = method("test/refusing", {
  params: Schema.Struct({ name: Schema.String }),
  result: EmptyResult,
  handle: ({ name }) => Effect.fail(new InvalidParams({ message: `No such thing: ${name}` }))
})

const echoing = method("test/echo", {
  params: Schema.Unknown,
  result: Schema.Struct({ id: Schema.Union(Schema.String, Schema.Number), method: Schema.String, token: Schema.Unknown }),
  handle: () => Effect.map(McpRequest, (request) => ({ id: request.id, method: request.method, token: request.progressToken }))
})

const logged: Array<string> = []
const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => {
  logged.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
}))

const engine = engineLayer({}, [broken, refusing, echoing]).pipe(
  Layer.provideMerge(Layer.mergeAll(Catalog.layer, Subscriptions.layer, RequestState.layerConfig)),
  Layer.provideMerge(Layer.mergeAll(layerMemory, layerLocal(new Map()), sessionStores)),
  Layer.provideMerge(capture)
)

describe("Dispatch", () => {
  it.effect("a result that breaks its schema is logged as a defect and answered -32603, not sent", () =>
    Effect.gen(function* () {
      logged.length = 0
      const outcome = yield* (yield* McpEngine).handle(context, request("test/broken"))
      expect(outcome.responses).toEqual([
        { jsonrpc: "2.0", id: expect.any(Number), error: { code: ErrorCode.InternalError, message: "Internal error" } }
      ])
      expect(JSON.stringify(outcome)).not.toContain("42")
      expect(logged.join("\n")).toMatch(/Defect while answering test\/broken/)
    }).pipe(Effect.provide(engine)))

  it.effect("a handler's typed error is its JSON-RPC error; params are decoded first", () =>
    Effect.gen(function* () {
      const engine = yield* McpEngine
      const refused = yield* engine.handle(context, request("test/refusing", { name: "x" }))
      expect(refused.responses[0]).toMatchObject({ error: { code: ErrorCode.InvalidParams, message: "No such thing: x" } })
      const invalid = yield* engine.handle(context, request("test/refusing", { name: 7 }))
      expect(invalid.responses[0]).toMatchObject({ error: { code: ErrorCode.InvalidParams, message: expect.stringMatching(/^Invalid params: name: /) } })
      const unknown = yield* engine.handle(context, request("tools/list"))
      expect(unknown.responses[0]).toMatchObject({ error: { code: ErrorCode.MethodNotFound, message: "Method not found: tools/list" } })
    }).pipe(Effect.provide(engine)))

  it.effect("handlers read the request from McpRequest", () =>
    Effect.gen(function* () {
      const outcome = yield* (yield* McpEngine).handle(context, {
        jsonrpc: "2.0",
        id: "r-1",
        method: "test/echo",
        params: { _meta: { progressToken: "p-9" } }
      })
      expect(outcome.responses[0]).toEqual({ jsonrpc: "2.0", id: "r-1", result: { id: "r-1", method: "test/echo", token: "p-9" } })
    }).pipe(Effect.provide(engine)))
})
