/**
 * Registry on DynamoDB. Every write is a transaction of the registration item (with its
 * condition) and the registry's revision counter, so the stamp moves exactly when a write
 * lands. Creates use `attribute_not_exists`; updates and deletes condition on the version
 * they read, so of concurrent writers of one version exactly one wins.
 */
import {
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteItemsCommand,
  type TransactWriteItem
} from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import { Clock, Config, Effect, Layer, Option } from "effect"
import {
  RegistrationConflict,
  RegistrationNotFound,
  RegistrationVersionMismatch,
  StoreError
} from "../domain/errors.js"
import {
  decodeRegistration,
  idOf,
  type Registration,
  type RegistrationId,
  type RegistrationSpec
} from "../domain/Registration.js"
import {
  checkSize,
  type ListOptions,
  type Precondition,
  Registry,
  type RegistryShape
} from "../services/Registry.js"
import { type DynamoCallError, DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { pageOf, pageRequest } from "./RegistryPages.js"

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
  readonly spec: string
}

const toItem = (registration: Registration): Item => {
  const { id, version, createdAt, updatedAt, ...spec } = registration
  return { pk: PARTITION, sk: id, version, createdAt, updatedAt, spec: JSON.stringify(spec) }
}

const isConditionFailure = (error: DynamoCallError) => {
  if (error.name === "ConditionalCheckFailedException") return true
  if (error.name !== "TransactionCanceledException") return false
  const reasons = (error.cause as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []
  return reasons.some((reason) => reason.Code === "ConditionalCheckFailed")
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
          updatedAt: raw["updatedAt"]
        })
      }).pipe(Effect.mapError((cause) => new StoreError({ operation, cause })))

    const read = (operation: string, id: string) =>
      dynamo.send(operation, (client) =>
        client.send(new GetItemCommand({ TableName, Key: marshall({ pk: PARTITION, sk: id }), ConsistentRead: true }))).pipe(
          retry,
          Effect.mapError(storeError(operation)),
          Effect.flatMap((output) =>
            output.Item === undefined ? Effect.succeed(Option.none()) : Effect.map(fromItem(operation, unmarshall(output.Item)), Option.some)
          )
        )

    const bumpRevision: TransactWriteItem = {
      Update: {
        TableName,
        Key: marshall(META),
        UpdateExpression: "ADD revision :one",
        ExpressionAttributeValues: marshall({ ":one": 1 })
      }
    }

    /** Runs a write with the revision bump; false when the write's own condition failed. */
    const transact = (operation: string, write: TransactWriteItem) =>
      dynamo.send(operation, (client) => client.send(new TransactWriteItemsCommand({ TransactItems: [write, bumpRevision] }))).pipe(
        retry,
        Effect.as(true),
        Effect.catchIf(isConditionFailure, () => Effect.succeed(false)),
        Effect.mapError(storeError(operation))
      )

    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

    const create = Effect.fn("Registry.create")(function* (spec: RegistrationSpec) {
      yield* checkSize(spec)
      const timestamp = yield* now
      const id = idOf(spec)
      const registration = { ...spec, id, version: 1, createdAt: timestamp, updatedAt: timestamp } as Registration
      const written = yield* transact("Registry.create", {
        Put: { TableName, Item: marshall(toItem(registration)), ConditionExpression: "attribute_not_exists(pk)" }
      })
      if (!written) return yield* new RegistrationConflict({ id })
      return registration
    })

    /** The stored registration, checked against the caller's expected version. */
    const current = (operation: string, id: RegistrationId, precondition: Precondition | undefined) =>
      Effect.gen(function* () {
        const found = yield* read(operation, id)
        if (Option.isNone(found)) return yield* new RegistrationNotFound({ id })
        if (precondition?.ifVersion !== undefined && precondition.ifVersion !== found.value.version) {
          return yield* new RegistrationVersionMismatch({ id, expected: precondition.ifVersion, actual: found.value.version })
        }
        return found.value
      })

    /** After a failed condition: what changed under us decides the error. */
    const lostRace = (operation: string, id: RegistrationId, expected: number) =>
      Effect.flatMap(
        read(operation, id),
        (found): Effect.Effect<never, RegistrationNotFound | RegistrationVersionMismatch> =>
          Option.isNone(found)
            ? Effect.fail(new RegistrationNotFound({ id }))
            : Effect.fail(new RegistrationVersionMismatch({ id, expected, actual: found.value.version }))
      )

    const update = Effect.fn("Registry.update")(function* (spec: RegistrationSpec, precondition?: Precondition) {
      yield* checkSize(spec)
      const id = idOf(spec)
      const existing = yield* current("Registry.update", id, precondition)
      const next = {
        ...spec,
        id,
        version: existing.version + 1,
        createdAt: existing.createdAt,
        updatedAt: yield* now
      } as Registration
      const written = yield* transact("Registry.update", {
        Put: {
          TableName,
          Item: marshall(toItem(next)),
          ConditionExpression: "version = :read",
          ExpressionAttributeValues: marshall({ ":read": existing.version })
        }
      })
      if (!written) return yield* lostRace("Registry.update", id, existing.version)
      return next
    })

    const remove = Effect.fn("Registry.remove")(function* (id: RegistrationId, precondition?: Precondition) {
      const existing = yield* current("Registry.remove", id, precondition)
      const written = yield* transact("Registry.remove", {
        Delete: {
          TableName,
          Key: marshall({ pk: PARTITION, sk: id }),
          ConditionExpression: "version = :read",
          ExpressionAttributeValues: marshall({ ":read": existing.version })
        }
      })
      if (!written) return yield* lostRace("Registry.remove", id, existing.version)
    })

    const get = Effect.fn("Registry.get")(function* (id: RegistrationId) {
      const found = yield* read("Registry.get", id)
      if (Option.isNone(found)) return yield* new RegistrationNotFound({ id })
      return found.value
    })

    const list = Effect.fn("Registry.list")(function* (options: ListOptions = {}) {
      const { after, limit } = yield* pageRequest(options)
      const prefix = options.type === undefined ? "" : `${options.type}-`
      // One more than a page tells whether another page exists; DynamoDB may need several
      // calls to return it (1 MB per response).
      const items: Array<Registration> = []
      let startKey: QueryCommandOutput["LastEvaluatedKey"] = after === undefined ? undefined : marshall({ pk: PARTITION, sk: after })
      do {
        const output: QueryCommandOutput = yield* dynamo.send("Registry.list", (client) =>
          client.send(new QueryCommand({
            TableName,
            ConsistentRead: true,
            KeyConditionExpression: prefix === "" ? "pk = :pk" : "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: marshall(prefix === "" ? { ":pk": PARTITION } : { ":pk": PARTITION, ":prefix": prefix }),
            Limit: limit + 1 - items.length,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey })
          }))).pipe(retry, Effect.mapError(storeError("Registry.list")))
        for (const raw of output.Items ?? []) items.push(yield* fromItem("Registry.list", unmarshall(raw)))
        startKey = output.LastEvaluatedKey
      } while (startKey !== undefined && items.length <= limit)
      return pageOf(items, options, limit)
    })

    const stamp = dynamo.send("Registry.stamp", (client) =>
      client.send(new GetItemCommand({ TableName, Key: marshall(META), ConsistentRead: true }))).pipe(
        retry,
        Effect.mapError(storeError("Registry.stamp")),
        Effect.map((output) => String(output.Item === undefined ? 0 : unmarshall(output.Item)["revision"] ?? 0)),
        Effect.withSpan("Registry.stamp")
      )

    return { create, update, get, list, remove, stamp } satisfies RegistryShape
  })

export const layer = (options: DynamoDBRegistryOptions): Layer.Layer<Registry, never, DynamoDB> =>
  Layer.effect(Registry, make(options))

/** `REGISTRATION_TABLE_NAME` from the environment. */
export const layerConfig = Layer.unwrapEffect(
  Effect.map(Config.string("REGISTRATION_TABLE_NAME"), (tableName) => layer({ tableName }))
)
