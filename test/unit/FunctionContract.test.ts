/**
 * The extended function contract through the engine: streaming functions (progress, logs,
 * resource updates, the result line), questions (input-required answers asked of the client
 * and answered through the inbox), function completions, icons, and the bad input of each.
 */
import type { Writable } from "node:stream"
import { describe, expect, it, layer } from "@effect/vitest"
import { Duration, Effect, Fiber, Queue, TestClock } from "effect"
import type { JsonRpcMessage } from "../../src/domain/JsonRpc.js"
import type { SessionId } from "../../src/domain/Session.js"
import { streamifyResponse } from "../../src/layers/localRuntime.mjs"
import type { LambdaHandler } from "../../src/layers/LocalFunctionInvoker.js"
import { McpEngine, type RequestContext } from "../../src/mcp/Engine.js"
import { Subscriptions } from "../../src/mcp/Subscriptions.js"
import { cancelKey, Inbox } from "../../src/services/Inbox.js"
import { SessionStore } from "../../src/services/SessionStore.js"
import { engineWith, request } from "../support/engine.js"
import { promptSpec, resourceSpec, toolSpec } from "../support/fixtures.js"

const lines = (stream: Writable, ...values: ReadonlyArray<unknown>) => {
  for (const value of values) stream.write(typeof value === "string" ? value : `${JSON.stringify(value)}\n`)
  stream.end()
}
const streaming = (write: (event: { extra: Record<string, unknown> }, stream: Writable) => void) =>
  streamifyResponse(async (event: unknown, stream: Writable) => write(event as { extra: Record<string, unknown> }, stream)) as unknown as LambdaHandler

const result = (text: string) => ({ type: "result", result: { content: [{ type: "text", text }] } })

const functions: Record<string, LambdaHandler> = {
  chatty: streaming((event, stream) => {
    // Split mid-line on purpose: lines are whole only once joined.
    stream.write(`{"type":"progress","progress":1,"total":2,`)
    lines(
      stream,
      `"message":"half"}\n`,
      { type: "log", level: "debug", data: "too quiet to be seen" },
      { type: "log", level: "warning", logger: "chatty", data: { disk: "low" } },
      { type: "resource_updated", uri: "notes://1" },
      { type: "sparkle", shiny: true },
      result(`token ${String(event.extra["progressToken"])}, level ${String(event.extra["logLevel"])}`)
    )
  }),
  noResult: streaming((_event, stream) => lines(stream, { type: "progress", progress: 1 })),
  notJson: streaming((_event, stream) => lines(stream, "this is not json\n", result("never"))),
  twice: streaming((_event, stream) => lines(stream, result("one"), result("two"))),
  badLine: streaming((_event, stream) => lines(stream, { type: "log", level: "loud", data: 1 }, result("never"))),
  asker: async (event: unknown) => {
    const { inputResponses, requestState } = event as { inputResponses?: Record<string, unknown>; requestState?: string }
    if (inputResponses === undefined) {
      return {
        resultType: "input_required",
        inputRequests: {
          name: { method: "elicitation/create", params: { message: "Your name?", requestedSchema: { type: "object", properties: {} } } },
          roots: { method: "roots/list" }
        },
        requestState: "round-1"
      }
    }
    return `state ${requestState}; got ${JSON.stringify(inputResponses)}`
  },
  oddAsker: async () => ({ resultType: "input_required", inputRequests: { x: { method: "tools/call", params: {} } } }),
  insatiable: async () => ({ resultType: "input_required", inputRequests: { n: { method: "roots/list" } } }),
  completer: async (event: unknown) => {
    const { action, argument } = event as { action: string; argument: { value: string } }
    if (action !== "complete") throw new Error(`unexpected action ${action}`)
    return { values: Array.from({ length: 150 }, (_, index) => `${argument.value}${index}`), hasMore: true }
  },
  decorated: async () => "pretty",
  forever: () => new Promise(() => {})
}

const icons = [{ src: "https://example.com/icon.png", mimeType: "image/png", sizes: ["48x48"] }]
const specs = [
  ...["chatty", "noResult", "notJson", "twice", "badLine"].map((name) => toolSpec(name, { streaming: true })),
  toolSpec("asker"),
  toolSpec("oddAsker"),
  toolSpec("insatiable"),
  toolSpec("decorated", { icons }),
  toolSpec("forever"),
  promptSpec("completer", { parameters: { city: "string" }, completions: "function", icons }),
  resourceSpec("decorated", { uri: "notes://1", icons })
]

