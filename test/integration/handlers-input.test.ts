/**
 * Questions from a function to the client on the real Lambda handler path: the MCP handler under
 * lambda-local on DynamoDB Local, invoking functions through a loopback stand-in of Lambda's
 * Invoke API that runs them (moto only echoes). Two handler instances stand for two containers,
 * each with its own runtime (engine, in-flight requests): the request that asks runs in one
 * invocation, the client's answer or cancellation arrives as another POST, in another invocation
 * of the other container, and travels through the session inbox in DynamoDB.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import type { EventSourceMessage } from "eventsource-parser"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import type { SessionId } from "../../src/domain/Session.js"
import * as DynamoDBInbox from "../../src/layers/DynamoDBInbox.js"
import * as DynamoDBRegistry from "../../src/layers/DynamoDBRegistry.js"
import { createTables, type TableNames } from "../../src/layers/Tables.js"
import { cancelKey, Inbox } from "../../src/services/Inbox.js"
import { Registry } from "../../src/services/Registry.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { type DynamoDBCounter, serveDynamoDBCounter } from "../support/dynamodbCounter.js"
import { toolSpec } from "../support/fixtures.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { type Json, readJson } from "../support/json.js"
import { type LambdaInvokeStandIn, serveLambdaInvoke } from "../support/lambdaInvokeStandIn.js"
import { readSse } from "../support/sse.js"

const dynamodb = inject("dynamodbEndpoint")

const ALICE = "arn:aws:iam::123456789012:user/alice"
const QUESTION_SCHEMA = { type: "object", properties: { name: { type: "string" } }, required: ["name"] }

interface ToolEvent {
  readonly args: { readonly question?: string }
  readonly inputResponses?: Record<string, unknown>
  readonly requestState?: string
}

/**
 * The functions the stand-in runs: one that asks, then answers with what it got; one that only
 * asks; one that throws. (`missing` is registered but has no function.)
 */
const functions = {
  asker: (event: unknown) => {
    const { args, inputResponses, requestState } = event as ToolEvent
    if (inputResponses === undefined) {
      return {
        resultType: "input_required",
        inputRequests: { name: { method: "elicitation/create", params: { message: args.question, requestedSchema: QUESTION_SCHEMA } } },
        requestState: "asked-for-name"
      }
    }
    return { got: inputResponses["name"], state: requestState }
  },
  patient: () => ({
    resultType: "input_required",
    inputRequests: { name: { method: "elicitation/create", params: { message: "Anyone there?", requestedSchema: QUESTION_SCHEMA } } }
  }),
  broken: () => {
    throw new TypeError("no luck today")
  }
}

/** The JSON-RPC messages of SSE events (priming events and comments carry none). */
const messagesOf = (events: ReadonlyArray<EventSourceMessage>): Array<Json> =>
  events
    .filter((event) => event.data !== "" && (event.event === undefined || event.event === "message"))
    .map((event) => JSON.parse(event.data) as Json)

const questionIn = (events: ReadonlyArray<EventSourceMessage>): Json =>
  messagesOf(events).find((message) => message.method === "elicitation/create")

