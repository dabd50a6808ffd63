/** DynamoDB Local layers with fresh tables per use, so suites never see each other's items. */
import { randomUUID } from "node:crypto"
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { type Duration, Effect, Layer } from "effect"
import * as DynamoDB from "../../src/layers/DynamoDB.js"
import * as DynamoDBRateLimiter from "../../src/layers/DynamoDBRateLimiter.js"
import * as DynamoDBRegistry from "../../src/layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../../src/layers/DynamoDBSessionStore.js"
import { createTables, type TableNames } from "../../src/layers/Tables.js"

export const clientLayer = (endpoint: string) =>
  DynamoDB.layer({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" }
  })

export const freshTableNames = (): TableNames => {
  const suffix = randomUUID().slice(0, 8)
  return { registrations: `registrations-${suffix}`, sessions: `sessions-${suffix}` }
}

/** The tables, created before the layer is used. */
export const tablesLayer = (names: TableNames) => Layer.effectDiscard(createTables(names))

/** Fast retries: the tests inject throttling and should not wait on it. */
export const testRetry: DynamoDB.RetryPolicy = { base: "5 millis", attempts: 6 }

export const registryLayer = (endpoint: string, client = clientLayer(endpoint)) => {
  const names = freshTableNames()
  return DynamoDBRegistry.layer({ tableName: names.registrations, retry: testRetry }).pipe(
    Layer.provide(tablesLayer(names)),
    Layer.provide(client)
  )
}

export const sessionStoreLayer = (endpoint: string, ttl: Duration.DurationInput, client = clientLayer(endpoint)) => {
  const names = freshTableNames()
  return DynamoDBSessionStore.layer({ tableName: names.sessions, ttl, retry: testRetry }).pipe(
    Layer.provide(tablesLayer(names)),
    Layer.provide(client)
  )
}

/**
 * A DynamoDB client that fails its next `failures` calls with the given error name before
 * passing calls through: throttling on demand. `calls` counts every attempt.
 */
export const faultInjecting = (endpoint: string, plan: { failures: number; name: string }) => {
  const state = { remaining: plan.failures, calls: 0, name: plan.name }
  const layer = Layer.effect(
    DynamoDB.DynamoDB,
    Effect.map(DynamoDB.DynamoDB, (real) => ({
      send: <A>(operation: string, call: (client: DynamoDBClient) => Promise<A>) =>
        Effect.suspend(() => {
          state.calls++
          if (state.remaining > 0) {
            state.remaining--
            const cause = Object.assign(new Error(`${state.name} (injected)`), { name: state.name })
            return Effect.fail(new DynamoDB.DynamoCallError({ operation, name: state.name, cause }))
          }
          return real.send(operation, call)
        })
    }))
  ).pipe(Layer.provide(clientLayer(endpoint)))
  return { layer, state }
}

export const rateLimiterLayer = (endpoint: string, limitPerMinute: number) => {
  const names = freshTableNames()
  return DynamoDBRateLimiter.layer({ tableName: names.sessions, limitPerMinute, retry: testRetry }).pipe(
    Layer.provide(tablesLayer(names)),
    Layer.provide(clientLayer(endpoint))
  )
}
