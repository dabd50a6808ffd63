/**
 * A per-minute request limit on DynamoDB, shared by every container: one counter item per
 * principal and minute in the session table (`pk = "rate#<principal>"`, `sk = "window#<start>"`),
 * incremented atomically (`ADD`), deleted by TTL after its minute.
 */
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { StoreError } from "../domain/errors.js"
import * as Settings from "../Settings.js"
import { allowAll, RateLimiter, type RateLimiterShape, WINDOW_MILLIS, windowOf } from "../services/RateLimiter.js"
import { DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { TTL_ATTRIBUTE } from "./Tables.js"

export interface DynamoDBRateLimiterOptions {
  readonly tableName: string
  readonly limitPerMinute: number
  readonly retry?: RetryPolicy | undefined
}

export const make = (options: DynamoDBRateLimiterOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const retry = retrying(options.retry)
    const take = Effect.fn("RateLimiter.take")(function* (principal: string) {
      const now = yield* Clock.currentTimeMillis
      const { start, retryAfterSeconds } = windowOf(now)
      const output = yield* dynamo.send("RateLimiter.take", (client) =>
        client.send(new UpdateItemCommand({
          TableName: options.tableName,
          Key: marshall({ pk: `rate#${principal}`, sk: `window#${start}` }),
          UpdateExpression: "ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)",
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: marshall({ ":one": 1, ":ttl": Math.ceil((start + 2 * WINDOW_MILLIS) / 1000) }),
          ReturnValues: "UPDATED_NEW"
        }))).pipe(retry, Effect.mapError((cause) => new StoreError({ operation: "RateLimiter.take", cause })))
      const hits = Number(unmarshall(output.Attributes ?? {})["hits"] ?? 1)
      return { allowed: hits <= options.limitPerMinute, retryAfterSeconds, remaining: Math.max(0, options.limitPerMinute - hits) }
    })
    return { take } satisfies RateLimiterShape
  })

export const layer = (options: DynamoDBRateLimiterOptions): Layer.Layer<RateLimiter, never, DynamoDB> =>
  Layer.effect(RateLimiter, make(options))

/** `RATE_LIMIT_PER_MINUTE` requests per principal, counted in `SESSION_TABLE_NAME`; 0 is no limit. */
export const makeConfig = Effect.gen(function* () {
  const limitPerMinute = yield* Settings.integer("RATE_LIMIT_PER_MINUTE")
  if (limitPerMinute <= 0) return allowAll
  const tableName = yield* Config.string("SESSION_TABLE_NAME")
  return yield* make({ tableName, limitPerMinute })
})

export const layerConfig = Layer.effect(RateLimiter, makeConfig)