const within = <A>(promise: Promise<A>, millis: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${millis} ms`)), millis))
  ])

describe.skipIf(dynamodb === "")("function questions through the Lambda handler (lambda-local, DynamoDB Local, Invoke stand-in)", () => {
  let names: TableNames
  let counter: DynamoDBCounter
  let lambda: LambdaInvokeStandIn
  /** `src/handlers/mcp.ts`'s handler, and a second instance of it: two containers. */
  let one: FunctionUrl
  let two: FunctionUrl

  const runOnTables = <A, E>(effect: Effect.Effect<A, E, Registry | Inbox>) =>
    Effect.runPromise(effect.pipe(
      Effect.provide(DynamoDBRegistry.layer({ tableName: names.registrations })),
      Effect.provide(DynamoDBInbox.layer({ tableName: names.sessions })),
      Effect.provide(clientLayer(dynamodb))
    ))

  beforeAll(async () => {
    names = freshTableNames()
    await Effect.runPromise(createTables(names).pipe(Effect.provide(clientLayer(dynamodb))))
    await runOnTables(Effect.flatMap(Registry, (registry) =>
      Effect.forEach(["asker", "patient", "broken", "missing"], (name) =>
        registry.create(toolSpec(name, { inputSchema: { type: "object", properties: { question: { type: "string" } } } })))))
    counter = await serveDynamoDBCounter(dynamodb)
    lambda = await serveLambdaInvoke(functions)
    setHandlerEnvironment({ tables: names, dynamodb: counter.endpoint, lambda: lambda.endpoint }, {
      POLL_MIN_MS: "20",
      POLL_MAX_MS: "200",
      REGISTRY_WATCH_SECONDS: "60",
      MAX_STREAM_SECONDS: "120"
    })
    // lambda-local (imported by the Function URL support) has installed the `awslambda` global.
    const { handler } = await import("../../src/handlers/mcp.js")
    const { mcpHandler } = await import("../../src/hosts/LambdaMcp.js")
    one = await serveFunction(handler, { timeoutMs: 120_000 })
    two = await serveFunction(mcpHandler(), { timeoutMs: 120_000 })
  }, 60_000)

  afterAll(async () => {
    await one?.close()
    await two?.close()
    await lambda?.close()
    await counter?.close()
  })

  const post = (container: FunctionUrl, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${container.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "x-test-principal": ALICE,
        ...headers
      },
      body: JSON.stringify(body)
    })

  /** A Streamable HTTP session at 2025-11-25 that can answer elicitations; its request headers. */
  const openSession = async (container: FunctionUrl) => {
    const init = await post(container, "/mcp", {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: { elicitation: {} }, clientInfo: { name: "raw", version: "1" } }
    })
    expect(init.status).toBe(200)
    expect(await readJson(init)).toMatchObject({ result: { protocolVersion: "2025-11-25" } })
    const sessionId = init.headers.get("mcp-session-id")!
    const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" }
    expect((await post(container, "/mcp", { jsonrpc: "2.0", method: "notifications/initialized" }, headers)).status).toBe(202)
    return { sessionId: sessionId as SessionId, headers }
  }

  const callTool = (id: number, name: string, args: Record<string, unknown> = {}) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args }
  })

  it("the stand-in answers as Lambda does: a thrown error and a missing function become tool errors", async () => {
    const { headers } = await openSession(one)
    const resultOf = async (id: number, name: string) => (await readJson(await post(one, "/mcp", callTool(id, name), headers))).result
    expect(await resultOf(3, "broken")).toEqual({
      content: [{ type: "text", text: "Tool 'broken' failed: no luck today" }],
      isError: true
    })
    expect(await resultOf(4, "missing")).toEqual({
      content: [{ type: "text", text: expect.stringMatching(/^Tool 'missing' is unavailable: its function was not found \(correlation id [0-9a-f-]{36}\)$/) }],
      isError: true
    })
    expect(lambda.invocationsOf("broken")).toHaveLength(1)
    expect(lambda.invocationsOf("missing")).toHaveLength(1)
  })

  it("Streamable HTTP: the question streams from invocation A, the answer arrives through invocation B in another container, A answers", async () => {
    const { headers, sessionId } = await openSession(one)
    await expect.poll(() => one.active() + two.active(), { timeout: 5_000 }).toBe(0)
    const before = counter.counts()

    const callA = await post(one, "/mcp", callTool(7, "asker", { question: "Your name?" }), headers)
    expect(callA.status).toBe(200)
    expect(callA.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const streamA = readSse(callA)
    let endedA = false
    void streamA.ended.then(() => {
      endedA = true
    })
    await streamA.until((events) => questionIn(events) !== undefined)
    // A 2025-11-25 stream is resumable: a priming event (an id, no data) comes first.
    expect(streamA.events[0]).toMatchObject({ data: "", id: expect.any(String) })
    const question = questionIn(streamA.events)
    expect(question).toEqual({
      jsonrpc: "2.0",
      id: expect.stringMatching(/^srv-/),
      method: "elicitation/create",
      params: { message: "Your name?", requestedSchema: QUESTION_SCHEMA }
    })
    expect(lambda.invocationsOf("asker")).toHaveLength(1)

    // B: the client's answer, its own invocation in the other container, while A is still running.
    expect(endedA).toBe(false)
    expect(one.active()).toBe(1)
    const answer = { action: "accept", content: { name: "Ada" } }
    const invocationsOfTwo = two.invocations()
    const answerB = await post(two, "/mcp", { jsonrpc: "2.0", id: question.id, result: answer }, headers)
    expect(answerB.status).toBe(202)
    expect(two.invocations()).toBe(invocationsOfTwo + 1)

    await within(streamA.ended, 10_000, "A's stream to end")
    const responses = messagesOf(streamA.events).filter((message) => message.id === 7)
    expect(responses).toEqual([{
      jsonrpc: "2.0",
      id: 7,
      result: {
        content: [{ type: "text", text: JSON.stringify({ got: answer, state: "asked-for-name" }) }],
        structuredContent: { got: answer, state: "asked-for-name" }
      }
    }])

    // The function ran twice: first with the arguments alone, then with the answers and its state.
    const invocations = lambda.invocationsOf("asker")
    expect(invocations).toHaveLength(2)
    const extra = { requestId: 7, protocolVersion: "2025-11-25", sessionId, principal: ALICE }
    expect(invocations[0]!.event).toEqual({ args: { question: "Your name?" }, extra: expect.objectContaining(extra) })
    expect(invocations[1]!.event).toEqual({
      args: { question: "Your name?" },
      inputResponses: { name: answer },
      requestState: "asked-for-name",
      extra: expect.objectContaining(extra)
    })
    expect(invocations.every(({ functionName }) => functionName === toolSpec("asker").lambdaArn)).toBe(true)

    // The DynamoDB requests of the whole round (A, B), once both invocations have ended.
    await expect.poll(() => one.active() + two.active(), { timeout: 5_000 }).toBe(0)
    // Measured here: GetItem 3 (two session reads, a registry stamp), UpdateItem 4 (two outbox
    // counters, two touches), PutItem 3, Query 2 or more (the inbox polls), BatchWriteItem 1.
    const round = counter.since(before)
    // Two outbox items (the question, the result) and the answer in the inbox (B), removed in one batch by A.
    expect(round["PutItem"]).toBe(3)
    expect(round["BatchWriteItem"]).toBe(1)
    expect(round["Query"]).toBeGreaterThanOrEqual(1)
  }, 60_000)

  for (const where of ["another container", "the same container"] as const) {
    it(`Streamable HTTP: a cancellation from ${where} stops the wait; A's stream ends without a response`, async () => {
      const { headers, sessionId } = await openSession(one)
      const id = where === "another container" ? 8 : 9
      const invocationsBefore = lambda.invocationsOf("patient").length
      const callA = await post(one, "/mcp", callTool(id, "patient"), headers)
      expect(callA.status).toBe(200)
      const streamA = readSse(callA)
      await streamA.until((events) => questionIn(events) !== undefined)

      const started = Date.now()
      const cancelB = await post(where === "another container" ? two : one, "/mcp", {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: id, reason: "the user went away" }
      }, headers)
      expect(cancelB.status).toBe(202)
      // Not running in B's container: B leaves word in the session inbox for A's container.
      // Running in B's own container: it is stopped there, and the inbox is not needed.
      const kept = await runOnTables(Effect.flatMap(Inbox, (inbox) => inbox.read(sessionId, [cancelKey(id)])))
      expect([...kept.keys()]).toEqual(where === "another container" ? [cancelKey(id)] : [])

      await within(streamA.ended, 5_000, "A's stream to end after the cancellation")
      const elapsed = Date.now() - started
      // Another container learns of it by polling the inbox each second; the same one at once.
      expect(elapsed).toBeLessThan(where === "another container" ? 4_000 : 2_000)
      const messages = messagesOf(streamA.events)
      expect(messages.filter((message) => message.id === id)).toEqual([])
      expect(messages.filter((message) => "result" in message || "error" in message)).toEqual([])
      expect(messages.map((message) => message.method)).toEqual(["elicitation/create"])
      // Not invoked again, and A's invocation itself ended (nothing left running in the background).
      expect(lambda.invocationsOf("patient")).toHaveLength(invocationsBefore + 1)
      await expect.poll(() => one.active(), { timeout: 3_000 }).toBe(0)
    }, 30_000)
  }

  it("legacy SSE: GET /sse streams the question and the result; the call and the answer are POSTs in other invocations", async () => {
    const get = await fetch(`${one.url}/sse`, { headers: { accept: "text/event-stream", "x-test-principal": ALICE } })
    const stream = readSse(get)
    try {
      await stream.until((events) => events.some((event) => event.event === "endpoint"))
      const endpoint = stream.events.find((event) => event.event === "endpoint")!.data
      const legacyMessages = () => stream.events.filter((event) => event.event === "message").map((event) => JSON.parse(event.data) as Json)

      expect((await post(two, endpoint, {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: { elicitation: {} }, clientInfo: { name: "raw", version: "1" } }
      })).status).toBe(202)
      await stream.until(() => legacyMessages().some((message) => message.id === 1))
      expect((await post(two, endpoint, { jsonrpc: "2.0", method: "notifications/initialized" })).status).toBe(202)

      const asked = lambda.invocationsOf("asker").length
      // A: accepted only once the call is done, so it runs on while the question is out.
      let acceptedA = false
      const callA = post(two, endpoint, callTool(2, "asker", { question: "Legacy name?" })).then((response) => {
        acceptedA = true
        return response
      })
      await stream.until(() => legacyMessages().some((message) => message.method === "elicitation/create"))
      const question = legacyMessages().find((message) => message.method === "elicitation/create")
      expect(question).toMatchObject({ id: expect.stringMatching(/^srv-/), params: { message: "Legacy name?" } })
      expect(acceptedA).toBe(false)

      // B: the answer, in the streaming container this time (still its own invocation).
      const answer = { action: "accept", content: { name: "Grace" } }
      expect((await post(one, endpoint, { jsonrpc: "2.0", id: question.id, result: answer })).status).toBe(202)
      expect((await within(callA, 10_000, "A to be accepted")).status).toBe(202)
      await stream.until(() => legacyMessages().some((message) => message.id === 2))
      expect(legacyMessages().find((message) => message.id === 2)).toEqual({
        jsonrpc: "2.0",
        id: 2,
        result: {
          content: [{ type: "text", text: JSON.stringify({ got: answer, state: "asked-for-name" }) }],
          structuredContent: { got: answer, state: "asked-for-name" }
        }
      })
      const invocations = lambda.invocationsOf("asker").slice(asked)
      expect(invocations.map(({ event }) => (event as ToolEvent).inputResponses)).toEqual([undefined, { name: answer }])
    } finally {
      await stream.cancel()
    }
  }, 60_000)

  it("the SDK client answers a function's question over Streamable HTTP", async () => {
    const client = new Client({ name: "lambda-test", version: "1.0.0" }, { capabilities: { elicitation: {} } })
    client.setRequestHandler(ElicitRequestSchema, async (request) => ({
      action: "accept",
      content: { name: `answer to ${request.params.message}` }
    }))
    await client.connect(new StreamableHTTPClientTransport(new URL(`${one.url}/mcp`), { requestInit: { headers: { "x-test-principal": ALICE } } }))
    try {
      const result = await client.callTool({ name: "asker", arguments: { question: "SDK?" } })
      expect(result.isError).toBeUndefined()
      expect(result.structuredContent).toEqual({
        got: { action: "accept", content: { name: "answer to SDK?" } },
        state: "asked-for-name"
      })
    } finally {
      await client.close()
    }
  }, 30_000)
})
