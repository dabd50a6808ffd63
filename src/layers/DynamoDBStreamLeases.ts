/**
 * Stream leases on DynamoDB: one item per principal in the session table
 * (`pk = "streams#<principal>"`, `sk = "leases"`) holding a map of stream → lease expiry and a
 * version. A lease is taken by reading the item, dropping expired leases and writing it back on
 * the version read (another writer in between: read again); it is given back with one `REMOVE`.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { StoreError } from "../domain/errors.js"
import * as Settings from "../Settings.js"
import { StreamLeases, type StreamLeasesShape, withLease } from "../services/StreamLeases.js"
import { DynamoDB, type DynamoCallError, type RetryPolicy, retrying } from "./DynamoDB.js"
import { TTL_ATTRIBUTE } from "./Tables.js"

export interface DynamoDBStreamLeasesOptions {
  readonly tableName: string
  readonly limit: number
  readonly retry?: RetryPolicy | undefined
}

/** Writers racing for one principal's item: each attempt re-reads it. */
const ATTEMPTS = 5

const isConditionFailure = (error: DynamoCallError) => error.name === "ConditionalCheckFailedException"

export const make = (options: DynamoDBStreamLeasesOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const retry = retrying(options.retry)
    const TableName = options.tableName
    const keyOf = (principal: string) => ({ pk: `streams#${principal}`, sk: "leases" })
    const storeError = (operation: string) => (cause: unknown) => new StoreError({ operation, cause })

    const acquire = Effect.fn("StreamLeases.acquire")(function* (principal: string, stream: string, expiresAt: number) {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const now = yield* Clock.currentTimeMillis
        const output = yield* dynamo.send("StreamLeases.acquire", (client) =>
          client.send(new GetItemCommand({ TableName, Key: marshall(keyOf(principal)), ConsistentRead: true }))).pipe(
            retry,
            Effect.mapError(storeError("StreamLeases.acquire"))
          )
        const item = output.Item === undefined ? undefined : unmarshall(output.Item)
        const version = item === undefined ? 0 : Number(item["version"])
        const leases = withLease((item?.["leases"] ?? {}) as Record<string, number>, now, options.limit, stream, expiresAt)
        if (leases === undefined) return false
        const latest = Math.max(...Object.values(leases))
        const written = yield* dynamo.send("StreamLeases.acquire", (client) =>
          client.send(new PutItemCommand({
            TableName,
            Item: marshall({ ...keyOf(principal), leases, version: version + 1, [TTL_ATTRIBUTE]: Math.ceil(latest / 1000) + 60 }),
            ConditionExpression: item === undefined ? "attribute_not_exists(pk)" : "version = :version",
            ...(item === undefined ? {} : { ExpressionAttributeValues: marshall({ ":version": version }) })
          }))).pipe(
            retry,
            Effect.as(true),
            Effect.catchIf(isConditionFailure, () => Effect.succeed(false)),
            Effect.mapError(storeError("StreamLeases.acquire"))
          )
        if (written) return true
      }
      return yield* new StoreError({ operation: "StreamLeases.acquire", cause: new Error(`the leases of ${principal} kept changing`) })
    })

    const release = (principal: string, stream: string) =>
      dynamo.send("StreamLeases.release", (client) =>
        client.send(new UpdateItemCommand({
          TableName,
          Key: marshall(keyOf(principal)),
          UpdateExpression: "REMOVE leases.#stream SET version = version + :one",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#stream": stream },
          ExpressionAttributeValues: marshall({ ":one": 1 })
        }))).pipe(
          retry,
          Effect.asVoid,
          Effect.catchIf(isConditionFailure, () => Effect.void),
          Effect.mapError(storeError("StreamLeases.release")),
          Effect.withSpan("StreamLeases.release")
        )

    return { limit: options.limit, acquire, release } satisfies StreamLeasesShape
  })

export const layer = (options: DynamoDBStreamLeasesOptions): Layer.Layer<StreamLeases, never, DynamoDB> =>
  Layer.effect(StreamLeases, make(options))

/**
 * `MAX_STREAMS_PER_CALLER` leases per principal in `SESSION_TABLE_NAME`. With 0 there is no cap:
 * the layer provides nothing, and the transports, which look the service up as optional, count nothing.
 */
export const makeConfig = Effect.gen(function* () {
  const limit = yield* Settings.integer("MAX_STREAMS_PER_CALLER")
  if (limit <= 0) return Option.none<StreamLeasesShape>()
  const tableName = yield* Config.string("SESSION_TABLE_NAME")
  return Option.some(yield* make({ tableName, limit }))
})

export const layerConfig = Layer.unwrapEffect(
  Effect.map(makeConfig, (leases) =>
    // Offered as an optional service: typed as providing nothing.
    Option.isNone(leases) ? Layer.empty : (Layer.succeed(StreamLeases, leases.value) as Layer.Layer<never>))
)
