/** The DynamoDB stores on DynamoDB Local: the same contract suites as the memory layers, and more. */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb"
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb"
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Layer, TestClock } from "effect"
import { inject } from "vitest"
import { notification } from "../../src/domain/JsonRpc.js"
import type { RegistrationId } from "../../src/domain/Registration.js"
import type { SessionId } from "../../src/domain/Session.js"
import * as DynamoDB from "../../src/layers/DynamoDB.js"
import * as DynamoDBRegistry from "../../src/layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../../src/layers/DynamoDBSessionStore.js"
import * as DynamoDBStreamLeases from "../../src/layers/DynamoDBStreamLeases.js"
import { Registry } from "../../src/services/Registry.js"
import { isSkipped, SessionStore } from "../../src/services/SessionStore.js"
import { StreamLeases } from "../../src/services/StreamLeases.js"
import { registryContract } from "../contracts/RegistryContract.js"
import { rateLimiterContract } from "../contracts/RateLimiterContract.js"
import { newSession, sessionStoreContract } from "../contracts/SessionStoreContract.js"
import {
  clientLayer,
  faultInjecting,
  freshTableNames,
  rateLimiterLayer,
  registryLayer,
  sessionStoreLayer,
  tablesLayer,
  testRetry
} from "../support/dynamodb.js"
import { toolSpec } from "../support/fixtures.js"

const endpoint = inject("dynamodbEndpoint")

describe.skipIf(endpoint === "")("DynamoDB Local", () => {
  registryContract("DynamoDB", () => registryLayer(endpoint))
  sessionStoreContract("DynamoDB", (ttl) => sessionStoreLayer(endpoint, ttl))
  rateLimiterContract("DynamoDB", (limitPerMinute) => rateLimiterLayer(endpoint, limitPerMinute))
})

describe.skipIf(endpoint === "")("DynamoDB stream leases", () => {
  const leasesLayer = (limit: number) => {
    const names = freshTableNames()
    return DynamoDBStreamLeases.layer({ tableName: names.sessions, limit, retry: testRetry }).pipe(
      Layer.provide(tablesLayer(names)),
      Layer.provide(clientLayer(endpoint))
    )
  }

  // Lease expiry is the TestClock's: time moves by adjusting it, around real DynamoDB Local calls.
  it.effect("a principal holds at most its limit of live leases; released and expired ones make room", () =>
    Effect.gen(function* () {
      const leases = yield* StreamLeases
      const now = yield* Clock.currentTimeMillis
      const later = now + 60_000
      expect(yield* leases.acquire("alice", "a", later)).toBe(true)
      expect(yield* leases.acquire("alice", "b", later)).toBe(true)
      expect(yield* leases.acquire("alice", "c", later)).toBe(false)
      expect(yield* leases.acquire("bob", "a", later)).toBe(true)
      yield* leases.release("alice", "a")
      yield* leases.release("alice", "a")
      expect(yield* leases.acquire("alice", "c", later)).toBe(true)
      // A lease whose invocation died without giving it back counts only until it expires.
      expect(yield* leases.acquire("carol", "dead", now + 500)).toBe(true)
      expect(yield* leases.acquire("carol", "x", later)).toBe(true)
      expect(yield* leases.acquire("carol", "y", later)).toBe(false)
      yield* TestClock.adjust("600 millis")
      expect(yield* leases.acquire("carol", "y", later)).toBe(true)
    }).pipe(Effect.provide(leasesLayer(2))), { timeout: 30_000 })

  it.live("racing openers of one principal get exactly the limit", () =>
    Effect.gen(function* () {
      const leases = yield* StreamLeases
      const later = (yield* Clock.currentTimeMillis) + 60_000
      const granted = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => `s${i}`),
        (stream) => leases.acquire("dave", stream, later),
        { concurrency: "unbounded" }
      )
      expect(granted.filter(Boolean)).toHaveLength(3)
    }).pipe(Effect.provide(leasesLayer(3))), { timeout: 30_000 })
})

