/**
 * The Sessions service over the memory stores: who may use a session, when its expiry is pushed,
 * what an oversized message becomes, and what a session's and a response stream's streams carry.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Stream, TestClock } from "effect"
import { StoreError } from "../../src/domain/errors.js"
import { ErrorCode, failure, type JsonRpcMessage, notification, success } from "../../src/domain/JsonRpc.js"
import type { OutboxEntry } from "../../src/domain/Session.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionStoreMemory } from "../../src/layers/MemorySessionStore.js"
import * as Catalog from "../../src/mcp/Catalog.js"
import { STREAM_END } from "../../src/mcp/Outbox.js"
import { Sessions, type SessionsOptions } from "../../src/mcp/Sessions.js"
import * as SessionsModule from "../../src/mcp/Sessions.js"
import { SessionStore, type SessionStoreShape } from "../../src/services/SessionStore.js"
import { spansOf } from "../support/tracing.js"

const TTL = Duration.minutes(10)
const alice = "arn:aws:iam::123456789012:user/alice"
const bob = "arn:aws:iam::123456789012:user/bob"
const start = { protocolVersion: "2025-11-25", initialized: false }
/** The largest message a session's stream carries: what a synchronous Lambda invocation can answer. */
const MAX_MESSAGE_BYTES = 6 * 1024 * 1024

const polling: SessionsOptions = {
  minPollInterval: Duration.millis(10),
  maxPollInterval: Duration.millis(100),
  registryWatchInterval: Duration.seconds(5)
}

/** Sessions over a memory store (left visible, to check what was written) and a memory registry. */
const sessionsLayer = (options: SessionsOptions = polling, store: Layer.Layer<SessionStore> = sessionStoreMemory({ ttl: TTL })) =>
  SessionsModule.layer(options).pipe(
    Layer.provideMerge(store),
    Layer.provide(Catalog.layer),
    Layer.provide(registryMemory)
  )

const methodOf = (entry: OutboxEntry) => ("method" in entry.message ? entry.message.method : undefined)

/** A notification whose JSON text is exactly `bytes` characters. */
const notificationOfSize = (bytes: number): JsonRpcMessage => {
  const empty = JSON.stringify(notification("n/big", { text: "" })).length
  return notification("n/big", { text: "x".repeat(bytes - empty) })
}

