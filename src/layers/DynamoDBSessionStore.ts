/**
 * Sessions and their outboxes on DynamoDB (layout in Tables.ts): the session item here, the
 * outbox's appends and reads in `DynamoDBOutbox.ts`. Nothing is read-then-deleted; expired
 * items are filtered on read and deleted by TTL.
 */
import {
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
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { SessionAlreadyExists, SessionNotFound, StoreError } from "../domain/errors.js"
import { onFirstUse } from "../domain/Decode.js"
import {
  type NewSession,
  Session,
  type SessionChanges,
  type SessionId
} from "../domain/Session.js"
import { SessionStore, type SessionStoreShape } from "../services/SessionStore.js"
import { DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { DEFAULT_SESSION_TTL } from "./MemorySessionStore.js"
import { isConditionFailure, makeOutbox, MESSAGE_END, messageKey, SESSION_SK } from "./DynamoDBOutbox.js"
import { TTL_ATTRIBUTE } from "./Tables.js"
import * as Settings from "../Settings.js"

export interface DynamoDBSessionStoreOptions {
  readonly tableName: string
  readonly ttl?: Duration.DurationInput | undefined
  readonly retry?: RetryPolicy | undefined
}

/** Fields kept as JSON text: their shape is the client's, not DynamoDB's. */
const JSON_FIELDS = ["clientInfo", "clientCapabilities"] as const

const decodeSession = onFirstUse(() => Schema.decodeUnknown(Session.built()))


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

    /**
     * Outbox items after `after`, in order. With `withSession`, the range runs on to the session
     * item ("msg#…" sorts before "session"), so one request also tells whether the session lives
     * (unless `limit` messages fill the page first).
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
          ...(limit === undefined ? {} : { Limit: limit })
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

    const { abandon, append, readAfter } = makeOutbox({ TableName, call, storeError, expiry, live, query })

    return { create, get, update, touch, remove, append, abandon, readAfter } satisfies SessionStoreShape
  })

export const layer = (options: DynamoDBSessionStoreOptions): Layer.Layer<SessionStore, never, DynamoDB> =>
  Layer.effect(SessionStore, make(options))

/** `SESSION_TABLE_NAME` and `SESSION_TTL_SECONDS` from the environment. */
export const makeConfig = Effect.gen(function* () {
  const tableName = yield* Config.string("SESSION_TABLE_NAME")
  const ttlSeconds = yield* Settings.integer("SESSION_TTL_SECONDS")
  return yield* make({ tableName, ttl: Duration.seconds(ttlSeconds) })
})

export const layerConfig = Layer.effect(SessionStore, makeConfig)