const session = "session-contract-0123456789" as SessionId
const ctx = (capabilities: Record<string, unknown>, logLevel?: "warning"): RequestContext => ({
  protocolVersion: "2025-11-25",
  sessionId: session,
  principal: "alice",
  clientCapabilities: capabilities,
  ...(logLevel === undefined ? {} : { logLevel })
})

/** Calls a tool with a live sink; what the server sent while it ran comes back with the outcome. */
const callLive = (name: string, context: RequestContext, extra: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const engine = yield* McpEngine
    const sent = yield* Queue.unbounded<JsonRpcMessage>()
    const outcome = yield* engine.handle(context, request("tools/call", { name, arguments: {}, ...extra }), (message) => Queue.offer(sent, message))
    return { outcome, sent: [...(yield* Queue.takeAll(sent))] }
  })

const textOf = (outcome: { responses: ReadonlyArray<unknown> }) =>
  (outcome.responses[0] as { result: { content: Array<{ text: string }>; isError?: boolean } }).result

layer(engineWith(specs, functions))("the extended function contract", (it) => {
  it.effect("a streaming function's progress and logs arrive while it runs, filtered, with the request's token", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      yield* store.create({ id: session, principal: "alice", transport: "streamable-http", protocolVersion: "2025-11-25", initialized: true })
      yield* (yield* Subscriptions).subscribe(session, "notes://1")
      const { outcome, sent } = yield* callLive("chatty", ctx({}, "warning"), { _meta: { progressToken: "p1" } })
      expect(sent).toEqual([
        { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p1", progress: 1, total: 2, message: "half" } },
        { jsonrpc: "2.0", method: "notifications/message", params: { level: "warning", logger: "chatty", data: { disk: "low" } } }
      ])
      expect(textOf(outcome).content[0]!.text).toBe("token p1, level warning")
      // The resource_updated line reached the subscribed session's outbox.
      const outbox = yield* store.readAfter(session, 0)
      expect(outbox.map((entry) => entry.message)).toContainEqual({
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: "notes://1" }
      })
    }))

  it.effect("without a progress token there is no progress notification", () =>
    Effect.gen(function* () {
      const { sent } = yield* callLive("chatty", ctx({}))
      expect(sent.filter((message) => "method" in message && message.method === "notifications/progress")).toEqual([])
    }))

  it.effect("a broken stream is a tool error naming the problem", () =>
    Effect.gen(function* () {
      for (const [name, problem] of [
        ["noResult", "ended its stream without a result line"],
        ["notJson", "wrote line 1, which is not JSON: this is not json"],
        ["twice", "wrote a second result line"],
        ["badLine", "wrote an invalid log line 1"]
      ] as const) {
        const { outcome } = yield* callLive(name, ctx({}))
        expect(textOf(outcome).isError).toBe(true)
        expect(textOf(outcome).content[0]!.text).toContain(`Tool '${name}' ${problem}`)
      }
    }))

  it.effect("questions go to the client; answers come back through the inbox; the function is called again", () =>
    Effect.gen(function* () {
      const engine = yield* McpEngine
      const sent = yield* Queue.unbounded<JsonRpcMessage>()
      const context = ctx({ elicitation: {} })
      const call = yield* Effect.fork(engine.handle(context, request("tools/call", { name: "asker", arguments: {} }), (message) => Queue.offer(sent, message)))
      const question = yield* Queue.take(sent)
      expect(question).toMatchObject({ method: "elicitation/create", params: { message: "Your name?" } })
      const id = (question as { id: string }).id
      expect(id).toMatch(/^srv-/)
      // The client's answer arrives as its own message (on AWS: another POST, another container).
      const answered = yield* engine.handle(context, { jsonrpc: "2.0", id, result: { action: "accept", content: { name: "Ada" } } })
      expect(answered.responses).toEqual([])
      // The waiting call polls the inbox: let the test clock move on.
      yield* TestClock.adjust(Duration.seconds(2))
      const outcome = yield* Fiber.join(call)
      // roots/list was not declared by the client: the function got an error for it, not a question.
      expect(textOf(outcome).content[0]!.text).toBe(
        `state round-1; got {"roots":{"error":{"code":-32601,"message":"The client did not declare the roots capability"}},"name":{"action":"accept","content":{"name":"Ada"}}}`
      )
    }))

  it.effect("a client that answers with an error ends the call with a tool error", () =>
    Effect.gen(function* () {
      const engine = yield* McpEngine
      const sent = yield* Queue.unbounded<JsonRpcMessage>()
      const context = ctx({ elicitation: {} })
      const call = yield* Effect.fork(engine.handle(context, request("tools/call", { name: "asker", arguments: {} }), (message) => Queue.offer(sent, message)))
      const { id } = (yield* Queue.take(sent)) as { id: string }
      yield* engine.handle(context, { jsonrpc: "2.0", id, error: { code: -1, message: "user closed the dialog" } })
      yield* TestClock.adjust(Duration.seconds(2))
      const outcome = yield* Fiber.join(call)
      expect(textOf(outcome)).toMatchObject({ isError: true })
      expect(textOf(outcome).content[0]!.text).toBe(
        "Tool 'asker' asked the client for elicitation/create, which answered with an error: user closed the dialog"
      )
    }))

  it.effect("a client that never answers ends the call when the input timeout is up", () =>
    Effect.gen(function* () {
      const call = yield* Effect.fork(callLive("asker", ctx({ elicitation: {} })))
      yield* TestClock.adjust(Duration.minutes(6))
      const { outcome } = yield* Fiber.join(call)
      expect(textOf(outcome).content[0]!.text).toBe("Tool 'asker' asked the client for elicitation/create and got no answer in time")
    }))

  it.effect("a cancellation recorded by another container stops the call: no response", () =>
    Effect.gen(function* () {
      const engine = yield* McpEngine
      const call = request("tools/call", { name: "forever", arguments: {} })
      const running = yield* Effect.fork(engine.handle(ctx({}), call))
      // What notifications/cancelled leaves in the inbox when it lands where the call is not running.
      yield* (yield* Inbox).put(session, cancelKey(call.id), true)
      yield* TestClock.adjust(Duration.seconds(3))
      expect((yield* Fiber.join(running)).responses).toEqual([])
    }))

  it.effect("an unknown question, or one round too many, is a tool error; an answer to an unknown id is ignored", () =>
    Effect.gen(function* () {
      const odd = yield* callLive("oddAsker", ctx({ roots: {} }))
      expect(textOf(odd.outcome).content[0]!.text).toMatch(/^Tool 'oddAsker' asked for input in an invalid form: inputRequests\.x\.method/)
      const greedy = yield* callLive("insatiable", ctx({}))
      expect(textOf(greedy.outcome).content[0]!.text).toBe("Tool 'insatiable' asked for input 8 times; giving up")
      const stray = yield* (yield* McpEngine).handle(ctx({}), { jsonrpc: "2.0", id: 77, result: {} })
      expect(stray.responses).toEqual([])
    }))

  it.effect("completions from a function, cut to 100", () =>
    Effect.gen(function* () {
      const outcome = yield* (yield* McpEngine).handle(ctx({}), request("completion/complete", {
        ref: { type: "ref/prompt", name: "completer" },
        argument: { name: "city", value: "Par" }
      }))
      const { completion } = (outcome.responses[0] as unknown as { result: { completion: { values: Array<string>; total: number; hasMore: boolean } } }).result
      expect(completion.values).toHaveLength(100)
      expect(completion.values[0]).toBe("Par0")
      expect(completion).toMatchObject({ total: 150, hasMore: true })
    }))

  it.effect("icons are listed for tools, prompts and resources", () =>
    Effect.gen(function* () {
      const engine = yield* McpEngine
      for (const [method, key] of [["tools/list", "tools"], ["prompts/list", "prompts"], ["resources/list", "resources"]] as const) {
        const outcome = yield* engine.handle(ctx({}), request(method))
        const items = (outcome.responses[0] as { result: Record<string, Array<{ name: string; icons?: unknown }>> }).result[key]!
        expect(items.find((item) => item.name === (key === "prompts" ? "completer" : "decorated"))?.icons).toEqual(icons)
      }
    }))
})

describe("registrations", () => {
  it("refuse an icon that is not https or data:image", () => {
    expect(() => toolSpec("x", { icons: [{ src: "http://example.com/i.png" }] })).toThrow(/https: URL or a data:image/)
  })
})
