/** The outbox tail delivers each message once and in sequence order, even when appends land out of order. */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Stream, TestClock } from "effect"
import { notification } from "../../src/domain/JsonRpc.js"
import type { OutboxEntry, SessionId } from "../../src/domain/Session.js"
import { contiguous, GAP_TIMEOUT, tailOutbox } from "../../src/mcp/Outbox.js"
import { SessionStore, type SessionStoreShape } from "../../src/services/SessionStore.js"

const id = "session-gap-0123456789" as SessionId
const entry = (seq: number): OutboxEntry => ({ sessionId: id, seq, message: notification(`n/${seq}`), createdAt: 0 })

/** A store whose outbox holds exactly the entries in `visible` (the test changes it over time). */
const scriptedStore = (visible: Set<number>) =>
  Layer.succeed(SessionStore, {
    readAfter: (_id, after, limit = 100) =>
      Effect.succeed([...visible].filter((seq) => seq > after).sort((a, b) => a - b).slice(0, limit).map(entry)),
    create: () => Effect.die("unused"),
    get: () => Effect.die("unused"),
    update: () => Effect.die("unused"),
    touch: () => Effect.die("unused"),
    remove: () => Effect.die("unused"),
    append: () => Effect.die("unused")
  } satisfies SessionStoreShape)

const options = {
  minPollInterval: Duration.millis(100),
  maxPollInterval: Duration.seconds(1),
  keepAliveInterval: Duration.seconds(20),
  registryWatchInterval: Duration.seconds(5),
  maxDuration: Duration.minutes(1)
}

describe("tailOutbox", () => {
  it("contiguous stops at the first hole", () => {
    expect(contiguous(0, [entry(1), entry(2), entry(4)]).map((e) => e.seq)).toEqual([1, 2])
    expect(contiguous(2, [entry(4), entry(5)])).toEqual([])
  })

  it.effect("holds later messages back until a slower, earlier append lands", () =>
    Effect.gen(function* () {
      const visible = new Set([1, 3])
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(3), Stream.runCollect, Effect.provide(scriptedStore(visible)))
      )
      yield* TestClock.adjust(Duration.millis(500))
      visible.add(2)
      yield* TestClock.adjust(Duration.millis(500))
      const seqs = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)
      expect(seqs).toEqual([1, 2, 3])
    }))

  it.effect("skips a number whose writer never finished, after the gap timeout", () =>
    Effect.gen(function* () {
      const visible = new Set([1, 3, 4])
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(3), Stream.runCollect, Effect.provide(scriptedStore(visible)))
      )
      yield* TestClock.adjust(Duration.sum(GAP_TIMEOUT, Duration.seconds(1)))
      const seqs = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)
      expect(seqs).toEqual([1, 3, 4])
    }))
})
