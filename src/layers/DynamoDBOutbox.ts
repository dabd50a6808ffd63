/**
 * A session's outbox on DynamoDB (layout in Tables.ts), for the session store: an append takes
 * the next sequence number from the session item (`ADD lastSeq :one`, atomic, conditioned on
 * the session being live), then writes the message under that number with `attribute_not_exists`,
 * so concurrent appends never share a number and nothing is overwritten; a number a reader gave
 * up on (`abandon`) is skipped and the message appended again under a new one. Streams read with
 * strongly consistent Queries after their cursor; expired items are filtered on read.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, QueryCommand, type QueryCommandOutput, UpdateItemCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { SessionNotFound, StoreError } from "../domain/errors.js"
import { onFirstUse } from "../domain/Decode.js"
import type { JsonRpcMessage } from "../domain/JsonRpc.js"
import { OutboxEntry, type SessionId } from "../domain/Session.js"
import type { DynamoCallError } from "./DynamoDB.js"
import { decodeBody, encodeBody, partKey } from "./OutboxBodies.js"
import { TTL_ATTRIBUTE } from "./Tables.js"

export const SESSION_SK = "session"
const MESSAGE_PREFIX = "msg#"
export const messageKey = (seq: number) => `${MESSAGE_PREFIX}${String(seq).padStart(12, "0")}`
/** Sorts after every message key. */
export const MESSAGE_END = `${MESSAGE_PREFIX}~`

/** Retries of an append whose number a reader gave up before the write landed. */
const MAX_APPEND_ATTEMPTS = 3

export const isConditionFailure = (error: DynamoCallError) => error.name === "ConditionalCheckFailedException"

/** The item that made a conditional write fail (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). */
const conditionItem = (error: DynamoCallError) =>
  ((error.cause as { Item?: Record<string, AttributeValue> } | undefined)?.Item ?? {})

const decodeEntry = onFirstUse(() => Schema.decodeUnknown(OutboxEntry.built()))

/** What the outbox shares with its session store. */
export interface OutboxContext {
  readonly TableName: string
  readonly call: <A>(operation: string, send: (client: DynamoDBClient) => Promise<A>) => Effect.Effect<A, DynamoCallError>
  readonly storeError: (operation: string) => (cause: unknown) => StoreError
  readonly expiry: (now: number) => Record<string, number>
  /** The condition that the session item is live (`:now` bound). */
  readonly live: string
  /** Outbox items after a number; with the session item last when asked (one request tells both). */
  readonly query: (
    operation: string,
    id: SessionId,
    after: number,
    limit: number | undefined,
    withSession?: boolean
  ) => Effect.Effect<QueryCommandOutput, StoreError>
}

