/**
 * The Registration function's handler under lambda-local on DynamoDB Local, configured from the
 * environment as on AWS: `POST /resources/updated` reads the subscriptions in the session table,
 * appends to the subscribed sessions' outboxes, and drops the subscriptions of ended sessions.
 */
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import type { SessionId } from "../../src/domain/Session.js"
import * as DynamoDBSessionStore from "../../src/layers/DynamoDBSessionStore.js"
import * as DynamoDBSubscriptionStore from "../../src/layers/DynamoDBSubscriptionStore.js"
import { createTables, type TableNames } from "../../src/layers/Tables.js"
import { SessionStore } from "../../src/services/SessionStore.js"
import { SubscriptionStore } from "../../src/services/SubscriptionStore.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { readJson } from "../support/json.js"

const dynamodb = inject("dynamodbEndpoint")

describe.skipIf(dynamodb === "")("Registration handler: POST /resources/updated (lambda-local, DynamoDB Local)", () => {
  let names: TableNames
  let registration: FunctionUrl

  beforeAll(async () => {
    names = freshTableNames()
    await Effect.runPromise(createTables(names).pipe(Effect.provide(clientLayer(dynamodb))))
    setHandlerEnvironment({ tables: names, dynamodb })
    const { handler } = await import("../../src/handlers/registration.js")
    registration = await serveFunction(handler, { timeoutMs: 30_000 })
  }, 60_000)

  afterAll(async () => {
    await registration?.close()
  })

  /** The MCP function's side of the table: its session store and subscription store. */
  const stores = () =>
    Layer.merge(
      DynamoDBSessionStore.layer({ tableName: names.sessions }),
      DynamoDBSubscriptionStore.layer({ tableName: names.sessions })
    ).pipe(Layer.provide(clientLayer(dynamodb)))
  const run = <A, E>(effect: Effect.Effect<A, E, SessionStore | SubscriptionStore>) =>
    Effect.runPromise(Effect.provide(effect, stores()))

  const updated = (uri: string) =>
    fetch(`${registration.url}/resources/updated`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-principal": "arn:aws:iam::123456789012:user/alice" },
      body: JSON.stringify({ uri })
    })

  it("appends notifications/resources/updated to each subscribed session's outbox and forgets ended sessions", async () => {
    const uri = "file:///notes.txt"
    const live = "live-session-0123456789abcdef" as SessionId
    const ended = "ended-session-0123456789abcdef" as SessionId
    await run(Effect.gen(function* () {
      const sessions = yield* SessionStore
      const subscriptions = yield* SubscriptionStore
      yield* sessions.create({ id: live, principal: "alice", transport: "streamable-http", protocolVersion: "2025-11-25", initialized: true })
      yield* subscriptions.add(live, uri)
      // A subscription whose session is gone (never created, as after a DELETE).
      yield* subscriptions.add(ended, uri)
      yield* subscriptions.add(live, "file:///other.txt")
    }))

    const response = await updated(uri)
    expect(response.status).toBe(200)
    expect(await readJson(response)).toEqual({ uri, notified: 1 })

    const [outbox, subscribers] = await run(Effect.gen(function* () {
      const sessions = yield* SessionStore
      const subscriptions = yield* SubscriptionStore
      return [yield* sessions.readAfter(live, 0), yield* subscriptions.sessionsOf(uri)] as const
    }))
    expect(outbox.map((entry) => entry.message)).toEqual([
      { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri } }
    ])
    expect(subscribers).toEqual([live])
    expect(await readJson(await updated("file:///nobody.txt"))).toEqual({ uri: "file:///nobody.txt", notified: 0 })
  }, 30_000)

  it("a relative URI is 400", async () => {
    const response = await updated("notes.txt")
    expect(response.status).toBe(400)
    expect(await readJson(response)).toMatchObject({ error: "InvalidUri", problems: [{ path: "uri" }] })
  }, 30_000)
})
