/**
 * The session inbox in the session table, next to the session: `pk = <session id>`,
 * `sk = "inbox#<key>"`, the value as JSON, expiring by TTL. "inbox#" sorts before the outbox's
 * "msg#" keys, so outbox reads never see it. A read of any number of keys is one Query.
 */
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  type WriteRequest
} from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { StoreError } from "../domain/errors.js"
import type { SessionId } from "../domain/Session.js"
import { Inbox, type InboxShape } from "../services/Inbox.js"
import { DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { TTL_ATTRIBUTE } from "./Tables.js"

export interface DynamoDBInboxOptions {
  readonly tableName: string
  /** How long an item is kept (default 1 hour: a call waits no longer than its function may run). */
  readonly ttl?: Duration.DurationInput | undefined
  readonly retry?: RetryPolicy | undefined
}

const PREFIX = "inbox#"

export const make = (options: DynamoDBInboxOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const TableName = options.tableName
    const ttl = Duration.toMillis(options.ttl ?? Duration.hours(1))
    const retry = retrying(options.retry)
    const call = <A>(operation: string, send: Parameters<typeof dynamo.send<A>>[1]) =>
      dynamo.send(operation, send).pipe(retry, Effect.mapError((cause) => new StoreError({ operation, cause })))

    const put = Effect.fn("Inbox.put")(function* (sessionId: SessionId, key: string, value: unknown) {
      const now = yield* Clock.currentTimeMillis
      yield* call("Inbox.put", (client) =>
        client.send(new PutItemCommand({
          TableName,
          Item: marshall({
            pk: sessionId,
            sk: `${PREFIX}${key}`,
            value: JSON.stringify(value ?? null),
            expiresAt: now + ttl,
            [TTL_ATTRIBUTE]: Math.ceil((now + ttl) / 1000)
          })
        })))
    })

    const read = Effect.fn("Inbox.read")(function* (sessionId: SessionId, keys: ReadonlyArray<string>) {
      const found = new Map<string, unknown>()
      if (keys.length === 0) return found as ReadonlyMap<string, unknown>
      const wanted = new Set(keys)
      const now = yield* Clock.currentTimeMillis
      let start: QueryCommandOutput["LastEvaluatedKey"]
      do {
        const output: QueryCommandOutput = yield* call("Inbox.read", (client) =>
          client.send(new QueryCommand({
            TableName,
            ConsistentRead: true,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: marshall({ ":pk": sessionId, ":prefix": PREFIX }),
            ...(start === undefined ? {} : { ExclusiveStartKey: start })
          })))
        for (const item of (output.Items ?? []).map((raw) => unmarshall(raw))) {
          const key = String(item["sk"]).slice(PREFIX.length)
          if (wanted.has(key) && Number(item["expiresAt"]) > now) found.set(key, JSON.parse(String(item["value"])))
        }
        start = output.LastEvaluatedKey
      } while (start !== undefined)
      return found as ReadonlyMap<string, unknown>
    })

    const remove = Effect.fn("Inbox.remove")(function* (sessionId: SessionId, keys: ReadonlyArray<string>) {
      for (let index = 0; index < keys.length; index += 25) {
        let pending: Record<string, Array<WriteRequest>> | undefined = {
          [TableName]: keys.slice(index, index + 25).map((key) => ({
            DeleteRequest: { Key: marshall({ pk: sessionId, sk: `${PREFIX}${key}` }) }
          }))
        }
        while (pending !== undefined && Object.keys(pending).length > 0) {
          const items: Record<string, Array<WriteRequest>> = pending
          const output: BatchWriteItemCommandOutput = yield* call("Inbox.remove", (client) =>
            client.send(new BatchWriteItemCommand({ RequestItems: items })))
          pending = output.UnprocessedItems
        }
      }
    })

    return { put, read, remove } satisfies InboxShape
  })

export const layer = (options: DynamoDBInboxOptions): Layer.Layer<Inbox, never, DynamoDB> => Layer.effect(Inbox, make(options))

/** In `SESSION_TABLE_NAME`. */
export const makeConfig = Effect.flatMap(Config.string("SESSION_TABLE_NAME"), (tableName) => make({ tableName }))

export const layerConfig = Layer.effect(Inbox, makeConfig)
