/**
 * `npm run bench` (issue 13, DynamoDB): the DynamoDB requests each MCP operation costs, counted
 * on the MCP bundle as it ships (`dist/lambda/mcp/index.mjs`, response streaming, the Lambda
 * defaults) run by lambda-local behind a Function URL stand-in, on DynamoDB Local through a
 * counting proxy, its function behind a stand-in of Lambda's Invoke API. One container (one
 * handler instance), warm after `initialize`.
 *
 * Targets (issue 13): `tools/call` on Streamable HTTP ≤ 1 request, 0 on the 2026-07-28 path;
 * `tools/list` from a warm container ≤ 1.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { createTables } from "../src/layers/Tables.js"
import * as DynamoDBRegistry from "../src/layers/DynamoDBRegistry.js"
import { Registry } from "../src/services/Registry.js"
import * as Settings from "../src/Settings.js"
import { clientLayer, freshTableNames } from "../test/support/dynamodb.js"
import { serveDynamoDBCounter } from "../test/support/dynamodbCounter.js"
import { toolSpec } from "../test/support/fixtures.js"
import { serveFunction, setHandlerEnvironment } from "../test/support/functionUrl.js"
import { serveLambdaInvoke } from "../test/support/lambdaInvokeStandIn.js"
import { ServiceGroup, startDynamoDbLocal } from "../test/support/localServices.js"
import { postModern } from "../test/support/modernRequest.js"
import { answerText, readSse } from "../test/support/sse.js"
import { copyBundle, met } from "./support.js"

const PRINCIPAL = { "x-test-principal": "arn:aws:iam::123456789012:user/bench" }
const VERSION = "2025-11-25"
const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" }
const ADDER_SCHEMA = { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] }

const adder = (event: unknown) => {
  const { a, b } = (event as { args: { a: number; b: number } }).args
  return { statusCode: 200, body: JSON.stringify({ content: [{ type: "text", text: String(a + b) }] }) }
}

/** The JSON-RPC answer of a response: a JSON body, or the last `data:` line of a short event stream. */
const answerOf = async (answered: Response | Promise<Response>) => {
  const response = await answered
  const text = await response.text()
  if (!response.ok) throw new Error(`answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(answerText(text) || "{}") as { result?: { content?: ReadonlyArray<{ text?: string }> }; error?: unknown }
}

const checkSum = (answer: Awaited<ReturnType<typeof answerOf>>, sum: number) => {
  if (answer.result?.content?.[0]?.text !== String(sum)) throw new Error(`tools/call answered ${JSON.stringify(answer).slice(0, 300)}`)
}

process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"
const group = new ServiceGroup()
try {
  const endpoint = await startDynamoDbLocal(group, (what, why) => {
    throw new Error(`${what}: ${why}`)
  })
  const tables = freshTableNames()
  await Effect.runPromise(Effect.gen(function* () {
    yield* createTables(tables)
    yield* (yield* Registry).create(toolSpec("adder", { inputSchema: ADDER_SCHEMA }))
  }).pipe(Effect.provide(DynamoDBRegistry.layer({ tableName: tables.registrations })), Effect.provide(clientLayer(endpoint))))
  const counter = await serveDynamoDBCounter(endpoint)
  const lambda = await serveLambdaInvoke({ adder })
  setHandlerEnvironment({ tables, dynamodb: counter.endpoint, lambda: lambda.endpoint }, {
    INVOKE_MODE: "RESPONSE_STREAM",
    LOG_LEVEL: "ERROR",
    // As template.yaml sets it for the MCP function.
    REGISTRY_STAMP_CACHE_MS: "1000"
  })
  // A copy of the bundle, so that a build running meanwhile does not pull it away.
  const bundle = copyBundle("mcp", mkdtempSync(join(tmpdir(), "bench-dynamodb-")))
  const { handler } = (await import(bundle)) as { handler: unknown }
  const container = await serveFunction(handler, { timeoutMs: 120_000 })
  const mcp = `${container.url}/mcp`

  const rows: Array<{ operation: string; requests: number; detail: string }> = []
  /** Runs `operation` and records the DynamoDB requests it made, by operation name. */
  const counted = async <A>(operation: string, run: () => Promise<A>) => {
    const before = counter.counts()
    const result = await run()
    const by = counter.since(before)
    const requests = Object.values(by).reduce((sum, count) => sum + count, 0)
    rows.push({ operation, requests, detail: Object.entries(by).map(([name, count]) => `${name} ${count}`).join(", ") })
    return result
  }
  const post = (body: unknown, sessionId?: string) =>
    fetch(mcp, {
      method: "POST",
      headers: { ...JSON_HEADERS, ...PRINCIPAL, ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId, "mcp-protocol-version": VERSION }) },
      body: JSON.stringify(body)
    })

  const sessionId = await counted("initialize (2025-11-25)", async () => {
    const response = await post({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } }
    })
    await response.text()
    return response.headers.get("mcp-session-id")!
  })
  await counted("notifications/initialized", async () => (await post({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)).text())
  await counted("tools/list (first in the container)", () => answerOf(post({ jsonrpc: "2.0", id: 1, method: "tools/list" }, sessionId)))
  await counted("tools/list (warm container)", () => answerOf(post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, sessionId)))
  for (const [id, label] of [[3, "tools/call, Streamable HTTP (first)"], [4, "tools/call, Streamable HTTP (warm)"]] as const) {
    await counted(label, async () =>
      checkSum(await answerOf(post({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "adder", arguments: { a: id, b: 1 } } }, sessionId)), id + 1))
  }
  for (const [id, label] of [[5, "tools/call, 2026-07-28 (first)"], [6, "tools/call, 2026-07-28 (warm)"]] as const) {
    await counted(label, async () =>
      checkSum(await answerOf(await postModern(mcp, id, "tools/call", { name: "adder", arguments: { a: id, b: 1 } }, { headers: PRINCIPAL })), id + 1))
  }
  // A session's first stream also records what it saw of the registry; later ones do not.
  let streamRequests = 0
  for (const which of ["first", "later"]) {
    await counted(`idle GET /mcp stream, ${which} (ends after ${Settings.DEFAULTS.IDLE_STREAM_SECONDS} s)`, async () => {
      const stream = readSse(await fetch(mcp, { headers: { accept: "text/event-stream", ...PRINCIPAL, "mcp-session-id": sessionId, "mcp-protocol-version": VERSION } }))
      await stream.closed
    })
    streamRequests = rows.at(-1)!.requests
  }

  const legacy = await counted("legacy GET /sse (opening the stream)", async () => {
    const stream = readSse(await fetch(`${container.url}/sse`, { headers: { accept: "text/event-stream", ...PRINCIPAL } }))
    await stream.until((events) => events.some((event) => event.event === "endpoint"), 30_000)
    return stream
  })
  const endpointPath = legacy.events.find((event) => event.event === "endpoint")!.data
  // Let the stream settle into its idle backoff, as a session does between calls.
  await new Promise((done) => setTimeout(done, 1_000))
  const before = counter.counts()
  await counted("tools/call, legacy POST /message", async () => {
    const response = await fetch(`${container.url}${endpointPath}`, {
      method: "POST",
      headers: { ...JSON_HEADERS, ...PRINCIPAL },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "adder", arguments: { a: 7, b: 1 } } })
    })
    if (response.status !== 202) throw new Error(`POST /message answered ${response.status}`)
  })
  await legacy.until((events) => events.some((event) => event.event === "message" && JSON.parse(event.data).id === 7), 30_000)
  const delivered = Object.values(counter.since(before)).reduce((sum, count) => sum + count, 0)
  rows.push({ operation: "tools/call, legacy POST + stream reads to delivery", requests: delivered, detail: "" })
  await legacy.cancel()

  const cycle = Settings.DEFAULTS.IDLE_STREAM_SECONDS + Settings.DEFAULTS.IDLE_STREAM_RETRY_SECONDS
  console.log("DynamoDB requests per operation (the MCP bundle under lambda-local, DynamoDB Local; one warm container)")
  for (const row of rows) console.log(`  ${row.operation.padEnd(52)} ${String(row.requests).padStart(3)}   ${row.detail}`)
  console.log(
    `  idle Streamable HTTP client, per minute (a ${Settings.DEFAULTS.IDLE_STREAM_SECONDS} s stream every ${cycle} s): ` +
      `${((streamRequests * 60) / cycle).toFixed(1)} (later streams); the legacy idle stream's minute: bench/relay.ts (test clock)`
  )
  const of = (operation: string) => rows.find((row) => row.operation === operation)!.requests
  const call = of("tools/call, Streamable HTTP (warm)")
  const modern = of("tools/call, 2026-07-28 (warm)")
  const list = of("tools/list (warm container)")
  console.log(
    `  targets: tools/call Streamable HTTP ≤ 1: ${call} ${met(call <= 1)}   2026-07-28 = 0: ${modern} ${met(modern === 0)}   ` +
      `tools/list warm ≤ 1: ${list} ${met(list <= 1)}`
  )
  console.log("")
  await container.close()
  await lambda.close()
  await counter.close()
} finally {
  await group.stopAll()
}
process.exit(0)
