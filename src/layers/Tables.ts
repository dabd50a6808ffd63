/**
 * The two tables, defined once: the stores, `dev --create-tables`, the tests and
 * `template.yaml` all follow these key schemas.
 *
 * Registration table — `pk = "registration"`, `sk = <id>`: one partition, so a Query lists
 * registrations in id order (they are few, and the MCP function caches them); plus
 * `pk = "meta"`, `sk = "revision"`, a counter every write bumps in the same transaction.
 *
 * Session table — `pk = <session id>`: `sk = "session"` holds the session and its sequence
 * counter, `sk = "msg#<seq, 12 digits>"` its outbox, read in order with strongly consistent
 * Queries. `ttl` (epoch seconds) lets DynamoDB delete expired items; reads filter on
 * `expiresAt` (epoch ms) because TTL deletion can lag by days.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  UpdateTimeToLiveCommand
} from "@aws-sdk/client-dynamodb"
import * as Effect from "effect/Effect"
import { DynamoDB } from "./DynamoDB.js"

export const KEY = { partition: "pk", sort: "sk" } as const
export const TTL_ATTRIBUTE = "ttl"

export interface TableNames {
  readonly registrations: string
  readonly sessions: string
}

const definition = (name: string): CreateTableCommandInput => ({
  TableName: name,
  BillingMode: "PAY_PER_REQUEST",
  KeySchema: [
    { AttributeName: KEY.partition, KeyType: "HASH" },
    { AttributeName: KEY.sort, KeyType: "RANGE" }
  ],
  AttributeDefinitions: [
    { AttributeName: KEY.partition, AttributeType: "S" },
    { AttributeName: KEY.sort, AttributeType: "S" }
  ]
})

export const registrationTableDefinition = definition
export const sessionTableDefinition = definition

/** Creates whichever table is missing (and the session table's TTL); existing tables are left as they are. */
export const createTables = (names: TableNames) =>
  Effect.gen(function* () {
    const dynamo = yield* DynamoDB
    const ensure = (input: CreateTableCommandInput, ttl: boolean) =>
      Effect.gen(function* () {
        const exists = yield* dynamo.send("DescribeTable", (c) => c.send(new DescribeTableCommand({ TableName: input.TableName }))).pipe(
          Effect.as(true),
          Effect.catchIf((error) => error.name === "ResourceNotFoundException", () => Effect.succeed(false))
        )
        if (exists) return
        yield* dynamo.send("CreateTable", (c) => c.send(new CreateTableCommand(input)))
        if (ttl) {
          yield* dynamo.send("UpdateTimeToLive", (c) =>
            c.send(new UpdateTimeToLiveCommand({
              TableName: input.TableName,
              TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true }
            })))
        }
      })
    yield* ensure(registrationTableDefinition(names.registrations), false)
    yield* ensure(sessionTableDefinition(names.sessions), true)
  })
