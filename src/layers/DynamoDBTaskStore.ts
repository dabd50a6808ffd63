/**
 * Tasks in the session table: `pk = "task#<task id>"`, `sk = "task"`, the task as JSON text
 * (its shape is the protocol's, not DynamoDB's) beside the attributes conditions and expiry
 * need: `version`, `expiresAt` (epoch ms, filtered on read) and `ttl` (epoch seconds, for
 * DynamoDB's deletion, which may lag). Reads are strongly consistent; a replace is a put
 * conditioned on the version it read, so of two writers of one version exactly one wins.
 */
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { StoreError, TaskChanged } from "../domain/errors.js"
import { onFirstUse } from "../domain/Decode.js"
import { StoredTask, type TaskId } from "../domain/Task.js"
import { TaskStore, type TaskStoreShape } from "../services/TaskStore.js"
import { DynamoDB, type RetryPolicy, retrying } from "./DynamoDB.js"
import { TTL_ATTRIBUTE } from "./Tables.js"

export interface DynamoDBTaskStoreOptions {
  readonly tableName: string
  readonly retry?: RetryPolicy | undefined
}

/** The partition prefix of task items (IAM conditions name it: `dynamodb:LeadingKeys` like `task#*`). */
export const TASK_PARTITION_PREFIX = "task#"
const SK = "task"

const keyOf = (taskId: TaskId) => ({ pk: `${TASK_PARTITION_PREFIX}${taskId}`, sk: SK })

const decodeTask = onFirstUse(() => Schema.decodeUnknown(Schema.parseJson(StoredTask.built())))
const encodeTask = onFirstUse(() => Schema.encodeSync(Schema.parseJson(StoredTask.built())))

export const make = (options: DynamoDBTaskStoreOptions) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const TableName = options.tableName
    const retry = retrying(options.retry)

    const itemOf = (task: StoredTask) =>
      marshall({
        ...keyOf(task.taskId),
        task: encodeTask(task),
        version: task.version,
        expiresAt: task.expiresAt,
        [TTL_ATTRIBUTE]: Math.ceil(task.expiresAt / 1000)
      })

    const create = Effect.fn("TaskStore.create")(function* (task: StoredTask) {
      yield* dynamo.send("TaskStore.create", (client) =>
        client.send(new PutItemCommand({ TableName, Item: itemOf(task), ConditionExpression: "attribute_not_exists(pk)" }))).pipe(
          retry,
          Effect.mapError((cause) => new StoreError({ operation: "TaskStore.create", cause }))
        )
    })

    const get = Effect.fn("TaskStore.get")(function* (taskId: TaskId) {
      const output = yield* dynamo.send("TaskStore.get", (client) =>
        client.send(new GetItemCommand({ TableName, Key: marshall(keyOf(taskId)), ConsistentRead: true }))).pipe(
          retry,
          Effect.mapError((cause) => new StoreError({ operation: "TaskStore.get", cause }))
        )
      if (output.Item === undefined) return Option.none<StoredTask>()
      const task = yield* decodeTask(unmarshall(output.Item)["task"]).pipe(
        Effect.mapError((cause) => new StoreError({ operation: "TaskStore.get", cause }))
      )
      const now = yield* Clock.currentTimeMillis
      return task.expiresAt > now ? Option.some(task) : Option.none<StoredTask>()
    })

    const replace = Effect.fn("TaskStore.replace")(function* (task: StoredTask) {
      const now = yield* Clock.currentTimeMillis
      yield* dynamo.send("TaskStore.replace", (client) =>
        client.send(new PutItemCommand({
          TableName,
          Item: itemOf(task),
          ConditionExpression: "version = :version AND expiresAt > :now",
          ExpressionAttributeValues: marshall({ ":version": task.version - 1, ":now": now })
        }))).pipe(
          retry,
          Effect.mapError((error) =>
            error.name === "ConditionalCheckFailedException"
              ? new TaskChanged({ taskId: task.taskId, version: task.version - 1 })
              : new StoreError({ operation: "TaskStore.replace", cause: error }))
        )
    })

    return { create, get, replace } satisfies TaskStoreShape
  })

export const layer = (options: DynamoDBTaskStoreOptions): Layer.Layer<TaskStore, never, DynamoDB> =>
  Layer.effect(TaskStore, make(options))

/** In `SESSION_TABLE_NAME`. */
export const makeConfig = Effect.flatMap(Config.string("SESSION_TABLE_NAME"), (tableName) => make({ tableName }))

export const layerConfig = Layer.effect(TaskStore, makeConfig)
