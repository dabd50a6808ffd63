/**
 * The DynamoDB client as a service. `send` is one SDK call turned into an Effect; `retrying`
 * adds the backoff the stores use for throttling. The SDK's own retries are off
 * (`maxAttempts: 1`) so that this one policy — testable with a fault-injecting layer — applies.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

export class DynamoCallError extends Data.TaggedError("DynamoCallError")<{
  readonly operation: string
  /** The SDK error's name, e.g. `ConditionalCheckFailedException`. */
  readonly name: string
  readonly cause: unknown
}> {}

export interface DynamoDBShape {
  readonly send: <A>(operation: string, call: (client: DynamoDBClient) => Promise<A>) => Effect.Effect<A, DynamoCallError>
}

export class DynamoDB extends Context.Tag("mcp-lambda-sam/DynamoDB")<DynamoDB, DynamoDBShape>() {}

const RETRYABLE = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
  "TransactionConflictException"
])

export const isRetryable = (error: DynamoCallError) => RETRYABLE.has(error.name)

export interface RetryPolicy {
  readonly base: Duration.DurationInput
  readonly attempts: number
}

export const DEFAULT_RETRY: RetryPolicy = { base: Duration.millis(25), attempts: 6 }

/** Retries throttling and transient failures with jittered exponential backoff. */
export const retrying = (policy: RetryPolicy = DEFAULT_RETRY) =>
<A, R>(effect: Effect.Effect<A, DynamoCallError, R>) =>
  Effect.retry(effect, {
    schedule: Schedule.exponential(policy.base).pipe(Schedule.jittered),
    times: policy.attempts - 1,
    while: isRetryable
  })

export const make = (client: DynamoDBClient): DynamoDBShape => ({
  send: (operation, call) =>
    Effect.tryPromise({
      try: () => call(client),
      catch: (cause) =>
        new DynamoCallError({
          operation,
          name: cause instanceof Error ? cause.name : "UnknownError",
          cause
        })
    })
})

/** The service over its own client, destroyed with the scope. */
export const makeScoped = (config: DynamoDBClientConfig = {}) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new DynamoDBClient({ ...config, maxAttempts: 1 })),
      (client) => Effect.sync(() => client.destroy())
    ),
    make
  )

export const layer = (config: DynamoDBClientConfig = {}): Layer.Layer<DynamoDB> => Layer.scoped(DynamoDB, makeScoped(config))

/** From the environment: `AWS_REGION`, and `DYNAMODB_ENDPOINT` for DynamoDB Local. */
export const makeConfig: Effect.Effect<DynamoDBShape, ConfigError.ConfigError, Scope.Scope> = Effect.gen(function* () {
  const region = yield* Config.option(Config.string("AWS_REGION"))
  const endpoint = yield* Config.option(Config.string("DYNAMODB_ENDPOINT"))
  return yield* makeScoped({
    ...(Option.isSome(region) ? { region: region.value } : {}),
    ...(Option.isSome(endpoint) ? { endpoint: endpoint.value } : {})
  })
})

export const layerConfig: Layer.Layer<DynamoDB, ConfigError.ConfigError> = Layer.scoped(DynamoDB, makeConfig)
