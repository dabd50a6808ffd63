/**
 * The official SDK v2 client (`@modelcontextprotocol/client`) on the dev server at MCP
 * 2026-07-28, pinned to the revision and negotiating it (`auto`), with the example functions
 * and registrations: discovery, tools, resources, prompts and completions; questions to the
 * user (elicitation) and to the model (sampling) answered by the client's handlers through
 * the server's input-required results; progress; per-request log levels; `subscriptions/listen`.
 * A recording fetch under the client shows the wire it hides. Then an SDK v1 client
 * (2025-11-25, with a session) beside a v2 client on one server, at the same time.
 */
import {
  Client,
  LOG_LEVEL_META_KEY,
  type Progress,
  ProtocolError,
  SERVER_INFO_META_KEY,
  StreamableHTTPClientTransport,
  SUBSCRIPTION_ID_META_KEY,
  type VersionNegotiationMode
} from "@modelcontextprotocol/client"
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ElicitRequestSchema as V1ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Json, readJson } from "../support/json.js"
import { postModern } from "../support/modernRequest.js"
import { type RecordingFetch, recordingFetch } from "../support/sdkV2.js"
import { type RunningServer, startDevServer } from "../support/servers.js"

const VERSION = "2026-07-28"
const MODES = { pinned: { pin: VERSION }, auto: "auto" } as const satisfies Record<string, VersionNegotiationMode>

const EXAMPLE_TOOLS = ["countdown", "inventory", "onboarding", "statistics", "summarize", "touch-note", "weather"]
const WELCOME = "Welcome to mcp-lambda-sam. Every tool, resource and prompt here is a Lambda function."
const PROFILE_QUESTION = {
  message: "Tell us about yourself",
  requestedSchema: {
    type: "object",
    properties: {
      name: { type: "string", description: "Your name" },
      role: { type: "string", enum: ["developer", "operator", "other"], default: "developer" }
    },
    required: ["name"]
  }
}
const SUMMARY = "MCP 2026-07-28 needs no sessions."

/** The first text of a tool result (SDK v1's result type is a union with the 2024 `toolResult` shape). */
const textOf = (result: unknown) => (result as { content?: Array<{ text?: string }> }).content?.[0]?.text

