/** The DynamoDB task store on DynamoDB Local: the TaskStore contract, and the item it writes. */
import { GetItemCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer } from "effect"
import { inject } from "vitest"
import * as DynamoDB from "../../src/layers/DynamoDB.js"
import * as DynamoDBTaskStore from "../../src/layers/DynamoDBTaskStore.js"
import { TaskStore } from "../../src/services/TaskStore.js"
import { sampleTask, taskStoreContract } from "../contracts/TaskStoreContract.js"
import { clientLayer, freshTableNames, tablesLayer, testRetry } from "../support/dynamodb.js"

const endpoint = inject("dynamodbEndpoint")

const taskStoreLayer = (tableName: string) =>
  DynamoDBTaskStore.layer({ tableName, retry: testRetry })

describe.skipIf(endpoint === "")("DynamoDB Local: tasks", () => {
  taskStoreContract("DynamoDB", () => {
    const names = freshTableNames()
    return taskStoreLayer(names.sessions).pipe(Layer.provide(tablesLayer(names)), Layer.provide(clientLayer(endpoint)))
  })

  it.effect("a task is one item of the session table under task#<id>, expiring by TTL", () =>
    Effect.gen(function* () {
      const names = freshTableNames()
      yield* Effect.gen(function* () {
        const store = yield* TaskStore
        const dynamo = yield* DynamoDB.DynamoDB
        const task = sampleTask(yield* Clock.currentTimeMillis)
        yield* store.create(task)
        const output = yield* dynamo.send("read", (client) =>
          client.send(new GetItemCommand({ TableName: names.sessions, Key: marshall({ pk: `task#${task.taskId}`, sk: "task" }), ConsistentRead: true })))
        const item = unmarshall(output.Item!)
        expect(item).toMatchObject({ version: 1, expiresAt: task.expiresAt, ttl: Math.ceil(task.expiresAt / 1000) })
        expect(JSON.parse(item["task"])).toEqual(task)
      }).pipe(Effect.provide(taskStoreLayer(names.sessions).pipe(
        Layer.provide(tablesLayer(names)),
        Layer.provideMerge(clientLayer(endpoint))
      )))
    }))
})