describe.skipIf(endpoint === "")("DynamoDB stores beyond the contract", () => {
  it.live("a number given up before its write lands reads as skipped, and the message arrives under the next", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      const id = "session-abandon-0123456789" as SessionId
      yield* store.create(newSession(id))
      const first = yield* store.append(id, notification("n/1"))
      // A reader gives up the next number before its writer's item lands (the writer is slow).
      expect(yield* store.abandon(id, first.seq + 1)).toBe(true)
      const late = yield* store.append(id, notification("n/late"))
      expect(late.seq).toBe(first.seq + 2)
      const read = yield* store.readAfter(id, 0)
      expect(read.map((entry) => [entry.seq, isSkipped(entry.message) ? "skipped" : entry.message])).toEqual([
        [first.seq, notification("n/1")],
        [first.seq + 1, "skipped"],
        [first.seq + 2, notification("n/late")]
      ])
      // Giving up the same number again changes nothing.
      expect(yield* store.abandon(id, first.seq + 1)).toBe(false)
    }).pipe(Effect.provide(sessionStoreLayer(endpoint, Duration.minutes(10)))), { timeout: 30_000 })

  // Live clock: the backoff waits are a few milliseconds of real time around real I/O.
  it.live("an append whose numbers are given up three times running fails; given up twice, it lands on the third", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      const id = "session-abandon-3-0123456789" as SessionId
      yield* store.create(newSession(id))
      const first = yield* store.append(id, notification("n/1"))
      for (const seq of [first.seq + 1, first.seq + 2]) expect(yield* store.abandon(id, seq)).toBe(true)
      expect((yield* store.append(id, notification("n/2"))).seq).toBe(first.seq + 3)
      for (const seq of [first.seq + 4, first.seq + 5, first.seq + 6]) expect(yield* store.abandon(id, seq)).toBe(true)
      const refused = yield* Effect.flip(store.append(id, notification("n/3")))
      expect(refused).toMatchObject({ _tag: "StoreError", operation: "SessionStore.append" })
      const read = yield* store.readAfter(id, 0)
      expect(read.filter((entry) => !isSkipped(entry.message)).map((entry) => entry.message)).toEqual([
        notification("n/1"),
        notification("n/2")
      ])
    }).pipe(Effect.provide(sessionStoreLayer(endpoint, Duration.minutes(10)))), { timeout: 30_000 })

  it.effect("every item carries its expiry for DynamoDB's TTL, in epoch seconds rounded up", () =>
    Effect.gen(function* () {
      const names = freshTableNames()
      const ttl = Duration.minutes(10)
      yield* Effect.gen(function* () {
        const dynamo = yield* DynamoDB.DynamoDB
        const store = yield* DynamoDBSessionStore.make({ tableName: names.sessions, ttl, retry: testRetry })
        const id = "session-ttl-0123456789" as SessionId
        /** Each item of the session's partition: its sort key, expiry and TTL attribute. */
        const expiries = dynamo.send("test.query", (client) =>
          client.send(new QueryCommand({
            TableName: names.sessions,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: marshall({ ":pk": id }),
            ConsistentRead: true
          }))).pipe(Effect.map((output) =>
            Object.fromEntries((output.Items ?? []).map((item) => unmarshall(item)).map((item) => [item["sk"], [item["expiresAt"], item["ttl"]]]))
          ))
        /** What an item written now carries. */
        const written = Effect.map(Clock.currentTimeMillis, (now) => {
          const expiresAt = now + Duration.toMillis(ttl)
          return [expiresAt, Math.ceil(expiresAt / 1000)]
        })
        // Off a whole second, so rounding shows.
        yield* TestClock.adjust(Duration.millis(1_234))
        yield* store.create(newSession(id))
        expect(yield* expiries).toEqual({ session: yield* written })
        yield* TestClock.adjust(Duration.millis(500))
        yield* store.touch(id)
        expect(yield* expiries).toEqual({ session: yield* written })
        yield* TestClock.adjust(Duration.millis(500))
        yield* store.update(id, { initialized: true })
        expect(yield* expiries).toEqual({ session: yield* written })
        // A message in parts: the session's expiry is pushed, the message and its parts expire with it.
        yield* TestClock.adjust(Duration.millis(500))
        const big = yield* store.append(id, notification("n/big", { text: randomBytes(512 * 1024).toString("base64") }))
        const atAppend = yield* written
        const afterAppend = yield* expiries
        expect(Object.keys(afterAppend).filter((sk) => sk.startsWith("blob#")).length).toBeGreaterThan(1)
        expect(Object.values(afterAppend)).toEqual(Object.keys(afterAppend).map(() => atAppend))
        // A number given up expires a TTL after it was.
        yield* TestClock.adjust(Duration.millis(500))
        yield* store.abandon(id, big.seq + 1)
        expect((yield* expiries)[`msg#${String(big.seq + 1).padStart(12, "0")}`]).toEqual(yield* written)
      }).pipe(Effect.provide(tablesLayer(names).pipe(Layer.provideMerge(clientLayer(endpoint)))))
    }), { timeout: 30_000 })

  it.effect("a message is kept as JSON text up to 300 KB, gzipped beyond, and in parts past an item's size", () =>
    Effect.gen(function* () {
      const names = freshTableNames()
      yield* Effect.gen(function* () {
        const dynamo = yield* DynamoDB.DynamoDB
        const store = yield* DynamoDBSessionStore.make({ tableName: names.sessions, retry: testRetry })
        const id = "session-bodies-0123456789" as SessionId
        const items = dynamo.send("test.query", (client) =>
          client.send(new QueryCommand({
            TableName: names.sessions,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: marshall({ ":pk": id }),
            ConsistentRead: true
          }))).pipe(Effect.map((output) => (output.Items ?? []).map((item) => unmarshall(item))))
        /** A notification whose JSON text is exactly `bytes` long. */
        const ofSize = (bytes: number, fill: (length: number) => string = (length) => "x".repeat(length)) =>
          notification("n", { text: fill(bytes - JSON.stringify(notification("n", { text: "" })).length) })
        const limit = 300 * 1024
        const random = (length: number) => randomBytes(length).toString("base64").slice(0, length)
        const sent = [ofSize(limit), ofSize(limit + 1), ofSize(limit + 1, random), ofSize(2 * limit, random)]
        yield* store.create(newSession(id))
        for (const message of sent) yield* store.append(id, message)
        const stored = yield* items
        const bodyOf = (seq: number) => {
          const item = stored.find((raw) => raw["sk"] === `msg#${String(seq).padStart(12, "0")}`)!
          return ["message", "messageGz", "parts"].filter((name) => item[name] !== undefined).map((name) => [name, typeof item[name]])
        }
        expect([1, 2, 3, 4].map(bodyOf)).toEqual([
          [["message", "string"]],
          [["messageGz", "object"]],
          [["messageGz", "object"]],
          [["parts", "number"]]
        ])
        expect(stored.find((raw) => raw["sk"] === "msg#000000000001")!["message"]).toBe(JSON.stringify(sent[0]))
        expect(stored.filter((raw) => String(raw["sk"]).startsWith("blob#000000000004#")).map((raw) => raw["sk"])).toEqual([
          "blob#000000000004#0000",
          "blob#000000000004#0001"
        ])
        expect((yield* store.readAfter(id, 0)).map((entry) => entry.message)).toEqual(sent)
      }).pipe(Effect.provide(tablesLayer(names).pipe(Layer.provideMerge(clientLayer(endpoint)))))
    }), { timeout: 30_000 })

  it.effect("a message whose parts are not all there fails the read with a StoreError saying so", () =>
    Effect.gen(function* () {
      const names = freshTableNames()
      yield* Effect.gen(function* () {
        const dynamo = yield* DynamoDB.DynamoDB
        const store = yield* DynamoDBSessionStore.make({ tableName: names.sessions, retry: testRetry })
        const id = "session-parts-0123456789" as SessionId
        yield* store.create(newSession(id))
        const big = yield* store.append(id, notification("n/big", { text: randomBytes(512 * 1024).toString("base64") }))
        yield* dynamo.send("test.delete", (client) =>
          client.send(new DeleteItemCommand({
            TableName: names.sessions,
            Key: marshall({ pk: id, sk: `blob#${String(big.seq).padStart(12, "0")}#0001` })
          })))
        const error = yield* Effect.flip(store.readAfter(id, 0))
        expect(error).toMatchObject({ _tag: "StoreError", operation: "SessionStore.readAfter" })
        expect(String((error as { cause?: unknown }).cause)).toContain(`message ${big.seq} has 1 of 2 parts`)
      }).pipe(Effect.provide(tablesLayer(names).pipe(Layer.provideMerge(clientLayer(endpoint)))))
    }))

  it.effect("a failing DynamoDB call fails the session store's operation with a StoreError naming it", () =>
    Effect.gen(function* () {
      const faults = faultInjecting(endpoint, { failures: 0, name: "AccessDeniedException" })
      const names = freshTableNames()
      const layer = DynamoDBSessionStore.layer({ tableName: names.sessions, retry: testRetry }).pipe(
        Layer.provide(tablesLayer(names)),
        Layer.provide(faults.layer)
      )
      yield* Effect.gen(function* () {
        const store = yield* SessionStore
        const id = "session-failing-0123456789" as SessionId
        yield* store.create(newSession(id))
        yield* store.append(id, notification("n/1"))
        faults.state.remaining = 1_000
        const operations: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
          ["create", store.create(newSession("session-other-0123456789"))],
          ["get", store.get(id)],
          ["update", store.update(id, { initialized: true })],
          ["touch", store.touch(id)],
          ["remove", store.remove(id)],
          ["append", store.append(id, notification("n/2"))],
          ["abandon", store.abandon(id, 2)],
          ["readAfter", store.readAfter(id, 0)]
        ]
        for (const [name, operation] of operations) {
          const operationName = `SessionStore.${name}`
          // The store's error, and the DynamoDB call's under it.
          expect(yield* Effect.flip(operation)).toMatchObject({ _tag: "StoreError", operation: operationName, cause: { operation: operationName } })
        }
      }).pipe(Effect.provide(layer))
    }), { timeout: 30_000 })

  it.live("throttled calls are retried with backoff until they succeed", () =>
    Effect.gen(function* () {
      const faults = faultInjecting(endpoint, { failures: 0, name: "ProvisionedThroughputExceededException" })
      const names = freshTableNames()
      const layer = Layer.mergeAll(
        DynamoDBRegistry.layer({ tableName: names.registrations, retry: testRetry }),
        DynamoDBSessionStore.layer({ tableName: names.sessions, retry: testRetry })
      ).pipe(Layer.provide(tablesLayer(names)), Layer.provide(faults.layer))
      yield* Effect.gen(function* () {
        const registry = yield* Registry
        const sessions = yield* SessionStore
        for (const name of ["ProvisionedThroughputExceededException", "ThrottlingException"]) {
          faults.state.remaining = 3
          faults.state.name = name
          const before = faults.state.calls
          const created = yield* registry.create(toolSpec(`t${before}`))
          expect(created.version).toBe(1)
          expect(faults.state.calls - before).toBe(4)
        }
        faults.state.remaining = 2
        const session = yield* sessions.create(newSession("session-throttle-0123456789"))
        expect(session.id).toBe("session-throttle-0123456789")
      }).pipe(Effect.provide(layer))
    }), { timeout: 30_000 })

  it.live("a store that stays throttled fails with StoreError after its attempts", () =>
    Effect.gen(function* () {
      const faults = faultInjecting(endpoint, { failures: 0, name: "ThrottlingException" })
      const names = freshTableNames()
      const layer = DynamoDBRegistry.layer({ tableName: names.registrations, retry: testRetry }).pipe(
        Layer.provide(tablesLayer(names)),
        Layer.provide(faults.layer)
      )
      yield* Effect.gen(function* () {
        const registry = yield* Registry
        faults.state.remaining = 100
        const before = faults.state.calls
        const error = yield* Effect.flip(registry.get("tool-x" as RegistrationId))
        expect(error._tag).toBe("StoreError")
        expect(faults.state.calls - before).toBe(testRetry.attempts)
      }).pipe(Effect.provide(layer))
    }), { timeout: 30_000 })

  it.effect("lists page across DynamoDB's 1 MB responses", () =>
    Effect.gen(function* () {
      const registry = yield* Registry
      // ~300 KB each: DynamoDB returns about three per Query response.
      const names = Array.from({ length: 8 }, (_, i) => `big${i}`)
      yield* Effect.forEach(names, (name) => registry.create(toolSpec(name, { description: "d".repeat(300_000) })), {
        discard: true
      })
      const first = yield* registry.list({ type: "tool", limit: 6 })
      expect(first.items.map((item) => item.name)).toEqual(names.slice(0, 6))
      const second = yield* registry.list({ type: "tool", limit: 6, cursor: first.nextCursor })
      expect(second.items.map((item) => item.name)).toEqual(names.slice(6))
      expect(second.nextCursor).toBeUndefined()
    }).pipe(Effect.provide(registryLayer(endpoint))), { timeout: 60_000 })

  it.effect("a write that loses its condition learns the winner from DynamoDB, without reading again", () =>
    Effect.gen(function* () {
      const names = freshTableNames()
      const id = "tool-weather" as RegistrationId
      yield* Effect.gen(function* () {
        const dynamo = yield* DynamoDB.DynamoDB
        const winner = yield* DynamoDBRegistry.make({ tableName: names.registrations })
        // The loser's calls, and a write by the winner that lands just before the loser's next write.
        const sent: Array<string> = []
        let concurrent: Effect.Effect<unknown, unknown> | undefined
        const racing: DynamoDB.DynamoDBShape = {
          send: (operation, call) =>
            Effect.suspend(() => {
              sent.push(operation)
              const first = operation === "Registry.get" ? undefined : concurrent
              if (first !== undefined) concurrent = undefined
              return Effect.zipRight(first === undefined ? Effect.void : Effect.orDie(first), dynamo.send(operation, call))
            })
        }
        const loser = yield* DynamoDBRegistry.make({ tableName: names.registrations }).pipe(
          Effect.provideService(DynamoDB.DynamoDB, racing)
        )
        const losing = <A, E>(effect: Effect.Effect<A, E>, winning: Effect.Effect<unknown, unknown>) => {
          sent.length = 0
          concurrent = winning
          return effect
        }

        yield* winner.create(toolSpec("weather"))
        const mismatch = yield* Effect.flip(
          losing(loser.update(toolSpec("weather", { description: "lost" }), { ifVersion: 1 }), winner.update(toolSpec("weather")))
        )
        expect(mismatch).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 1, actual: 2 })
        expect(sent).toEqual(["Registry.get", "Registry.update"])

        const gone = yield* Effect.flip(losing(loser.update(toolSpec("weather"), { ifVersion: 2 }), winner.remove(id)))
        expect(gone._tag).toBe("RegistrationNotFound")
        expect(sent).toEqual(["Registry.get", "Registry.update"])

        const created = yield* winner.create(toolSpec("weather"))
        const last = yield* losing(loser.update(toolSpec("weather", { description: "last" })), winner.update(toolSpec("weather")))
        expect(last).toMatchObject({ version: 3, description: "last", createdAt: created.createdAt })
        expect(sent).toEqual(["Registry.get", "Registry.update", "Registry.update"])
        expect(yield* winner.get(id)).toEqual(last)

        const stale = yield* Effect.flip(losing(loser.remove(id, { ifVersion: 3 }), winner.update(toolSpec("weather"))))
        expect(stale).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 3, actual: 4 })
        expect(sent).toEqual(["Registry.remove"])
      }).pipe(Effect.provide(tablesLayer(names).pipe(Layer.provideMerge(clientLayer(endpoint)))))
    }))

  it.effect("an append never overwrites a live message under its number; an expired leftover is replaced", () =>
    Effect.gen(function* () {
      const names = freshTableNames()
      const ttl = Duration.minutes(10)
      yield* Effect.gen(function* () {
        const dynamo = yield* DynamoDB.DynamoDB
        const store = yield* DynamoDBSessionStore.make({ tableName: names.sessions, ttl, retry: testRetry })
        const id = "session-outbox-0123456789" as SessionId
        const key = (seq: number) => ({ pk: id, sk: `msg#${String(seq).padStart(12, "0")}` })
        /** An outbox item written behind the store's back, as a counter that went backwards would find it. */
        const plant = (seq: number, method: string, expiresAt: number) =>
          dynamo.send("test.plant", (client) =>
            client.send(new PutItemCommand({
              TableName: names.sessions,
              Item: marshall({ ...key(seq), seq, message: JSON.stringify(notification(method)), createdAt: 0, expiresAt })
            })))
        const stored = (seq: number) =>
          dynamo.send("test.read", (client) =>
            client.send(new GetItemCommand({ TableName: names.sessions, Key: marshall(key(seq)), ConsistentRead: true }))).pipe(
              Effect.map((output) => JSON.parse(String(unmarshall(output.Item ?? {})["message"])) as { method: string })
            )

        yield* store.create(newSession(id))
        const now = yield* Clock.currentTimeMillis
        yield* plant(1, "undelivered", now + Duration.toMillis(ttl))
        const refused = yield* Effect.flip(store.append(id, notification("newer")))
        expect(refused).toMatchObject({ _tag: "StoreError", operation: "SessionStore.append" })
        expect((yield* stored(1)).method).toBe("undelivered")
        expect((yield* store.readAfter(id, 0)).map((entry) => (entry.message as { method: string }).method)).toEqual(["undelivered"])

        // Number 2 holds a leftover that has expired (TTL deletion lags): the append may take it.
        yield* plant(2, "leftover", now)
        const appended = yield* store.append(id, notification("replacement"))
        expect(appended.seq).toBe(2)
        expect((yield* stored(2)).method).toBe("replacement")
      }).pipe(Effect.provide(tablesLayer(names).pipe(Layer.provideMerge(clientLayer(endpoint)))))
    }))
})