const register = (server: RunningServer, body: Record<string, unknown>) =>
  fetch(`${server.url}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

const resourceUpdated = async (server: RunningServer, uri: string): Promise<Json> =>
  readJson(await fetch(`${server.url}/resources/updated`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uri })
  }))

/** A 2026-07-28 client that answers questions: Ada, an operator; its model answers SUMMARY. */
const modernClient = (mode: VersionNegotiationMode, wire: RecordingFetch | undefined, asked: Array<{ method: string; params?: unknown }>) => {
  const client = new Client(
    { name: "e2e-v2", version: "2.0.0" },
    { capabilities: { elicitation: { form: {} }, sampling: {} }, versionNegotiation: { mode } }
  )
  client.setRequestHandler("elicitation/create", (request) => {
    asked.push(request)
    return { action: "accept", content: { name: "Ada", role: "operator" } }
  })
  client.setRequestHandler("sampling/createMessage", (request) => {
    asked.push(request)
    return { role: "assistant", content: { type: "text", text: SUMMARY }, model: "test-model", stopReason: "endTurn" }
  })
  const transport = (server: RunningServer) =>
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), wire === undefined ? {} : { fetch: wire.fetch })
  return { client, transport }
}

describe.each(Object.keys(MODES) as Array<keyof typeof MODES>)("SDK v2 client (versionNegotiation %s) on the dev server", (mode) => {
  let server: RunningServer
  let client: Client
  const wire = recordingFetch()
  const asked: Array<{ method: string; params?: unknown }> = []

  beforeAll(async () => {
    server = await startDevServer()
    const made = modernClient(MODES[mode], wire, asked)
    client = made.client
    await client.connect(made.transport(server))
  })

  afterAll(async () => {
    await client?.close()
    await server?.close()
  })

  it("negotiates 2026-07-28 with server/discover, never initialize", () => {
    expect(client.getProtocolEra()).toBe("modern")
    expect(client.getNegotiatedProtocolVersion()).toBe(VERSION)
    expect(client.getDiscoverResult()).toMatchObject({
      resultType: "complete",
      supportedVersions: [VERSION],
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
        logging: {}
      },
      ttlMs: expect.any(Number),
      cacheScope: expect.stringMatching(/^(public|private)$/),
      _meta: { [SERVER_INFO_META_KEY]: { name: "mcp-lambda-sam", version: expect.any(String) } }
    })
    // Pinned or auto, the first thing on the wire is the probe, with the envelope and its headers.
    const [probe] = wire.exchanges
    expect(probe).toMatchObject({
      method: "POST",
      headers: { "mcp-protocol-version": VERSION, "mcp-method": "server/discover" },
      body: {
        method: "server/discover",
        params: {
          _meta: {
            "io.modelcontextprotocol/protocolVersion": VERSION,
            "io.modelcontextprotocol/clientInfo": { name: "e2e-v2", version: "2.0.0" },
            "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} }, sampling: {} }
          }
        }
      },
      status: 200
    })
    expect(wire.of("initialize")).toEqual([])
  })

  it("lists the example tools and calls weather", async () => {
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(EXAMPLE_TOOLS)
    expect(tools.find((tool) => tool.name === "weather")?.inputSchema).toEqual({
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer", description: "How many days (1 to 16), 1 by default", minimum: 1, maximum: 16 } },
      required: ["city"]
    })
    const result = await client.callTool({ name: "weather", arguments: { city: "Paris" } })
    expect(result.isError).toBeUndefined()
    expect(result.content).toEqual([{ type: "text", text: "Weather for Paris\nDay 1: sunny, 24°C" }])

    // What the client does not show: resultType, the caching hints, the headers it sent.
    expect(wire.of("tools/list").at(-1)?.answer.result).toMatchObject({
      resultType: "complete",
      ttlMs: expect.any(Number),
      cacheScope: expect.stringMatching(/^(public|private)$/)
    })
    const call = wire.of("tools/call").at(-1)!
    expect(call.headers).toMatchObject({ "mcp-protocol-version": VERSION, "mcp-method": "tools/call", "mcp-name": "weather" })
    expect(call.answer).toEqual({
      jsonrpc: "2.0",
      id: call.body.id,
      result: {
        resultType: "complete",
        content: [{ type: "text", text: "Weather for Paris\nDay 1: sunny, 24°C" }],
        _meta: { [SERVER_INFO_META_KEY]: { name: "mcp-lambda-sam", version: expect.any(String) } }
      }
    })
  })

  it("lists the notes and reads notes://welcome through the template", async () => {
    const { resourceTemplates } = await client.listResourceTemplates()
    expect(resourceTemplates).toEqual([expect.objectContaining({ name: "notes", uriTemplate: "notes://{id}", mimeType: "text/plain" })])
    const { resources } = await client.listResources()
    expect(resources.map((resource) => resource.uri)).toEqual(["notes://welcome", "notes://transports", "notes://deploy"])
    const read = await client.readResource({ uri: "notes://welcome" })
    expect(read.contents).toEqual([{ uri: "notes://welcome", mimeType: "text/plain", text: WELCOME }])
    expect(wire.of("resources/read").at(-1)?.headers).toMatchObject({ "mcp-method": "resources/read", "mcp-name": "notes://welcome" })
  })

  it("a resource nobody serves is -32602 with its uri (2026-07-28; not -32002)", async () => {
    const error = await client.readResource({ uri: "file:///etc/passwd" }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as ProtocolError).code).toBe(-32602)
    expect((error as ProtocolError).data).toEqual({ uri: "file:///etc/passwd" })
  })

  it("gets the code-review prompt", async () => {
    const prompt = await client.getPrompt({ name: "code-review", arguments: { code: "let x = 1", language: "TypeScript" } })
    expect(prompt.description).toBe("Review TypeScript code for correctness")
    expect(prompt.messages).toEqual([{
      role: "user",
      content: {
        type: "text",
        text: "Please review this TypeScript code, focusing on correctness. List concrete problems first, then suggestions.\n\nlet x = 1"
      }
    }])
    expect(wire.of("prompts/get").at(-1)?.headers).toMatchObject({ "mcp-method": "prompts/get", "mcp-name": "code-review" })
  })

  it("completes trip-plan's city from the prompt's function, and code-review's focus from its registration", async () => {
    const city = await client.complete({ ref: { type: "ref/prompt", name: "trip-plan" }, argument: { name: "city", value: "Pa" } })
    expect(city.completion).toEqual({ values: ["Paris"], total: 1, hasMore: false })
    const focus = await client.complete({ ref: { type: "ref/prompt", name: "code-review" }, argument: { name: "focus", value: "re" } })
    expect(focus.completion.values).toEqual(["readability"])
  })

  it("asks the user (elicitation) through an input-required result; the client's handler answers and the call goes on", async () => {
    const before = wire.of("tools/call").length
    const result = await client.callTool({ name: "onboarding", arguments: {} })
    expect(textOf(result)).toBe("Welcome, Ada (operator)!")
    expect(asked.at(-1)).toEqual({ method: "elicitation/create", params: PROFILE_QUESTION })

    // Two requests, no server→client request: the question comes back as the first one's result.
    const rounds = wire.of("tools/call").slice(before)
    expect(rounds).toHaveLength(2)
    const [first, second] = rounds as [Json, Json]
    expect(first.answer.result).toMatchObject({
      resultType: "input_required",
      inputRequests: { profile: { method: "elicitation/create", params: PROFILE_QUESTION } },
      requestState: expect.stringMatching(/^v1\./)
    })
    expect(second.body.id).not.toBe(first.body.id)
    expect(second.body.params).toMatchObject({
      name: "onboarding",
      arguments: {},
      inputResponses: { profile: { action: "accept", content: { name: "Ada", role: "operator" } } },
      // Echoed byte for byte; the function's own state ("asked-profile") is sealed inside.
      requestState: first.answer.result.requestState
    })
    expect(second.answer.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "Welcome, Ada (operator)!" }] })
  })

  it("asks the client's model (sampling) through an input-required result and returns what it said", async () => {
    const before = wire.of("tools/call").length
    const result = await client.callTool({ name: "summarize", arguments: { text: "Sessions are gone in the new revision." } })
    expect(result.content).toEqual([{ type: "text", text: SUMMARY }])
    expect(asked.at(-1)).toEqual({
      method: "sampling/createMessage",
      params: {
        messages: [{ role: "user", content: { type: "text", text: "Summarize in one sentence:\n\nSessions are gone in the new revision." } }],
        maxTokens: 200
      }
    })
    const rounds = wire.of("tools/call").slice(before)
    expect(rounds.map((round) => round.answer?.result?.resultType)).toEqual(["input_required", "complete"])
    expect(rounds[1]?.body.params.inputResponses).toEqual({
      summary: { role: "assistant", content: { type: "text", text: SUMMARY }, model: "test-model", stopReason: "endTurn" }
    })
  })

  it("a client that did not declare elicitation gets -32021 (400) naming the capability", async () => {
    const bare = new Client({ name: "e2e-v2-bare", version: "2.0.0" }, { versionNegotiation: { mode: MODES[mode] } })
    const bareWire = recordingFetch()
    await bare.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { fetch: bareWire.fetch }))
    try {
      const error = await bare.callTool({ name: "onboarding", arguments: {} }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ProtocolError)
      expect((error as ProtocolError).code).toBe(-32021)
      expect((error as ProtocolError).data).toEqual({ requiredCapabilities: { elicitation: {} } })
      expect(bareWire.of("tools/call").map((exchange) => exchange.status)).toEqual([400])
    } finally {
      await bare.close()
    }
  })

  it("reports a streaming function's progress to the request that asked, in order", async () => {
    const progress: Array<Progress> = []
    const result = await client.callTool({ name: "countdown", arguments: { steps: 3 } }, { onprogress: (update) => progress.push(update) })
    expect(textOf(result)).toBe("Counted down from 3.")
    // Every update is on the response stream before the result; a handler may run a tick later.
    await expect.poll(() => progress.length, { timeout: 2_000 }).toBe(4)
    expect(progress).toEqual([
      { progress: 0, total: 3, message: "3 to go" },
      { progress: 1, total: 3, message: "2 to go" },
      { progress: 2, total: 3, message: "1 to go" },
      { progress: 3, total: 3, message: "Lift-off" }
    ])
    const call = wire.of("tools/call").at(-1)!
    expect(call.body.params._meta.progressToken).toBeDefined()
    expect(call.responseHeaders["content-type"]).toMatch(/^text\/event-stream/)
  })

  it("sends a function's log lines only to a request that names a log level, at or above it", async () => {
    const logs: Array<unknown> = []
    client.setNotificationHandler("notifications/message", (notification) => {
      logs.push(notification.params)
    })
    try {
      const countdown = (level?: "info" | "warning") =>
        client.callTool({ name: "countdown", arguments: { steps: 1 }, ...(level === undefined ? {} : { _meta: { [LOG_LEVEL_META_KEY]: level } }) })
      // No level: no logs at all (there is no session level in 2026-07-28). Warning: above the function's info line.
      expect(textOf(await countdown())).toBe("Counted down from 1.")
      expect(textOf(await countdown("warning"))).toBe("Counted down from 1.")
      expect(textOf(await countdown("info"))).toBe("Counted down from 1.")
      // Logs of the earlier calls would have arrived before the last call's: exactly one is here.
      await expect.poll(() => logs.length, { timeout: 2_000 }).toBe(1)
      expect(logs).toEqual([{ level: "info", logger: "countdown", data: "Counting down from 1" }])
      const levels = wire.of("tools/call").slice(-3).map((call) => call.body.params._meta[LOG_LEVEL_META_KEY])
      expect(levels).toEqual([undefined, "warning", "info"])
    } finally {
      client.removeNotificationHandler("notifications/message")
    }
  })

  it("subscriptions/listen: told of a registration and of updates to a subscribed URI, and of nothing else", async () => {
    const received: Array<{ method: string; params?: Json }> = []
    const methods = [
      "notifications/tools/list_changed",
      "notifications/prompts/list_changed",
      "notifications/resources/list_changed",
      "notifications/resources/updated"
    ] as const
    for (const method of methods) client.setNotificationHandler(method, (notification) => void received.push(notification))
    const count = (method: string) => received.filter((notification) => notification.method === method).length

    const subscription = await client.listen({ toolsListChanged: true, resourceSubscriptions: ["notes://welcome"] })
    try {
      expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, resourceSubscriptions: ["notes://welcome"] })
      const listen = wire.of("subscriptions/listen").at(-1)!
      expect(listen.headers).toMatchObject({ "mcp-protocol-version": VERSION, "mcp-method": "subscriptions/listen" })
      expect(listen.responseHeaders["content-type"]).toMatch(/^text\/event-stream/)
      const tag = { _meta: { [SUBSCRIPTION_ID_META_KEY]: listen.body.id } }

      // A tool registered through this server's Registration API.
      const added = `listened_${mode}`
      expect((await register(server, {
        type: "tool",
        name: added,
        description: "Added while listening",
        lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:weather",
        parameters: { city: "string" }
      })).status).toBe(201)
      await expect.poll(() => count("notifications/tools/list_changed"), { timeout: 10_000 }).toBe(1)
      expect(received[0]).toEqual({ method: "notifications/tools/list_changed", params: tag })
      // The client drops its cached list on the notification: the next list has the tool.
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([added, ...EXAMPLE_TOOLS].sort())

      // A prompt: not asked for, so not told.
      expect((await register(server, {
        type: "prompt",
        name: `listened_prompt_${mode}`,
        description: "Added while listening",
        lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:code-review",
        parameters: { code: "string" }
      })).status).toBe(201)

      // Updates: the subscribed URI reaches this stream, another one does not.
      expect(await resourceUpdated(server, "notes://welcome")).toEqual({ uri: "notes://welcome", notified: 1 })
      expect(await resourceUpdated(server, "notes://deploy")).toEqual({ uri: "notes://deploy", notified: 0 })
      expect(await resourceUpdated(server, "notes://welcome")).toEqual({ uri: "notes://welcome", notified: 1 })
      await expect.poll(() => count("notifications/resources/updated"), { timeout: 5_000 }).toBe(2)
      // Another tool after the prompt: once its notification is here, a leaked prompt one would be too.
      expect((await register(server, {
        type: "tool",
        name: `${added}_2`,
        description: "Added while listening",
        lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:weather",
        parameters: { city: "string" }
      })).status).toBe(201)
      await expect.poll(() => count("notifications/tools/list_changed"), { timeout: 10_000 }).toBe(2)

      const updated = { method: "notifications/resources/updated", params: { ...tag, uri: "notes://welcome" } }
      expect(received).toEqual([
        { method: "notifications/tools/list_changed", params: tag },
        updated,
        updated,
        { method: "notifications/tools/list_changed", params: tag }
      ])
    } finally {
      await subscription.close()
      for (const method of methods) client.removeNotificationHandler(method)
    }
    expect(await subscription.closed).toBe("local")
    // Closing aborts the stream and tells the server (a notification: 202, no body).
    const cancelled = wire.of("notifications/cancelled").at(-1)
    expect(cancelled).toMatchObject({ body: { params: { requestId: wire.of("subscriptions/listen").at(-1)?.body.id } }, status: 202 })
    // Nobody is subscribed to the URI any more.
    await expect.poll(async () => (await resourceUpdated(server, "notes://welcome")).notified, { timeout: 5_000 }).toBe(0)
  })

  it("never opened a session: every request a POST, no Mcp-Session-Id either way", () => {
    expect(wire.exchanges.length).toBeGreaterThan(10)
    expect(wire.exchanges.filter((exchange) => exchange.method !== "POST")).toEqual([])
    expect(wire.exchanges.filter((exchange) => "mcp-session-id" in exchange.headers || "mcp-session-id" in exchange.responseHeaders)).toEqual([])
    expect(wire.exchanges.filter((exchange) => exchange.body?.params?._meta?.["io.modelcontextprotocol/protocolVersion"] !== VERSION)).toEqual([])
  })
})

// The SDK v2 client always echoes requestState byte for byte, and sends neither a foreign nor a
// tampered one, nor a session id: those are raw requests.
describe("2026-07-28 on the dev server, raw: what the SDK v2 client never sends", () => {
  let server: RunningServer
  let mcp: string

  beforeAll(async () => {
    server = await startDevServer()
    mcp = `${server.url}/mcp`
  })
  afterAll(() => server?.close())

  const askedForProfile = async () => {
    const response = await postModern(mcp, 1, "tools/call", { name: "onboarding", arguments: {} }, { capabilities: { elicitation: {} } })
    expect(response.status).toBe(200)
    const { result } = await readJson(response)
    expect(result).toMatchObject({ resultType: "input_required", requestState: expect.stringMatching(/^v1\.[\w-]+\.[\w-]+$/) })
    return result.requestState as string
  }

  it("a tampered requestState is -32602, in band (200)", async () => {
    const state = await askedForProfile()
    const [version, body, mac] = state.split(".") as [string, string, string]
    const tampered = `${version}.${body}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`
    const response = await postModern(mcp, 2, "tools/call", {
      name: "onboarding",
      arguments: {},
      inputResponses: { profile: { action: "accept", content: { name: "Mallory" } } },
      requestState: tampered
    }, { capabilities: { elicitation: {} } })
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32602, message: "Invalid params: requestState rejected: tampered" }
    })
  })

  it("a requestState given for one tool is refused by another", async () => {
    const state = await askedForProfile()
    const response = await postModern(mcp, 3, "tools/call", {
      name: "summarize",
      arguments: { text: "x" },
      inputResponses: { summary: { role: "assistant", content: { type: "text", text: "y" }, model: "m" } },
      requestState: state
    }, { capabilities: { sampling: {} } })
    expect(await readJson(response)).toMatchObject({ id: 3, error: { code: -32602, message: "Invalid params: requestState rejected: not yours" } })
  })

  it("an Mcp-Session-Id header on a 2026-07-28 request is ignored: served, and none comes back", async () => {
    const response = await postModern(mcp, 4, "tools/call", { name: "weather", arguments: { city: "Paris" } }, {
      headers: { "mcp-session-id": "no-such-session" }
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("mcp-session-id")).toBeNull()
    expect(await readJson(response)).toMatchObject({
      id: 4,
      result: { resultType: "complete", content: [{ type: "text", text: "Weather for Paris\nDay 1: sunny, 24°C" }] }
    })
  })
})

describe("SDK v1 (2025-11-25) and SDK v2 (2026-07-28) clients on one server at the same time", () => {
  let server: RunningServer
  let v1: V1Client
  let v1Transport: V1Transport
  let v2: Client
  const v1Asked: Array<unknown> = []
  const v2Asked: Array<{ method: string; params?: unknown }> = []

  beforeAll(async () => {
    server = await startDevServer()
    v1 = new V1Client({ name: "e2e-v1", version: "1.0.0" }, { capabilities: { elicitation: {} } })
    v1.setRequestHandler(V1ElicitRequestSchema, (request) => {
      v1Asked.push(request.params)
      return { action: "accept", content: { name: "Grace", role: "developer" } }
    })
    v1Transport = new V1Transport(new URL(`${server.url}/mcp`))
    const made = modernClient(MODES.pinned, undefined, v2Asked)
    v2 = made.client
    await Promise.all([v1.connect(v1Transport), v2.connect(made.transport(server))])
  })

  afterAll(async () => {
    await v1?.close()
    await v2?.close()
    await server?.close()
  })

  it("each speaks its own revision: v1 with a session, v2 without", () => {
    expect(v1Transport.protocolVersion).toBe("2025-11-25")
    expect(v1Transport.sessionId).toMatch(/\S/)
    expect(v1.getServerVersion()).toEqual({ name: "mcp-lambda-sam", version: expect.any(String) })
    expect(v2.getProtocolEra()).toBe("modern")
    expect(v2.getNegotiatedProtocolVersion()).toBe(VERSION)
  })

  it("both list and call tools, concurrently", async () => {
    const [v1Tools, v2Tools] = await Promise.all([v1.listTools(), v2.listTools()])
    expect(v1Tools.tools.map((tool) => tool.name)).toEqual(EXAMPLE_TOOLS)
    expect(v2Tools.tools.map((tool) => tool.name)).toEqual(EXAMPLE_TOOLS)
    expect(v2Tools.tools).toEqual(v1Tools.tools)

    const lisbon = "Weather for Lisbon\nDay 1: foggy, 12°C\nDay 2: snowy, 13°C"
    const calls = await Promise.all([
      v1.callTool({ name: "weather", arguments: { city: "Lisbon", days: 2 } }),
      v2.callTool({ name: "weather", arguments: { city: "Lisbon", days: 2 } }),
      v1.callTool({ name: "statistics", arguments: { numbers: [3, 1, 2, 10] } }),
      v2.callTool({ name: "statistics", arguments: { numbers: [3, 1, 2, 10] } })
    ])
    expect(calls.map(textOf).slice(0, 2)).toEqual([lisbon, lisbon])
    expect(calls.slice(2).map((result) => result.structuredContent)).toEqual([
      { count: 4, sum: 16, mean: 4, median: 2.5, min: 1, max: 10 },
      { count: 4, sum: 16, mean: 4, median: 2.5, min: 1, max: 10 }
    ])
  })

  it("both answer the same function's question at once, each in its era's way", async () => {
    const [legacy, modern] = await Promise.all([
      v1.callTool({ name: "onboarding", arguments: {} }),
      v2.callTool({ name: "onboarding", arguments: {} })
    ])
    expect(textOf(legacy)).toBe("Welcome, Grace (developer)!")
    expect(textOf(modern)).toBe("Welcome, Ada (operator)!")
    // v1: an elicitation/create request from the server on the session; v2: the input-required result.
    expect(v1Asked).toEqual([PROFILE_QUESTION])
    expect(v2Asked).toEqual([{ method: "elicitation/create", params: PROFILE_QUESTION }])
  })
})
