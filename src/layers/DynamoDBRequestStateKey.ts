/**
 * The key that seals `requestState` (2026-07-28 questions), shared by every container of a
 * deployment: one item in the session table (`pk = "config#request-state-key"`), made by
 * whichever container needs it first (a conditional put; the loser reads the winner's).
 */
import { randomBytes } from "node:crypto"
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { DynamoDB, retrying } from "./DynamoDB.js"

const KEY = { pk: "config#request-state-key", sk: "config" }

export const sharedKey = (tableName: string) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const retry = retrying()
    const read = dynamo.send("RequestStateKey.read", (client) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: marshall(KEY), ConsistentRead: true }))).pipe(
        retry,
        Effect.map((output) => (output.Item === undefined ? undefined : String(unmarshall(output.Item)["key"])))
      )
    const existing = yield* read
    if (existing !== undefined) return Redacted.make(new Uint8Array(Buffer.from(existing, "base64")))
    const fresh = randomBytes(32).toString("base64")
    const created = yield* dynamo.send("RequestStateKey.create", (client) =>
      client.send(new PutItemCommand({
        TableName: tableName,
        Item: marshall({ ...KEY, key: fresh }),
        ConditionExpression: "attribute_not_exists(pk)"
      }))).pipe(
        retry,
        Effect.as(true),
        Effect.catchIf((error) => error.name === "ConditionalCheckFailedException", () => Effect.succeed(false))
      )
    const key = created ? fresh : yield* read
    if (key === undefined) return yield* Effect.dieMessage("The shared request-state key vanished")
    return Redacted.make(new Uint8Array(Buffer.from(key, "base64")))
  }).pipe(Effect.orDie, Effect.withSpan("RequestStateKey.shared"))
