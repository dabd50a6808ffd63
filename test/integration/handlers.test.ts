/**
 * The two Lambda handlers under lambda-local (streaming as the Lambda Node.js runtime does),
 * on DynamoDB Local, invoking tools through moto's Lambda API. Every HTTP request is its own
 * invocation: `GET /sse` and each `POST /message` never share one, as on AWS.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { createTables } from "../../src/layers/Tables.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { readJson } from "../support/json.js"
import { createFunction, credentials } from "../support/moto.js"
import { readSse } from "../support/sse.js"

const dynamodb = inject("dynamodbEndpoint")
const moto = inject("motoEndpoint")

const ALICE = "arn:aws:iam::123456789012:user/alice"
const BOB = "arn:aws:iam::123456789012:user/bob"

describe.skipIf(dynamodb === "" || moto === "")("Lambda handlers (lambda-local, DynamoDB Local, moto)", () => {
  let mcp: FunctionUrl
  let registration: FunctionUrl
  let echoArn = ""
  let handlers: { mcp: unknown; registration: unknown }

  beforeAll(async () => {
    const names = freshTableNames()
    await Effect.runPromise(createTables(names).pipe(Effect.provide(clientLayer(dynamodb))))
    echoArn = await createFunction(moto, "echo")
    setHandlerEnvironment({ tables: names, dynamodb, lambda: moto }, {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      POLL_MIN_MS: "20",
      POLL_MAX_MS: "200",
      REGISTRY_WATCH_SECONDS: "1",
      MAX_STREAM_SECONDS: "120"
    })
    // lambda-local (imported by the Function URL support) has installed the `awslambda` global.
    handlers = {
      mcp: (await import("../../src/handlers/mcp.js")).handler,
      registration: (await import("../../src/handlers/registration.js")).handler
    }
    mcp = await serveFunction(handlers.mcp, { timeoutMs: 120_000 })
    registration = await serveFunction(handlers.registration, { timeoutMs: 30_000 })
  }, 60_000)

  afterAll(async () => {
    await mcp?.close()
    await registration?.close()
  })

  const register = (body: unknown, method = "POST", path = "/register", headers: Record<string, string> = {}) =>
    fetch(`${registration.url}${path}`, {
      method,
      headers: { "content-type": "application/json", "x-test-principal": ALICE, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })

  it("the registration handler creates, lists, reads, updates and deletes", async () => {
    const tool = {
      type: "tool",
      name: "echo",
      description: "Echoes its arguments",
      lambdaArn: echoArn,
      parameters: { text: "string" }
    }
    const created = await register(tool)
    expect(created.status).toBe(201)
    expect(await readJson(created)).toMatchObject({ id: "tool-echo", version: 1 })
    expect((await register(tool)).status).toBe(409)
    const temporary = { ...tool, name: "temporary" }
    expect((await register(temporary)).status).toBe(201)
    const listed = await readJson(await register(undefined, "GET"))
    expect(listed.items.map((item: { id: string }) => item.id)).toEqual(["tool-echo", "tool-temporary"])
    expect((await register(undefined, "GET", "/register/tool-temporary")).status).toBe(200)
    const updated = await register({ ...temporary, description: "v2" }, "PUT", "/register/tool-temporary", { "if-match": "\"1\"" })
    expect(updated.status).toBe(200)
    expect((await readJson(updated)).version).toBe(2)
    expect((await register({ ...temporary, description: "v3" }, "PUT", "/register/tool-temporary", { "if-match": "\"1\"" })).status).toBe(412)
    expect((await register(undefined, "DELETE", "/register/tool-temporary")).status).toBe(204)
    expect((await register(undefined, "GET", "/register/tool-temporary")).status).toBe(404)
  })

  const clients = {
    "Streamable HTTP": () =>
      new StreamableHTTPClientTransport(new URL(`${mcp.url}/mcp`), { requestInit: { headers: { "x-test-principal": ALICE } } }),
    "legacy SSE": () =>
      new SSEClientTransport(new URL(`${mcp.url}/sse`), {
        requestInit: { headers: { "x-test-principal": ALICE } },
        eventSourceInit: {
          fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, "x-test-principal": ALICE } })
        }
      })
  }

  for (const [name, transport] of Object.entries(clients)) {
    it(`the SDK client runs a whole session over ${name}, one invocation per request`, async () => {
      const before = mcp.invocations()
      const client = new Client({ name: "lambda-test", version: "1.0.0" })
      await client.connect(transport())
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name)).toContain("echo")
      const result = await client.callTool({ name: "echo", arguments: { text: `hello over ${name}` } })
      // moto's Lambda echoes the event: the tool saw the payload contract, the caller included.
      expect(result.structuredContent).toMatchObject({
        args: { text: `hello over ${name}` },
        extra: { principal: ALICE, protocolVersion: expect.any(String) }
      })
      const invalid = await client.callTool({ name: "echo", arguments: {} })
      expect(invalid.isError).toBe(true)
      await client.close()
      // initialize, initialized, tools/list, two tools/call (+ the stream for SSE/GET).
      expect(mcp.invocations() - before).toBeGreaterThanOrEqual(5)
    }, 60_000)
  }

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${mcp.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(body)
    })

  it("a session belongs to the principal that created it", async () => {
    const init = await post("/mcp", {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
    }, { "x-test-principal": ALICE })
    const sessionId = init.headers.get("mcp-session-id")!
    expect(init.status).toBe(200)
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" }
    expect((await post("/mcp", ping, { "x-test-principal": ALICE, "mcp-session-id": sessionId })).status).toBe(200)
    expect((await post("/mcp", ping, { "x-test-principal": BOB, "mcp-session-id": sessionId })).status).toBe(404)
  })

  // Answers from 1 KB to 1 MB, half of them incompressible: the larger go into the outbox
  // compressed, or in parts, past DynamoDB's 400 KB item limit.
  it("20 legacy sessions × 50 concurrent tools/call with answers of 1 KB–1 MB: each arrives exactly once, whole, in append order", async () => {
    const SESSIONS = 20
    const MESSAGES = 50
    const textOf = (s: number, m: number) => {
      const bytes = Math.round(512 * 1000 ** (m / (MESSAGES - 1)))
      const seed = `${s}:${m}:`
      return m % 2 === 0
        ? seed.repeat(Math.ceil(bytes / seed.length)).slice(0, bytes)
        : randomBytes(Math.ceil((bytes * 3) / 4)).toString("base64").slice(0, bytes)
    }
    const texts = new Map<string, string>()
    const streams = await Promise.all(
      Array.from({ length: SESSIONS }, async () => {
        const response = await fetch(`${mcp.url}/sse`, { headers: { accept: "text/event-stream", "x-test-principal": ALICE } })
        const sse = readSse(response)
        await sse.until((events) => events.some((event) => event.event === "endpoint"))
        const endpoint = sse.events.find((event) => event.event === "endpoint")!.data
        return { sse, endpoint }
      })
    )
    // Every message is its own invocation; at most 40 run at once on this 2-core machine.
    const jobs = streams.flatMap(({ endpoint }, s) =>
      Array.from({ length: MESSAGES }, (_, m) => () => {
        const id = `${s}:${m}`
        const text = textOf(s, m)
        texts.set(id, text)
        return post(endpoint, { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } }, {
          "x-test-principal": ALICE
        }).then((r) => r.status)
      })
    )
    const statuses: Array<number> = []
    let next = 0
    await Promise.all(Array.from({ length: 40 }, async () => {
      while (next < jobs.length) statuses.push(await jobs[next++]!())
    }))
    expect(statuses.every((status) => status === 202)).toBe(true)
    for (const [s, { sse }] of streams.entries()) {
      await sse.until((events) => events.filter((event) => event.event === "message").length >= MESSAGES, 120_000)
      const messages = sse.events.filter((event) => event.event === "message").map((event) => ({
        seq: Number(event.id),
        answer: JSON.parse(event.data) as { id: string; result: { structuredContent: { args: { text: string } } } }
      }))
      const ids = messages.map(({ answer }) => answer.id)
      expect(new Set(ids).size).toBe(MESSAGES)
      expect([...ids].sort()).toEqual(Array.from({ length: MESSAGES }, (_, m) => `${s}:${m}`).sort())
      for (const { answer } of messages) {
        expect(answer.result?.structuredContent, JSON.stringify(answer).slice(0, 500)).toBeDefined()
        expect(answer.result.structuredContent.args.text === texts.get(answer.id), answer.id).toBe(true)
      }
      const seqs = messages.map(({ seq }) => seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      await sse.cancel()
    }
  }, 240_000)

  // How long before the deadline, exactly, is test/unit/SessionStream.test.ts's (on the TestClock);
  // here, that the handler hands Lambda's remaining time to the stream: with no more than the
  // 10 s margin left, the stream ends by itself after its endpoint event, and ends its session.
  it("a stream ends cleanly, by itself, when no more than the deadline margin is left", async () => {
    const short = await serveFunction(handlers.mcp, { timeoutMs: 10_000 })
    try {
      const response = await fetch(`${short.url}/sse`, { headers: { "x-test-principal": ALICE } })
      const sse = readSse(response)
      // Rejects if the stream broke (e.g. cut at the timeout) instead of ending.
      await sse.ended
      expect(sse.events.map((event) => event.event)).toEqual(["endpoint"])
      await expect.poll(() => short.active(), { timeout: 5_000 }).toBe(0)
      // A legacy stream's end is its session's end.
      const endpoint = sse.events[0]!.data
      expect((await post(endpoint, { jsonrpc: "2.0", id: 1, method: "ping" }, { "x-test-principal": ALICE })).status).toBe(404)
    } finally {
      await short.close()
    }
  }, 30_000)

  it("a stream stops promptly when the client disconnects", async () => {
    const controller = new AbortController()
    // Streams of earlier tests finish closing first.
    await expect.poll(() => mcp.active(), { timeout: 10_000 }).toBe(0)
    const before = mcp.active()
    const response = await fetch(`${mcp.url}/sse`, { headers: { "x-test-principal": ALICE }, signal: controller.signal })
    const sse = readSse(response)
    await sse.until((events) => events.length > 0)
    expect(mcp.active()).toBe(before + 1)
    controller.abort()
    await expect.poll(() => mcp.active(), { timeout: 3_000 }).toBe(before)
  }, 30_000)

  it("BUFFERED mode answers whole responses; streaming endpoints say why they are absent", async () => {
    process.env["INVOKE_MODE"] = "BUFFERED"
    try {
      const { mcpHandler } = await import("../../src/hosts/LambdaMcp.js")
      const buffered = mcpHandler() as (event: unknown, context: unknown) => Promise<{
        statusCode: number
        headers: Record<string, string>
        body: string
      }>
      const context = { getRemainingTimeInMillis: () => 30_000 }
      const event = (method: string, rawPath: string, body?: unknown, headers: Record<string, string> = {}) => ({
        version: "2.0",
        rawPath,
        rawQueryString: "",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body), isBase64Encoded: false }),
        requestContext: { http: { method }, authorizer: { iam: { userArn: ALICE, accountId: "123456789012" } } }
      })
      const init = await buffered(event("POST", "/mcp", {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      }), context)
      expect(init.statusCode).toBe(200)
      expect(init.headers["mcp-session-id"]).toBeDefined()
      expect(JSON.parse(init.body)).toMatchObject({ result: { protocolVersion: "2025-06-18" } })
      const get = await buffered(event("GET", "/mcp", undefined, { "mcp-session-id": init.headers["mcp-session-id"]! }), context)
      expect(get.statusCode).toBe(405)
      const sse = await buffered(event("GET", "/sse"), context)
      expect(sse.statusCode).toBe(501)
      expect(JSON.parse(sse.body).message).toMatch(/RESPONSE_STREAM/)
    } finally {
      delete process.env["INVOKE_MODE"]
    }
  }, 30_000)
})

