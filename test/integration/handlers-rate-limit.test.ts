/**
 * The per-caller rate limit as the MCP Lambda handler wires it: `RATE_LIMIT_PER_MINUTE` from the
 * environment, the DynamoDB counter in the session table (on DynamoDB Local), the handler under
 * lambda-local. The limit is per calendar minute, so the test reads the counters back instead of
 * hoping its requests share one minute.
 */
import { QueryCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import * as DynamoDB from "../../src/layers/DynamoDB.js"
import { createTables, type TableNames } from "../../src/layers/Tables.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { readJson } from "../support/json.js"

const dynamodb = inject("dynamodbEndpoint")

const ALICE = "arn:aws:iam::123456789012:user/alice"
const BOB = "arn:aws:iam::123456789012:user/bob"
const LIMIT = 2

describe.skipIf(dynamodb === "")("MCP handler rate limit (lambda-local, DynamoDB Local)", () => {
  let mcp: FunctionUrl
  let names: TableNames

  beforeAll(async () => {
    names = freshTableNames()
    await Effect.runPromise(createTables(names).pipe(Effect.provide(clientLayer(dynamodb))))
    setHandlerEnvironment({ tables: names, dynamodb }, {
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      LOG_LEVEL: "ERROR"
    })
    const { mcpHandler } = await import("../../src/hosts/LambdaMcp.js")
    mcp = await serveFunction(mcpHandler(), { timeoutMs: 30_000 })
  }, 60_000)

  afterAll(async () => {
    await mcp?.close()
  })

  const initialize = (principal: string) =>
    fetch(`${mcp.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "x-test-principal": principal },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      })
    })

  /** The principal's counters in the session table: hits per minute window. */
  const counters = (principal: string) =>
    Effect.runPromise(
      Effect.flatMap(DynamoDB.DynamoDB, (dynamo) =>
        dynamo.send("test.counters", (client) =>
          client.send(new QueryCommand({
            TableName: names.sessions,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: marshall({ ":pk": `rate#${principal}` }),
            ConsistentRead: true
          })))).pipe(
          Effect.map((output) => (output.Items ?? []).map((item) => Number(unmarshall(item)["hits"]))),
          Effect.provide(clientLayer(dynamodb))
        )
    )

  it("429 with Retry-After once a caller is over RATE_LIMIT_PER_MINUTE in a minute; other callers and /health go on", async () => {
    // /health is not counted: it builds the runtime without spending Alice's budget.
    expect((await fetch(`${mcp.url}/health`, { headers: { "x-test-principal": ALICE } })).status).toBe(200)
    const answers: Array<Response> = []
    // LIMIT + 1 requests are refused on the last unless a minute boundary fell between them; at
    // most one can in so short a burst, so 2 × LIMIT + 1 requests always end on a refusal.
    while (answers.length < 2 * LIMIT + 1 && answers.at(-1)?.status !== 429) answers.push(await initialize(ALICE))
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.at(-1)).toBe(429)
    expect(statuses.slice(0, -1).every((status) => status === 200)).toBe(true)

    const refused = answers.at(-1)!
    const retryAfter = Number(refused.headers.get("retry-after"))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(await readJson(refused)).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/^Too many requests/) } })

    // Every request was counted in DynamoDB, and no window let more than LIMIT through.
    const hits = await counters(ALICE)
    expect(hits.reduce((sum, count) => sum + count, 0)).toBe(answers.length)
    expect(hits.reduce((sum, count) => sum + Math.min(count, LIMIT), 0)).toBe(statuses.filter((status) => status === 200).length)

    expect((await initialize(BOB)).status).toBe(200)
    expect((await fetch(`${mcp.url}/health`, { headers: { "x-test-principal": ALICE } })).status).toBe(200)
    expect(await counters(BOB)).toEqual([1])
  }, 60_000)
})
