/**
 * Sessions and their outboxes on DynamoDB (layout in Tables.ts).
 *
 * An append takes the next sequence number from the session item (`ADD lastSeq :one`, atomic,
 * conditioned on the session being live), then writes the message under that number with
 * `attribute_not_exists` — so concurrent appends from any number of invocations never share a
 * number and nothing is overwritten. A message past DynamoDB's item limit is compressed, and
 * written in parts if it must be; a number a reader gave up on is skipped and the message
 * appended again under a new one. Streams read the outbox with strongly consistent Queries
 * after their cursor; nothing is read-then-deleted. Expired items are filtered on read.
 */
import { gunzipSync, gzipSync } from "node:zlib"
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type WriteRequest
} from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import { Clock, Config, Duration, Effect, Layer, Schema } from "effect"
import { SessionAlreadyExists, SessionNotFound, StoreError } from "../domain/errors.js"
import type { JsonRpcMessage } from "../domain/JsonRpc.js"
import {
  type NewSession,
  OutboxEntry,
  Session,
  type SessionChanges,
  type SessionId
} from "../domain/Session.js"
import { SessionStore, type SessionStoreShape, SKIPPED } from "../services/SessionStore.js"
import { type DynamoCallError, DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { DEFAULT_SESSION_TTL } from "./MemorySessionStore.js"
import { TTL_ATTRIBUTE } from "./Tables.js"
import * as Settings from "../Settings.js"

export interface DynamoDBSessionStoreOptions {
  readonly tableName: string
  readonly ttl?: Duration.DurationInput | undefined
  readonly retry?: RetryPolicy | undefined
}

const SESSION_SK = "session"
const MESSAGE_PREFIX = "msg#"
const messageKey = (seq: number) => `${MESSAGE_PREFIX}${String(seq).padStart(12, "0")}`
/** Sorts after every message key. */
const MESSAGE_END = `${MESSAGE_PREFIX}~`

/**
 * A message item holds its message as JSON text up to this size, gzipped beyond it; a gzipped
 * message still larger is written in parts of this size (`blob#<seq>#<n>`, outside the range
 * the outbox Query reads). DynamoDB's item limit is 400 KB, the rest of the item is small.
 */
const INLINE_BYTES = 300 * 1024
const PART_PREFIX = "blob#"
const partPrefix = (seq: number) => `${PART_PREFIX}${String(seq).padStart(12, "0")}#`
const partKey = (seq: number, index: number) => `${partPrefix(seq)}${String(index).padStart(4, "0")}`
/** Retries of an append whose number a reader gave up before the write landed. */
const MAX_APPEND_ATTEMPTS = 3

const encodeMessage = (message: JsonRpcMessage): { head: Record<string, unknown>; parts: ReadonlyArray<Uint8Array> } => {
  const text = JSON.stringify(message)
  if (Buffer.byteLength(text) <= INLINE_BYTES) return { head: { message: text }, parts: [] }
  const packed = gzipSync(text)
  if (packed.length <= INLINE_BYTES) return { head: { messageGz: packed }, parts: [] }
  const parts: Array<Uint8Array> = []
  for (let offset = 0; offset < packed.length; offset += INLINE_BYTES) parts.push(packed.subarray(offset, offset + INLINE_BYTES))
  return { head: { parts: parts.length }, parts }
}

/** The item that made a conditional write fail (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). */
const conditionItem = (error: DynamoCallError) =>
  ((error.cause as { Item?: Record<string, AttributeValue> } | undefined)?.Item ?? {})

/** Fields kept as JSON text: their shape is the client's, not DynamoDB's. */
const JSON_FIELDS = ["clientInfo", "clientCapabilities"] as const

const decodeSession = Schema.decodeUnknown(Session)
const decodeEntry = Schema.decodeUnknown(OutboxEntry)

const isConditionFailure = (error: DynamoCallError) => error.name === "ConditionalCheckFailedException"

export const make = (options: DynamoDBSessionStoreOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const TableName = options.tableName
    const ttl = Duration.toMillis(options.ttl ?? DEFAULT_SESSION_TTL)
    const retry = retrying(options.retry)

    const call = <A>(operation: string, send: Parameters<typeof dynamo.send<A>>[1]) =>
      dynamo.send(operation, send).pipe(retry)

    const storeError = (operation: string) => (cause: unknown) => new StoreError({ operation, cause })

    const expiry = (now: number) => ({ expiresAt: now + ttl, [TTL_ATTRIBUTE]: Math.ceil((now + ttl) / 1000) })

    const fromItem = (operation: string, raw: Record<string, unknown>) => {
      const fields: Record<string, unknown> = { ...raw, id: raw["pk"] }
      for (const field of JSON_FIELDS) {
        if (typeof raw[field] === "string") fields[field] = JSON.parse(raw[field] as string)
      }
      return decodeSession(fields).pipe(Effect.mapError(storeError(operation)))
    }

    const toAttributes = (values: Record<string, unknown>) => {
      const attributes: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) continue
        attributes[key] = (JSON_FIELDS as ReadonlyArray<string>).includes(key) ? JSON.stringify(value) : value
      }
      return attributes
    }

    const live = "attribute_exists(pk) AND expiresAt > :now"

    const create = Effect.fn("SessionStore.create")(function* (session: NewSession) {
      const now = yield* Clock.currentTimeMillis
      const stored: Session = { ...session, createdAt: now, expiresAt: now + ttl }
      const written = yield* call("SessionStore.create", (client) =>
        client.send(new PutItemCommand({
          TableName,
          Item: marshall(
            { ...toAttributes(stored), id: undefined, pk: session.id, sk: SESSION_SK, lastSeq: 0, ...expiry(now) },
            { removeUndefinedValues: true }
          ),
          // An expired session's id may be taken again (TTL deletion lags).
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt <= :now",
          ExpressionAttributeValues: marshall({ ":now": now })
        }))).pipe(
          Effect.as(true),
          Effect.catchIf(isConditionFailure, () => Effect.succeed(false)),
          Effect.mapError(storeError("SessionStore.create"))
        )
      if (!written) return yield* new SessionAlreadyExists({ sessionId: session.id })
      return { ...stored, lastSeq: 0 }
    })

    const get = Effect.fn("SessionStore.get")(function* (id: SessionId) {
      const now = yield* Clock.currentTimeMillis
      const output = yield* call("SessionStore.get", (client) =>
        client.send(new GetItemCommand({ TableName, Key: marshall({ pk: id, sk: SESSION_SK }), ConsistentRead: true }))).pipe(
          Effect.mapError(storeError("SessionStore.get"))
        )
      if (output.Item === undefined) return yield* new SessionNotFound({ sessionId: id })
      const raw = unmarshall(output.Item)
      if (typeof raw["expiresAt"] !== "number" || raw["expiresAt"] <= now) return yield* new SessionNotFound({ sessionId: id })
      return yield* fromItem("SessionStore.get", raw)
    })

    /** SET the given attributes on a live session (and push its expiry); the new session. */
    const set = (operation: string, id: SessionId, changes: Record<string, unknown>) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const values: Record<string, unknown> = { ...toAttributes(changes), ...expiry(now) }
        const names = Object.keys(values)
        const output = yield* call(operation, (client) =>
          client.send(new UpdateItemCommand({
            TableName,
            Key: marshall({ pk: id, sk: SESSION_SK }),
            UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(", ")}`,
            ConditionExpression: live,
            ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
            ExpressionAttributeValues: marshall({
              ":now": now,
              ...Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]]))
            }),
            ReturnValues: "ALL_NEW"
          }))).pipe(
            Effect.catchIf(isConditionFailure, () => Effect.fail(new SessionNotFound({ sessionId: id }))),
            Effect.mapError((error) => error._tag === "SessionNotFound" ? error : storeError(operation)(error))
          )
        return yield* fromItem(operation, unmarshall(output.Attributes ?? {}))
      })

    const update = (id: SessionId, changes: SessionChanges) =>
      set("SessionStore.update", id, changes).pipe(Effect.withSpan("SessionStore.update"))

    const touch = (id: SessionId) => set("SessionStore.touch", id, {}).pipe(Effect.asVoid, Effect.withSpan("SessionStore.touch"))

    /** Outbox items, in order, with a sequence number above `after`. */
    /**
     * Outbox items after `after`, in order. With `withSession`, the range runs on to the session
     * item ("msg#…" sorts before "session"), so one request also tells whether the session lives.
     */
    const query = (operation: string, id: SessionId, after: number, limit: number | undefined, withSession = false) =>
      call(operation, (client) =>
        client.send(new QueryCommand({
          TableName,
          ConsistentRead: true,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
          ExpressionAttributeValues: marshall({
            ":pk": id,
            ":from": messageKey(after + 1),
            ":to": withSession ? SESSION_SK : MESSAGE_END
          }),
          ...(limit === undefined ? {} : { Limit: withSession ? limit + 1 : limit })
        }))).pipe(Effect.mapError(storeError(operation)))

    const remove = Effect.fn("SessionStore.remove")(function* (id: SessionId) {
      const now = yield* Clock.currentTimeMillis
      yield* call("SessionStore.remove", (client) =>
        client.send(new DeleteItemCommand({
          TableName,
          Key: marshall({ pk: id, sk: SESSION_SK }),
          ConditionExpression: live,
          ExpressionAttributeValues: marshall({ ":now": now })
        }))).pipe(
          Effect.catchIf(isConditionFailure, () => Effect.fail(new SessionNotFound({ sessionId: id }))),
          Effect.mapError((error) => error._tag === "SessionNotFound" ? error : storeError("SessionStore.remove")(error))
        )
      // The outbox goes too (TTL would, days later); 25 keys per batch, as BatchWriteItem allows.
      let output: QueryCommandOutput
      do {
        output = yield* query("SessionStore.remove", id, 0, 25)
        const requests: Array<WriteRequest> = (output.Items ?? []).map((item) => ({
          DeleteRequest: { Key: { pk: item["pk"]!, sk: item["sk"]! } }
        }))
        if (requests.length === 0) break
        let pending: Record<string, Array<WriteRequest>> | undefined = { [TableName]: requests }
        while (pending !== undefined && Object.keys(pending).length > 0) {
          const batch: Record<string, Array<WriteRequest>> = pending
          const written = yield* call("SessionStore.remove", (client) =>
            client.send(new BatchWriteItemCommand({ RequestItems: batch }))).pipe(Effect.mapError(storeError("SessionStore.remove")))
          pending = written.UnprocessedItems
        }
      } while (output.LastEvaluatedKey !== undefined)
    })

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
      const body = encodeMessage(message)
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

    /** A message item's message: inline, compressed, or compressed in parts. */
    const messageOf = (id: SessionId, raw: Record<string, unknown>) =>
      Effect.gen(function* () {
        if (raw["skipped"] === true) return SKIPPED
        if (typeof raw["message"] === "string") return JSON.parse(raw["message"]) as unknown
        if (raw["messageGz"] instanceof Uint8Array) return JSON.parse(gunzipSync(raw["messageGz"]).toString("utf8")) as unknown
        const count = Number(raw["parts"])
        const seq = Number(raw["seq"])
        const parts: Array<Uint8Array> = []
        let startKey: QueryCommandOutput["LastEvaluatedKey"]
        do {
          const output: QueryCommandOutput = yield* call("SessionStore.readAfter", (client) =>
            client.send(new QueryCommand({
              TableName,
              ConsistentRead: true,
              KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
              ExpressionAttributeValues: marshall({ ":pk": id, ":prefix": partPrefix(seq) }),
              ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey })
            }))).pipe(Effect.mapError(storeError("SessionStore.readAfter")))
          for (const item of output.Items ?? []) parts.push(unmarshall(item)["data"] as Uint8Array)
          startKey = output.LastEvaluatedKey
        } while (startKey !== undefined)
        if (parts.length !== count) {
          return yield* new StoreError({ operation: "SessionStore.readAfter", cause: new Error(`message ${seq} has ${parts.length} of ${count} parts`) })
        }
        return JSON.parse(gunzipSync(Buffer.concat(parts)).toString("utf8")) as unknown
      })

    // One strongly consistent Query per poll: the messages and, after them, the session item.
    const readAfter = Effect.fn("SessionStore.readAfter")(function* (id: SessionId, after: number, limit = 100) {
      const now = yield* Clock.currentTimeMillis
      const output = yield* query("SessionStore.readAfter", id, after, limit, true)
      const items = (output.Items ?? []).map((item) => unmarshall(item))
      const session = items.find((raw) => raw["sk"] === SESSION_SK)
      const messages = items.filter((raw) => raw["sk"] !== SESSION_SK).slice(0, limit)
      // A deleted or expired session ends its stream. A page cut short (by the limit, or by
      // DynamoDB's 1 MB per page) stops before the session item: messages that new were
      // appended to a live session.
      const pageCut = messages.length === limit || output.LastEvaluatedKey !== undefined
      if (!pageCut && (session === undefined || Number(session["expiresAt"]) <= now)) {
        return yield* new SessionNotFound({ sessionId: id })
      }
      const entries = yield* Effect.forEach(
        messages.filter((raw) => Number(raw["expiresAt"]) > now),
        (raw) =>
          Effect.flatMap(messageOf(id, raw), (message) =>
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

    return { create, get, update, touch, remove, append, abandon, readAfter } satisfies SessionStoreShape
  })

export const layer = (options: DynamoDBSessionStoreOptions): Layer.Layer<SessionStore, never, DynamoDB> =>
  Layer.effect(SessionStore, make(options))

/** `SESSION_TABLE_NAME` and `SESSION_TTL_SECONDS` from the environment. */
export const layerConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const tableName = yield* Config.string("SESSION_TABLE_NAME")
    const ttlSeconds = yield* Settings.integer("SESSION_TTL_SECONDS")
    return layer({ tableName, ttl: Duration.seconds(ttlSeconds) })
  })
)