export const makeOutbox = ({ TableName, call, expiry, live, query, storeError }: OutboxContext) => {
  /** Takes the session's next sequence number (and pushes its expiry). */
  const nextSeq = (id: SessionId, now: number) =>
    call("SessionStore.append", (client) =>
      client.send(new UpdateItemCommand({
        TableName,
        Key: marshall({ pk: id, sk: SESSION_SK }),
        // Using a session keeps it alive: the append pushes its expiry too.
        UpdateExpression: "ADD lastSeq :one SET expiresAt = :expiresAt, #ttl = :ttl",
        ConditionExpression: live,
        ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
        ExpressionAttributeValues: marshall({ ":one": 1, ":now": now, ":expiresAt": expiry(now).expiresAt, ":ttl": expiry(now)[TTL_ATTRIBUTE] }),
        ReturnValues: "UPDATED_NEW"
      }))).pipe(
        Effect.map((counter) => Number(unmarshall(counter.Attributes ?? {})["lastSeq"])),
        Effect.catchIf(isConditionFailure, () => Effect.fail(new SessionNotFound({ sessionId: id }))),
        Effect.mapError((error) => error._tag === "SessionNotFound" ? error : storeError("SessionStore.append")(error))
      )

  /** Puts one item whose key no live item holds: false when one does (`ALL_OLD` tells which). */
  const putNew = (operation: string, item: Record<string, unknown>, now: number) =>
    call(operation, (client) =>
      client.send(new PutItemCommand({
        TableName,
        Item: marshall(item),
        // The number is ours alone; an expired leftover of an earlier session may be replaced.
        ConditionExpression: "attribute_not_exists(sk) OR expiresAt <= :now",
        ExpressionAttributeValues: marshall({ ":now": now }),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD"
      }))).pipe(
        Effect.as({ written: true as const }),
        Effect.catchIf(isConditionFailure, (error) =>
          Effect.succeed({ written: false as const, skipped: unmarshall(conditionItem(error))["skipped"] === true })),
        Effect.mapError(storeError(operation))
      )

  /**
   * Writes the message under a fresh number: large ones compressed, and past the item limit in
   * parts first (under keys outside the outbox's range), the message's own item last. A number
   * a reader has given up meanwhile is left to it, and the message goes under the next one.
   */
  const append = Effect.fn("SessionStore.append")(function* (id: SessionId, message: JsonRpcMessage, stream?: string) {
    const body = encodeBody(message)
    for (let attempt = 1; ; attempt++) {
      const now = yield* Clock.currentTimeMillis
      const seq = yield* nextSeq(id, now)
      const { head, parts } = body
      for (const [index, data] of parts.entries()) {
        yield* call("SessionStore.append", (client) =>
          client.send(new PutItemCommand({
            TableName,
            Item: marshall({ pk: id, sk: partKey(seq, index), data, ...expiry(now) })
          }))).pipe(Effect.mapError(storeError("SessionStore.append")))
      }
      const put = yield* putNew("SessionStore.append", {
        pk: id,
        sk: messageKey(seq),
        seq,
        ...head,
        createdAt: now,
        ...(stream === undefined ? {} : { stream }),
        ...expiry(now)
      }, now)
      if (put.written) {
        const entry: OutboxEntry = { sessionId: id, seq, message, createdAt: now, ...(stream === undefined ? {} : { stream }) }
        return entry
      }
      if (!put.skipped || attempt >= MAX_APPEND_ATTEMPTS) {
        return yield* new StoreError({ operation: "SessionStore.append", cause: new Error(`outbox number ${seq} is taken`) })
      }
      yield* Effect.logWarning(`Outbox of ${id}: number ${seq} was given up before its write landed; appending again`)
    }
  })

  const abandon = Effect.fn("SessionStore.abandon")(function* (id: SessionId, seq: number) {
    const now = yield* Clock.currentTimeMillis
    const put = yield* putNew("SessionStore.abandon", { pk: id, sk: messageKey(seq), seq, skipped: true, createdAt: now, ...expiry(now) }, now)
    return put.written
  })

  /** A message's parts, in key order (their Query may take pages). */
  const readParts = (id: SessionId, prefix: string) =>
    Effect.gen(function* () {
      const parts: Array<Uint8Array> = []
      let startKey: QueryCommandOutput["LastEvaluatedKey"]
      do {
        const output: QueryCommandOutput = yield* call("SessionStore.readAfter", (client) =>
          client.send(new QueryCommand({
            TableName,
            ConsistentRead: true,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: marshall({ ":pk": id, ":prefix": prefix }),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey })
          }))).pipe(Effect.mapError(storeError("SessionStore.readAfter")))
        for (const item of output.Items ?? []) parts.push(unmarshall(item)["data"] as Uint8Array)
        startKey = output.LastEvaluatedKey
      } while (startKey !== undefined)
      return parts
    })

  // One strongly consistent Query per poll: the messages and, after them, the session item.
  const readAfter = Effect.fn("SessionStore.readAfter")(function* (id: SessionId, after: number, limit = 100) {
    const now = yield* Clock.currentTimeMillis
    const output = yield* query("SessionStore.readAfter", id, after, limit, true)
    const items = (output.Items ?? []).map((item) => unmarshall(item))
    const session = items.find((raw) => raw["sk"] === SESSION_SK)
    const messages = items.filter((raw) => raw["sk"] !== SESSION_SK)
    // A deleted or expired session ends its stream. A page cut short (by the limit, or by
    // DynamoDB's 1 MB per page; either way DynamoDB says where to go on) stops before the
    // session item: messages that new were appended to a live session.
    const pageCut = output.LastEvaluatedKey !== undefined
    if (!pageCut && (session === undefined || Number(session["expiresAt"]) <= now)) {
      return yield* new SessionNotFound({ sessionId: id })
    }
    const entries = yield* Effect.forEach(
      messages.filter((raw) => Number(raw["expiresAt"]) > now),
      (raw) =>
        Effect.flatMap(decodeBody(raw, (prefix) => readParts(id, prefix)), (message) =>
          decodeEntry({
            sessionId: id,
            seq: raw["seq"],
            createdAt: raw["createdAt"],
            message,
            ...(raw["stream"] === undefined ? {} : { stream: raw["stream"] })
          }).pipe(Effect.mapError(storeError("SessionStore.readAfter")))).pipe(
            Effect.catchAllDefect((defect) => Effect.fail(storeError("SessionStore.readAfter")(defect)))
          )
    )
    return entries as ReadonlyArray<OutboxEntry>
  })

  return { append, abandon, readAfter }
}
