/**
 * MCP 2026-07-28 on the real Lambda handler path: the MCP handler under lambda-local on
 * DynamoDB Local, invoking functions through the loopback stand-in of Lambda's Invoke API. A
 * counter in front of DynamoDB names the table of every request, so a test can tell that a
 * 2026-07-28 request reads no session. Handler instances stand for containers, each with its
 * own runtime: a question's round trip starts in one and ends in another, carried only by the
 * sealed `requestState` the client echoes — which needs one sealing key for every container.
 */
import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { createTables, type TableNames } from "../../src/layers/Tables.js"
import * as DynamoDBRegistry from "../../src/layers/DynamoDBRegistry.js"
import { Registry } from "../../src/services/Registry.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { type DynamoDBCounter, serveDynamoDBCounter } from "../support/dynamodbCounter.js"
import { toolSpec } from "../support/fixtures.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { type Json, readJson } from "../support/json.js"
import { type LambdaInvokeStandIn, serveLambdaInvoke } from "../support/lambdaInvokeStandIn.js"
import { MODERN_VERSION, postModern } from "../support/modernRequest.js"

const dynamodb = inject("dynamodbEndpoint")

const ALICE = "arn:aws:iam::123456789012:user/alice"
const QUESTION_SCHEMA = { type: "object", properties: { name: { type: "string" } }, required: ["name"] }
const ANSWER = { action: "accept", content: { name: "Ada" } }

interface ToolEvent {
  readonly args: { readonly question?: string }
  readonly inputResponses?: Record<string, unknown>
  readonly requestState?: string
  readonly extra: Record<string, unknown>
}

/** The functions the stand-in runs: one that shows what it was given, one that asks first. */
const functions = {
  echo: (event: unknown) => {
    const { args, extra } = event as ToolEvent
    return { args, extra }
  },
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
  }
}

