/**
 * Subscriptions in the session table: one item per (URI, session), `pk = "sub#<sha256 of the
 * URI>"` (URIs can outgrow a key), `sk = <session id>`, so the sessions of a URI are one Query.
 * Items expire by TTL after `ttl` (default 7 days) or are removed when a fan-out finds their
 * session gone.
 */
import { createHash } from "node:crypto"
import { DeleteItemCommand, PutItemCommand, QueryCommand, type QueryCommandOutput } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { StoreError } from "../domain/errors.js"
import type { SessionId } from "../domain/Session.js"
import { SubscriptionStore, type SubscriptionStoreShape } from "../services/SubscriptionStore.js"
import { DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { TTL_ATTRIBUTE } from "./Tables.js"

export interface DynamoDBSubscriptionStoreOptions {
  readonly tableName: string
  readonly ttl?: Duration.DurationInput | undefined
  readonly retry?: RetryPolicy | undefined
}

const partitionOf = (uri: string) => `sub#${createHash("sha256").update(uri).digest("base64url")}`

export const make = (options: DynamoDBSubscriptionStoreOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const TableName = options.tableName
    const ttl = Duration.toMillis(options.ttl ?? Duration.days(7))
    const retry = retrying(options.retry)
    const call = <A>(operation: string, send: Parameters<typeof dynamo.send<A>>[1]) =>
      dynamo.send(operation, send).pipe(retry, Effect.mapError((cause) => new StoreError({ operation, cause })))

    const add = Effect.fn("SubscriptionStore.add")(function* (sessionId: SessionId, uri: string) {
      const now = yield* Clock.currentTimeMillis
      yield* call("SubscriptionStore.add", (client) =>
        client.send(new PutItemCommand({
          TableName,
          Item: marshall({ pk: partitionOf(uri), sk: sessionId, uri, [TTL_ATTRIBUTE]: Math.ceil((now + ttl) / 1000) })
        })))
    })

    const remove = Effect.fn("SubscriptionStore.remove")(function* (sessionId: SessionId, uri: string) {
      yield* call("SubscriptionStore.remove", (client) =>
        client.send(new DeleteItemCommand({ TableName, Key: marshall({ pk: partitionOf(uri), sk: sessionId }) })))
    })

    const sessionsOf = Effect.fn("SubscriptionStore.sessionsOf")(function* (uri: string) {
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const sessions: Array<SessionId> = []
      let start: QueryCommandOutput["LastEvaluatedKey"]
      do {
        const output: QueryCommandOutput = yield* call("SubscriptionStore.sessionsOf", (client) =>
          client.send(new QueryCommand({
            TableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: marshall({ ":pk": partitionOf(uri) }),
            ...(start === undefined ? {} : { ExclusiveStartKey: start })
          })))
        for (const item of (output.Items ?? []).map((raw) => unmarshall(raw))) {
          // TTL deletes lazily; an expired item is gone already.
          if (item["uri"] === uri && Number(item[TTL_ATTRIBUTE]) > now) sessions.push(item["sk"] as SessionId)
        }
        start = output.LastEvaluatedKey
      } while (start !== undefined)
      return sessions as ReadonlyArray<SessionId>
    })

    return { add, remove, sessionsOf } satisfies SubscriptionStoreShape
  })

export const layer = (options: DynamoDBSubscriptionStoreOptions): Layer.Layer<SubscriptionStore, never, DynamoDB> =>
  Layer.effect(SubscriptionStore, make(options))

/** In `SESSION_TABLE_NAME`. */
export const makeConfig = Effect.flatMap(Config.string("SESSION_TABLE_NAME"), (tableName) => make({ tableName }))

export const layerConfig = Layer.effect(SubscriptionStore, makeConfig)