describe("Sessions", () => {
  it.effect("a session is found only by its owner, on its own transport", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      expect(session).toMatchObject({ principal: alice, transport: "streamable-http", protocolVersion: "2025-11-25" })
      expect((yield* sessions.resolve(session.id, "streamable-http", alice)).id).toBe(session.id)
      const refused = [
        yield* Effect.flip(sessions.resolve(session.id, "streamable-http", bob)),
        yield* Effect.flip(sessions.resolve(session.id, "sse", alice)),
        yield* Effect.flip(sessions.resolve("no such session, but well formed", "streamable-http", alice)),
        yield* Effect.flip(sessions.resolve("short", "streamable-http", alice))
      ]
      expect(refused.map((error) => [error._tag, "sessionId" in error ? error.sessionId : undefined])).toEqual([
        ["SessionNotFound", session.id],
        ["SessionNotFound", session.id],
        ["SessionNotFound", "no such session, but well formed"],
        ["SessionNotFound", "short"]
      ])
      // Each session gets an id of its own.
      expect((yield* sessions.open(alice, "streamable-http", start)).id).not.toBe(session.id)
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("opening and resolving a session are traced under their names", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const names = yield* spansOf(Effect.flatMap(
        sessions.open(alice, "streamable-http", start),
        (session) => sessions.resolve(session.id, "streamable-http", alice)
      ))
      expect(names.filter((name) => name.startsWith("Sessions."))).toEqual(["Sessions.open", "Sessions.resolve"])
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("touch keeps the engine's changes and pushes the expiry; after appends, only changes are written", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const store = yield* SessionStore
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* TestClock.adjust(Duration.minutes(1))
      yield* sessions.touch(session, { initialized: true, logLevel: "debug" })
      const changed = yield* store.get(session.id)
      expect(changed).toMatchObject({ initialized: true, logLevel: "debug", expiresAt: session.expiresAt + 60_000 })
      // Messages were appended (pushing the expiry already): nothing more is written.
      yield* TestClock.adjust(Duration.minutes(1))
      yield* sessions.touch(changed, {}, true)
      expect((yield* store.get(session.id)).expiresAt).toBe(changed.expiresAt)
      // Nothing appended, nothing changed: the expiry is pushed.
      yield* sessions.touch(changed, {})
      expect((yield* store.get(session.id)).expiresAt).toBe(changed.expiresAt + 60_000)
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("with touchEvery, a session's expiry is pushed at most once an interval", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const store = yield* SessionStore
      // Not at the epoch: the session's last push is then a time of its own.
      yield* TestClock.adjust(Duration.hours(1))
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* TestClock.adjust(Duration.millis(59_999))
      yield* sessions.touch(session, {})
      expect((yield* store.get(session.id)).expiresAt).toBe(session.expiresAt)
      yield* TestClock.adjust(Duration.millis(1))
      yield* sessions.touch(session, {})
      const pushed = yield* store.get(session.id)
      expect(pushed.expiresAt).toBe(session.expiresAt + 60_000)
      // Changes are written whenever there are any.
      yield* TestClock.adjust(Duration.seconds(1))
      yield* sessions.touch(pushed, { initialized: true })
      expect(yield* store.get(session.id)).toMatchObject({ initialized: true, expiresAt: pushed.expiresAt + 1_000 })
    }).pipe(Effect.provide(sessionsLayer({ ...polling, touchEvery: { ttl: TTL, every: Duration.minutes(1) } }))))

  it.effect("touch never fails on a session ended meanwhile; ending it again is fine", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* sessions.close(session.id)
      yield* sessions.touch(session, {})
      yield* sessions.touch(session, { initialized: true })
      // Closing an ended session is fine too.
      yield* sessions.close(session.id)
      expect((yield* Effect.flip(sessions.resolve(session.id, "streamable-http", alice)))._tag).toBe("SessionNotFound")
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("touch never fails on a store that fails: the answer is decided, the failure only logged", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* sessions.touch(session, {})
      yield* sessions.touch(session, { initialized: true })
    }).pipe(Effect.provide(sessionsLayer(polling, failingWrites))))

  it.effect("appends keep their order; an oversized answer becomes an error answer, other oversized messages are dropped", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const store = yield* SessionStore
      const session = yield* sessions.open(alice, "streamable-http", start)
      const fits = notificationOfSize(MAX_MESSAGE_BYTES)
      const bigText = "y".repeat(MAX_MESSAGE_BYTES)
      const bigAnswer = success(7, { text: bigText })
      const bytes = JSON.stringify(bigAnswer).length
      const entries = yield* sessions.append(session.id, [
        notification("n/first"),
        fits,
        notificationOfSize(MAX_MESSAGE_BYTES + 1),
        bigAnswer,
        // A request of the server's, and an answer to no request: nothing to answer in their place.
        { jsonrpc: "2.0", id: 8, method: "sampling/createMessage", params: { text: bigText } },
        failure(null, ErrorCode.InternalError, bigText),
        notification("n/last")
      ], "stream-1")
      const expected = [
        notification("n/first"),
        fits,
        failure(
          7,
          ErrorCode.InternalError,
          `The answer is too large to deliver: ${bytes} characters, over the ${MAX_MESSAGE_BYTES} a session's stream carries`
        ),
        notification("n/last")
      ]
      expect(entries.map((entry) => entry.message)).toEqual(expected)
      expect(entries.every((entry) => entry.stream === "stream-1")).toBe(true)
      const stored = yield* store.readAfter(session.id, 0)
      expect(stored.map((entry) => [entry.seq, entry.message])).toEqual(entries.map((entry) => [entry.seq, entry.message]))
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("an oversized error answer to a request is replaced too", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      const [entry] = yield* sessions.append(session.id, [failure("r-1", -32000, "z".repeat(MAX_MESSAGE_BYTES))])
      expect(entry?.message).toMatchObject({ id: "r-1", error: { code: ErrorCode.InternalError } })
      expect(entry?.stream).toBeUndefined()
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("a session's stream carries its own messages; a response stream's, to its response, are for that stream", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* sessions.append(session.id, [notification("own/1")])
      yield* sessions.append(session.id, [notification("post/progress"), success(1, {}), notification("post/after")], "post-1")
      yield* sessions.append(session.id, [notification("own/2")])
      const own = yield* Effect.fork(Stream.runCollect(Stream.take(sessions.messages(session.id, 0), 2)))
      const post = yield* Effect.fork(Stream.runCollect(sessions.streamMessages(session.id, "post-1", 0)))
      yield* TestClock.adjust(Duration.seconds(1))
      expect(Chunk.toReadonlyArray(yield* Fiber.join(own)).map(methodOf)).toEqual(["own/1", "own/2"])
      const resumed = Chunk.toReadonlyArray(yield* Fiber.join(post))
      expect(resumed.map((entry) => entry.message)).toEqual([notification("post/progress"), success(1, {})])
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("a response stream whose request was cancelled ends at its end mark, which is never sent", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* sessions.append(session.id, [notification("post/progress"), STREAM_END, notification("post/late")], "post-1")
      const post = yield* Effect.fork(Stream.runCollect(sessions.streamMessages(session.id, "post-1", 0)))
      yield* TestClock.adjust(Duration.seconds(1))
      expect(Chunk.toReadonlyArray(yield* Fiber.join(post)).map(methodOf)).toEqual(["post/progress"])
    }).pipe(Effect.provide(sessionsLayer())))

  it.effect("a session's stream ends when the session does", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const session = yield* sessions.open(alice, "streamable-http", start)
      yield* sessions.append(session.id, [notification("own/1")])
      const own = yield* Effect.fork(Stream.runCollect(sessions.messages(session.id, 0)))
      yield* TestClock.adjust(Duration.seconds(1))
      yield* sessions.close(session.id)
      yield* TestClock.adjust(Duration.seconds(1))
      expect(Chunk.toReadonlyArray(yield* Fiber.join(own)).map(methodOf)).toEqual(["own/1"])
    }).pipe(Effect.provide(sessionsLayer())))
})

/** A memory store whose session writes (update, touch) fail as in an outage. */
const failingWrites: Layer.Layer<SessionStore> = Layer.effect(
  SessionStore,
  Effect.map(SessionStore, (store): SessionStoreShape => ({
    ...store,
    update: () => Effect.fail(new StoreError({ operation: "SessionStore.update", cause: new Error("down") })),
    touch: () => Effect.fail(new StoreError({ operation: "SessionStore.touch", cause: new Error("down") }))
  }))
).pipe(Layer.provide(sessionStoreMemory({ ttl: TTL })))