describe.skipIf(dynamodb === "")("MCP 2026-07-28 through the Lambda handler (lambda-local, DynamoDB Local, Invoke stand-in)", () => {
  let names: TableNames
  let counter: DynamoDBCounter
  let lambda: LambdaInvokeStandIn
  let mcpHandler: () => unknown
  /** Containers of a deployment with REQUEST_STATE_KEY. */
  let one: FunctionUrl
  let two: FunctionUrl
  const sharedKey = randomBytes(32).toString("base64")

  beforeAll(async () => {
    names = freshTableNames()
    await Effect.runPromise(Effect.gen(function* () {
      yield* createTables(names)
      const registry = yield* Registry
      const schema = { type: "object", properties: { question: { type: "string" }, text: { type: "string" } } }
      yield* Effect.forEach(["echo", "asker"], (name) => registry.create(toolSpec(name, { inputSchema: schema })))
    }).pipe(
      Effect.provide(DynamoDBRegistry.layer({ tableName: names.registrations })),
      Effect.provide(clientLayer(dynamodb))
    ))
    counter = await serveDynamoDBCounter(dynamodb)
    lambda = await serveLambdaInvoke(functions)
    delete process.env["RATE_LIMIT_PER_MINUTE"]
    setHandlerEnvironment({ tables: names, dynamodb: counter.endpoint, lambda: lambda.endpoint }, {
      POLL_MIN_MS: "20",
      POLL_MAX_MS: "200",
      REGISTRY_WATCH_SECONDS: "60",
      MAX_STREAM_SECONDS: "120",
      // As a deployment would set it: every container seals and unseals with this key.
      REQUEST_STATE_KEY: sharedKey
    })
    // lambda-local (imported by the Function URL support) has installed the `awslambda` global.
    mcpHandler = (await import("../../src/hosts/LambdaMcp.js")).mcpHandler
    // Each handler builds its runtime (and reads its configuration) on its first invocation.
    one = await serveFunction(mcpHandler(), { timeoutMs: 120_000 })
    two = await serveFunction(mcpHandler(), { timeoutMs: 120_000 })
  }, 60_000)

  afterAll(async () => {
    await one?.close()
    await two?.close()
    await lambda?.close()
    await counter?.close()
  })

  const mcpOf = (container: FunctionUrl) => `${container.url}/mcp`
  const asAlice = { "x-test-principal": ALICE }

  /** The DynamoDB requests since `from` (an index into the counter's log), by table: their operations. */
  const requestsByTable = (from: number) => {
    const byTable: Record<string, Array<string>> = {}
    for (const { operation, table } of counter.log().slice(from)) (byTable[table ?? "(none)"] ??= []).push(operation)
    return byTable
  }

  const settled = () => expect.poll(() => one.active() + two.active(), { timeout: 5_000 }).toBe(0)

  const askRound = async (container: FunctionUrl, id: number, question: string) => {
    const response = await postModern(mcpOf(container), id, "tools/call", { name: "asker", arguments: { question } }, {
      capabilities: { elicitation: {} },
      headers: asAlice
    })
    expect(response.status).toBe(200)
    const body = await readJson(response)
    expect(body).toEqual({
      jsonrpc: "2.0",
      id,
      result: {
        resultType: "input_required",
        inputRequests: { name: { method: "elicitation/create", params: { message: question, requestedSchema: QUESTION_SCHEMA } } },
        requestState: expect.stringMatching(/^v1\.[\w-]+\.[\w-]+$/),
        _meta: expect.anything()
      }
    })
    return body.result.requestState as string
  }

  const answerRound = (container: FunctionUrl, id: number, question: string, requestState: string) =>
    postModern(mcpOf(container), id, "tools/call", {
      name: "asker",
      arguments: { question },
      inputResponses: { name: ANSWER },
      requestState
    }, { capabilities: { elicitation: {} }, headers: asAlice })

  const answered = (id: number): Json => ({
    jsonrpc: "2.0",
    id,
    result: {
      resultType: "complete",
      content: [{ type: "text", text: JSON.stringify({ got: ANSWER, state: "asked-for-name" }) }],
      structuredContent: { got: ANSWER, state: "asked-for-name" },
      _meta: expect.anything()
    }
  })

  it("a tools/call reads no session: the registry table is the only one it touches", async () => {
    const from = counter.log().length
    // The first request of container one: its runtime is built now, cold, as on Lambda.
    const response = await postModern(mcpOf(one), 1, "tools/call", { name: "echo", arguments: { text: "hi" } }, {
      capabilities: { sampling: {} },
      headers: asAlice
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("mcp-session-id")).toBeNull()
    const body = await readJson(response)
    expect(body).toMatchObject({ jsonrpc: "2.0", id: 1, result: { resultType: "complete", structuredContent: { args: { text: "hi" } } } })
    // What the function saw: the caller, the revision and this request's capabilities; no session.
    const { extra } = body.result.structuredContent
    expect(extra).toMatchObject({ principal: ALICE, protocolVersion: MODERN_VERSION, clientCapabilities: { sampling: {} } })
    expect(extra).not.toHaveProperty("sessionId")
    await settled()

    const requests = requestsByTable(from)
    expect(Object.keys(requests)).toEqual([names.registrations])
    expect(requests[names.sessions]).toBeUndefined()
  })

  it("a question's round trip spans two containers: input_required from one, the answer completes in the other", async () => {
    const from = counter.log().length
    const asked = lambda.invocationsOf("asker").length
    const invocationsOfTwo = two.invocations()

    const requestState = await askRound(one, 2, "Your name?")
    const response = await answerRound(two, 3, "Your name?", requestState)
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual(answered(3))
    expect(two.invocations()).toBe(invocationsOfTwo + 1)

    // The function ran twice: first with the arguments, then with the answers and its own state
    // (unsealed by the other container), with no session either time.
    const invocations = lambda.invocationsOf("asker").slice(asked).map(({ event }) => event as ToolEvent)
    expect(invocations.map(({ args, inputResponses, requestState: state }) => ({ args, inputResponses, requestState: state }))).toEqual([
      { args: { question: "Your name?" }, inputResponses: undefined, requestState: undefined },
      { args: { question: "Your name?" }, inputResponses: { name: ANSWER }, requestState: "asked-for-name" }
    ])
    expect(invocations.map(({ extra }) => extra["sessionId"])).toEqual([undefined, undefined])
    await settled()
    // Both rounds, both containers: not one session-table request (the key is configured).
    expect(requestsByTable(from)[names.sessions]).toBeUndefined()
  })

  it("a tampered requestState is a JSON-RPC error -32602, and the function is not invoked", async () => {
    const requestState = await askRound(one, 4, "Tampered?")
    const asked = lambda.invocationsOf("asker").length
    const [version, payload, mac] = requestState.split(".") as [string, string, string]
    const tampered = `${version}.${payload}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`
    const response = await answerRound(two, 5, "Tampered?", tampered)
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({
      jsonrpc: "2.0",
      id: 5,
      error: { code: -32602, message: "Invalid params: requestState rejected: tampered" }
    })
    // Nor a state whose payload was changed under its MAC (here: another caller's name in it).
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString("utf8")), p: "mallory" }))
    const refused = await answerRound(two, 6, "Tampered?", `${version}.${forged.toString("base64url")}.${mac}`)
    expect(await readJson(refused)).toMatchObject({ id: 6, error: { code: -32602, message: "Invalid params: requestState rejected: tampered" } })
    expect(lambda.invocationsOf("asker")).toHaveLength(asked)
  })

  it("an Mcp-Session-Id header on a 2026-07-28 request is ignored: served, no session read, none returned", async () => {
    await settled()
    const from = counter.log().length
    const response = await postModern(mcpOf(two), 7, "tools/call", { name: "echo", arguments: { text: "sessionless" } }, {
      headers: { ...asAlice, "mcp-session-id": "not-a-session-of-anyone" }
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("mcp-session-id")).toBeNull()
    const body = await readJson(response)
    expect(body).toMatchObject({ id: 7, result: { resultType: "complete", structuredContent: { args: { text: "sessionless" } } } })
    expect(body.result.structuredContent.extra).not.toHaveProperty("sessionId")
    await settled()
    expect(requestsByTable(from)[names.sessions]).toBeUndefined()
  })

  it("a 2025 request without a session id is still 400", async () => {
    const response = await fetch(mcpOf(one), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
        ...asAlice
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/list", params: {} })
    })
    expect(response.status).toBe(400)
    expect(await readJson(response)).toMatchObject({
      jsonrpc: "2.0",
      error: { code: -32600, message: "Bad Request: the Mcp-Session-Id header is required" }
    })
  })

  it("without REQUEST_STATE_KEY, containers share a key kept in the session table: the round trip still spans two", async () => {
    delete process.env["REQUEST_STATE_KEY"]
    const three = await serveFunction(mcpHandler(), { timeoutMs: 120_000 })
    const four = await serveFunction(mcpHandler(), { timeoutMs: 120_000 })
    try {
      const quiet = () => expect.poll(() => three.active() + four.active(), { timeout: 5_000 }).toBe(0)
      const first = counter.log().length
      const requestState = await askRound(three, 9, "Keyless?")
      await quiet()
      // Container three made the key (none there yet: read, then a conditional put).
      expect(requestsByTable(first)[names.sessions]).toEqual(["GetItem", "PutItem"])

      const second = counter.log().length
      const response = await answerRound(four, 10, "Keyless?", requestState)
      expect(await readJson(response)).toEqual(answered(10))
      await quiet()
      // Container four read it.
      expect(requestsByTable(second)[names.sessions]).toEqual(["GetItem"])

      // Each keeps the key once it has it: another round trip reads no session table.
      const third = counter.log().length
      const again = await askRound(four, 11, "Keyless again?")
      expect(await readJson(await answerRound(three, 12, "Keyless again?", again))).toEqual(answered(12))
      await quiet()
      expect(requestsByTable(third)[names.sessions]).toBeUndefined()

      // A state sealed with the configured key (containers one and two) does not open here.
      const foreign = await askRound(one, 13, "Other key?")
      expect(await readJson(await answerRound(four, 14, "Other key?", foreign))).toMatchObject({
        id: 14,
        error: { code: -32602, message: "Invalid params: requestState rejected: tampered" }
      })
    } finally {
      process.env["REQUEST_STATE_KEY"] = sharedKey
      await three.close()
      await four.close()
    }
  }, 60_000)
})
