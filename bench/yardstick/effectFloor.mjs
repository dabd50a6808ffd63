// A floor for bench/overhead.ts: the least an Effect HTTP server on @effect/platform-node can do
// for the same exchange — sessions in a Map, the JSON-RPC request decoded with Schema, the
// `adder` answered in the same fiber, JSON replies — with none of this project's code. `dev` does
// far more per request (the session store, rate limits, the function invoker's timeout and
// checks, the request log); this measures what the runtime and the platform's server cost
// themselves, so the overhead figure can say which part of `dev`'s gap is whose.
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const Request = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  method: Schema.String,
  params: Schema.optional(Schema.Unknown)
})
const decodeRequest = Schema.decodeUnknown(Request)
const AdderArgs = Schema.Struct({ name: Schema.Literal("adder"), arguments: Schema.Struct({ a: Schema.Number, b: Schema.Number }) })
const decodeAdder = Schema.decodeUnknown(AdderArgs)

const sessions = new Set()

const reply = (id, result) => HttpServerResponse.unsafeJson({ jsonrpc: "2.0", id, result })
const refuse = (status, message) => HttpServerResponse.unsafeJson({ jsonrpc: "2.0", id: null, error: { code: -32000, message } }, { status })

const app = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  if (request.method !== "POST" || !request.url.startsWith("/mcp")) return HttpServerResponse.empty({ status: 404 })
  const message = yield* decodeRequest(yield* request.json)
  const sessionId = request.headers["mcp-session-id"]
  if (message.method === "initialize") {
    const id = randomUUID()
    sessions.add(id)
    return HttpServerResponse.unsafeJson(
      { jsonrpc: "2.0", id: message.id, result: { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "floor", version: "1.0.0" } } },
      { headers: { "mcp-session-id": id } }
    )
  }
  if (sessionId === undefined || !sessions.has(sessionId)) return refuse(404, "No valid session")
  if (message.id === undefined) return HttpServerResponse.empty({ status: 202 })
  if (message.method !== "tools/call") return refuse(400, "Method not found")
  const { arguments: { a, b } } = yield* decodeAdder(message.params)
  return reply(message.id, { content: [{ type: "text", text: String(a + b) }] })
}).pipe(Effect.catchAll(() => Effect.succeed(refuse(400, "Bad request"))))

const ServerLive = NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })

HttpServer.serveEffect(app).pipe(
  Effect.zipRight(HttpServer.addressWith((address) => Effect.sync(() => console.log(`listening on http://127.0.0.1:${address.port}`)))),
  Effect.zipRight(Effect.never),
  Effect.scoped,
  Effect.provide(ServerLive),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
