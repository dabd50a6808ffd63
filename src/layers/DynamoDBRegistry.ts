/**
 * Registry on DynamoDB: the storage primitives of `RegistryStorage`, the policy on top. Every
 * write is a transaction of the registration item (with its condition) and the registry's
 * revision counter, so the stamp moves exactly when a write lands. A failed condition returns
 * the item that won (`ReturnValuesOnConditionCheckFailure: "ALL_OLD"`), so no second read.
 */
import {
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItem
} from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { StoreError } from "../domain/errors.js"
import { decodeRegistration, type Registration, specOf } from "../domain/Registration.js"
import { Registry } from "../services/Registry.js"
import { type DynamoCallError, DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { ConditionFailed, makeRegistry, type RegistryStorage } from "./RegistryStorage.js"

export interface DynamoDBRegistryOptions {
  readonly tableName: string
  readonly retry?: RetryPolicy | undefined
}

const PARTITION = "registration"
const META = { pk: "meta", sk: "revision" } as const

/** Stored attributes: the keys, the bookkeeping, and the definition as JSON text (exact, any shape). */
interface Item {
  readonly pk: string
  readonly sk: string
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
  readonly createdBy?: string
  readonly updatedBy?: string
  readonly spec: string
}

const toItem = (registration: Registration): Item => ({
  pk: PARTITION,
  sk: registration.id,
  version: registration.version,
  createdAt: registration.createdAt,
  updatedAt: registration.updatedAt,
  ...(registration.createdBy === undefined ? {} : { createdBy: registration.createdBy }),
  ...(registration.updatedBy === undefined ? {} : { updatedBy: registration.updatedBy }),
  spec: JSON.stringify(specOf(registration))
})

/**
 * For a transaction cancelled because its first item's condition failed: the item DynamoDB
 * returned in its place (none when nothing is stored). Anything else: `undefined`.
 */
const refusedBecause = (error: DynamoCallError) => {
  if (!(error.cause instanceof TransactionCanceledException)) return undefined
  const reason = error.cause.CancellationReasons?.[0]
  return reason?.Code === "ConditionalCheckFailed" ? { item: reason.Item } : undefined
}

export const make = (options: DynamoDBRegistryOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const TableName = options.tableName
    const retry = retrying(options.retry)

    const storeError = (operation: string) => (error: DynamoCallError) => new StoreError({ operation, cause: error })

    const fromItem = (operation: string, raw: Record<string, unknown>) =>
      Effect.gen(function* () {
        const spec = yield* Effect.try(() => JSON.parse(String(raw["spec"])) as Record<string, unknown>)
        return yield* decodeRegistration({
          ...spec,
          id: raw["sk"],
          version: raw["version"],
          createdAt: raw["createdAt"],
          updatedAt: raw["updatedAt"],
          createdBy: raw["createdBy"],
          updatedBy: raw["updatedBy"]
        })
      }).pipe(Effect.mapError((cause) => new StoreError({ operation, cause })))

    const bumpRevision: TransactWriteItem = {
      Update: {
        TableName,
        Key: marshall(META),
        UpdateExpression: "ADD revision :one",
        ExpressionAttributeValues: marshall({ ":one": 1 })
      }
    }

    /** Runs a conditional write with the revision bump; a failed condition reports the winning item. */
    const transact = (operation: string, write: TransactWriteItem) =>
      dynamo.send(operation, (client) => client.send(new TransactWriteItemsCommand({ TransactItems: [write, bumpRevision] }))).pipe(
        retry,
        Effect.asVoid,
        Effect.catchAll((error): Effect.Effect<never, ConditionFailed | StoreError> => {
          const refused = refusedBecause(error)
          if (refused === undefined) return Effect.fail(storeError(operation)(error))
          if (refused.item === undefined) return Effect.fail(new ConditionFailed({ current: Option.none() }))
          return Effect.flatMap(
            fromItem(operation, unmarshall(refused.item)),
            (winner) => Effect.fail(new ConditionFailed({ current: Option.some(winner) }))
          )
        })
      )

    /** The condition of replaces and deletes: the item is still at the version the policy read or was given. */
    const atVersion = (expected: number) => ({
      ConditionExpression: "version = :expected",
      ExpressionAttributeValues: marshall({ ":expected": expected }),
      ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const
    })

    const storage: RegistryStorage = {
      get: (id) =>
        dynamo.send("Registry.get", (client) =>
          client.send(new GetItemCommand({ TableName, Key: marshall({ pk: PARTITION, sk: id }), ConsistentRead: true }))).pipe(
            retry,
            Effect.mapError(storeError("Registry.get")),
            Effect.flatMap((output) =>
              output.Item === undefined
                ? Effect.succeed(Option.none())
                : Effect.map(fromItem("Registry.get", unmarshall(output.Item)), Option.some)
            )
          ),

      list: ({ type, after, limit }) =>
        Effect.gen(function* () {
          const prefix = type === undefined ? "" : `${type}-`
          // DynamoDB may need several calls to return `limit` items (1 MB per response).
          const items: Array<Registration> = []
          let startKey: QueryCommandOutput["LastEvaluatedKey"] = after === undefined ? undefined : marshall({ pk: PARTITION, sk: after })
          do {
            const output: QueryCommandOutput = yield* dynamo.send("Registry.list", (client) =>
              client.send(new QueryCommand({
                TableName,
                ConsistentRead: true,
                KeyConditionExpression: prefix === "" ? "pk = :pk" : "pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues: marshall(prefix === "" ? { ":pk": PARTITION } : { ":pk": PARTITION, ":prefix": prefix }),
                Limit: limit - items.length,
                ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey })
              }))).pipe(retry, Effect.mapError(storeError("Registry.list")))
            for (const raw of output.Items ?? []) items.push(yield* fromItem("Registry.list", unmarshall(raw)))
            startKey = output.LastEvaluatedKey
          } while (startKey !== undefined && items.length < limit)
          return items
        }),

      insertIfAbsent: (item) =>
        transact("Registry.create", {
          Put: {
            TableName,
            Item: marshall(toItem(item)),
            ConditionExpression: "attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD"
          }
        }),

      replaceIfVersion: (item, expected) =>
        transact("Registry.update", { Put: { TableName, Item: marshall(toItem(item)), ...atVersion(expected) } }),

      deleteIfVersion: (id, expected) =>
        transact("Registry.remove", { Delete: { TableName, Key: marshall({ pk: PARTITION, sk: id }), ...atVersion(expected) } }),

      stamp: dynamo.send("Registry.stamp", (client) =>
        client.send(new GetItemCommand({ TableName, Key: marshall(META), ConsistentRead: true }))).pipe(
          retry,
          Effect.mapError(storeError("Registry.stamp")),
          Effect.map((output) => String(output.Item === undefined ? 0 : unmarshall(output.Item)["revision"] ?? 0))
        )
    }

    return makeRegistry(storage)
  })

export const layer = (options: DynamoDBRegistryOptions): Layer.Layer<Registry, never, DynamoDB> =>
  Layer.effect(Registry, make(options))

/** `REGISTRATION_TABLE_NAME` from the environment. */
export const makeConfig = Effect.flatMap(Config.string("REGISTRATION_TABLE_NAME"), (tableName) => make({ tableName }))

export const layerConfig = Layer.effect(Registry, makeConfig)
