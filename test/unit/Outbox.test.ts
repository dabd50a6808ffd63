/** The outbox tail delivers each message once and in sequence order, even when appends land out of order. */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Duration, Effect, Fiber, Layer, Stream, TestClock } from "effect"
import { StoreError } from "../../src/domain/errors.js"
import { notification } from "../../src/domain/JsonRpc.js"
import type { OutboxEntry, SessionId } from "../../src/domain/Session.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionStoreMemory } from "../../src/layers/MemorySessionStore.js"
import * as Catalog from "../../src/mcp/Catalog.js"
import { type CatalogSeries, contiguous, GAP_TIMEOUT, OUTAGE_TOLERANCE, tailOutbox, watchRegistry } from "../../src/mcp/Outbox.js"
import { Registry } from "../../src/services/Registry.js"
import { SessionStore, type SessionStoreShape, SKIPPED } from "../../src/services/SessionStore.js"
import { newSession } from "../contracts/SessionStoreContract.js"
import { promptSpec, resourceSpec, toolSpec } from "../support/fixtures.js"

const id = "session-gap-0123456789" as SessionId
const entry = (seq: number): OutboxEntry => ({ sessionId: id, seq, message: notification(`n/${seq}`), createdAt: 0 })

/**
 * A store whose outbox holds exactly the entries in `visible` (the test changes it over time);
 * a number given up reads as a skip mark, unless `landsWhenAbandoned` has its write land first.
 */
const scriptedStore = (visible: Set<number>, landsWhenAbandoned = false) => {
  const skipped = new Set<number>()
  return Layer.succeed(SessionStore, {
    readAfter: (_id, after, limit = 100) =>
      Effect.succeed(
        [...visible, ...skipped].filter((seq) => seq > after).sort((a, b) => a - b).slice(0, limit)
          .map((seq) => (skipped.has(seq) ? { ...entry(seq), message: SKIPPED } : entry(seq)))
      ),
    abandon: (_id, seq) =>
      Effect.sync(() => {
        if (landsWhenAbandoned) visible.add(seq)
        if (visible.has(seq)) return false
        skipped.add(seq)
        return true
      }),
    create: () => Effect.die("unused"),
    get: () => Effect.die("unused"),
    update: () => Effect.die("unused"),
    touch: () => Effect.die("unused"),
    remove: () => Effect.die("unused"),
    append: () => Effect.die("unused")
  } satisfies SessionStoreShape)
}

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

  it.effect("a write that lands just as the reader gives its number up is delivered, in order", () =>
    Effect.gen(function* () {
      const visible = new Set([1, 3, 4])
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(4), Stream.runCollect, Effect.provide(scriptedStore(visible, true)))
      )
      yield* TestClock.adjust(Duration.sum(GAP_TIMEOUT, Duration.seconds(1)))
      const seqs = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)
      expect(seqs).toEqual([1, 2, 3, 4])
    }))

  it.effect("steps over a number given up after the gap timeout, sending nothing for it", () =>
    Effect.gen(function* () {
      const visible = new Set([1, 3, 4])
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(3), Stream.runCollect, Effect.provide(scriptedStore(visible)))
      )
      yield* TestClock.adjust(Duration.sum(GAP_TIMEOUT, Duration.seconds(1)))
      const seqs = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)
      expect(seqs).toEqual([1, 3, 4])
    }))

  it.effect("a backlog longer than a page is delivered at once, page after page", () =>
    Effect.gen(function* () {
      const visible = new Set(Array.from({ length: 250 }, (_, i) => i + 1))
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(250), Stream.runCollect, Effect.provide(scriptedStore(visible)))
      )
      // Less than the shortest poll interval.
      yield* TestClock.adjust(Duration.millis(50))
      expect(fiber.unsafePoll()).not.toBeNull()
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)).toEqual([...visible])
    }))

  it.effect("a message is delivered within the shortest poll interval after activity, and the longest while idle", () =>
    Effect.gen(function* () {
      const visible = new Set([1])
      const delivered: Array<number> = []
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(
          Stream.runForEach((e) => Effect.sync(() => delivered.push(e.seq))),
          Effect.provide(scriptedStore(visible))
        )
      )
      yield* TestClock.adjust(Duration.millis(1))
      expect(delivered).toEqual([1])
      visible.add(2)
      yield* TestClock.adjust(options.minPollInterval)
      expect(delivered).toEqual([1, 2])
      // Idle for a long while: polls back off, but no further than the longest interval.
      yield* TestClock.adjust(Duration.minutes(5))
      visible.add(3)
      yield* TestClock.adjust(options.maxPollInterval)
      expect(delivered).toEqual([1, 2, 3])
      yield* Fiber.interrupt(fiber)
    }))

  /** `scriptedStore`, counting its reads. */
  const countedStore = (visible: Set<number>, reads: { count: number }, failing = { on: false }) =>
    Layer.map(scriptedStore(visible), (context) => {
      const store = Context.get(context, SessionStore)
      return Context.make(SessionStore, {
        ...store,
        readAfter: (sessionId, after, limit) =>
          Effect.suspend(() => {
            reads.count++
            return failing.on
              ? Effect.fail(new StoreError({ operation: "SessionStore.readAfter", cause: new Error("down") }))
              : store.readAfter(sessionId, after, limit)
          })
      })
    })

  it.effect("an idle stream, or one whose reads fail, backs off to one read per longest poll interval", () =>
    Effect.gen(function* () {
      for (const failing of [false, true]) {
        const reads = { count: 0 }
        const fiber = yield* Effect.fork(
          tailOutbox(id, 0, options).pipe(Stream.runDrain, Effect.provide(countedStore(new Set(), reads, { on: failing })))
        )
        // 100, 200, 400 and 800 ms, then a second at a time: 4 reads, then one a second.
        yield* TestClock.adjust(Duration.seconds(10))
        expect(reads.count).toBeGreaterThanOrEqual(10)
        expect(reads.count).toBeLessThanOrEqual(14)
        yield* Fiber.interrupt(fiber)
      }
    }))

  it.effect("a number missing for the gap timeout is given up right then", () =>
    Effect.gen(function* () {
      const visible = new Set([1, 3])
      // Off the epoch, so times are not small numbers.
      yield* TestClock.adjust(Duration.hours(1))
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(2), Stream.runCollect, Effect.provide(scriptedStore(visible)))
      )
      // The hole is first seen on the poll after the one that delivered 1.
      yield* TestClock.adjust(Duration.millis(Duration.toMillis(GAP_TIMEOUT) + Duration.toMillis(options.minPollInterval) - 1))
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1))
      expect(fiber.unsafePoll()).not.toBeNull()
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)).toEqual([1, 3])
    }))

  /** A store whose reads fail while `failing.on` is set, and otherwise hold the entries in `visible`. */
  const flakyStore = (visible: Set<number>, failing: { on: boolean }) =>
    Layer.map(scriptedStore(visible), (context) => {
      const store = Context.get(context, SessionStore)
      return Context.make(SessionStore, {
        ...store,
        readAfter: (sessionId, after, limit) =>
          failing.on
            ? Effect.fail(new StoreError({ operation: "SessionStore.readAfter", cause: new Error("down") }))
            : store.readAfter(sessionId, after, limit)
      })
    })

  it.effect("a read that fails for a while is tried again, and nothing is lost meanwhile", () =>
    Effect.gen(function* () {
      const visible = new Set([1])
      const failing = { on: true }
      // Off the epoch: the outage's start is then a time of its own.
      yield* TestClock.adjust(Duration.hours(1))
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.take(2), Stream.runCollect, Effect.provide(flakyStore(visible, failing)))
      )
      yield* TestClock.adjust(Duration.seconds(20))
      visible.add(2)
      failing.on = false
      yield* TestClock.adjust(Duration.seconds(2))
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => e.seq)).toEqual([1, 2])
    }))

  it.effect("the stream ends at the failed read that reaches the outage tolerance, not a poll later", () =>
    Effect.gen(function* () {
      // Off the epoch; one read a second, so a read lands exactly at the tolerance.
      yield* TestClock.adjust(Duration.hours(1))
      const steady = { ...options, minPollInterval: Duration.seconds(1), maxPollInterval: Duration.seconds(1) }
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, steady).pipe(Stream.runCollect, Effect.provide(flakyStore(new Set([1]), { on: true })))
      )
      yield* TestClock.adjust(Duration.millis(Duration.toMillis(OUTAGE_TOLERANCE) - 1))
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1))
      expect(fiber.unsafePoll()).not.toBeNull()
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber))).toEqual([])
    }))

  it.effect("reads that keep failing past the outage tolerance end the stream", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        tailOutbox(id, 0, options).pipe(Stream.runCollect, Effect.provide(flakyStore(new Set([1]), { on: true })))
      )
      yield* TestClock.adjust(Duration.sum(OUTAGE_TOLERANCE, Duration.seconds(2)))
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber))).toEqual([])
    }))
})

describe("watchRegistry", () => {
  const watched = Layer.mergeAll(sessionStoreMemory({ ttl: Duration.hours(1) }), Catalog.layer).pipe(
    Layer.provideMerge(registryMemory)
  )
  const interval = Duration.seconds(5)

  /** The methods in the session's outbox, and what its streams last saw of the registry. */
  const outbox = Effect.gen(function* () {
    const store = yield* SessionStore
    const entries = yield* store.readAfter(id, 0)
    return entries.map((entry) => ("method" in entry.message ? entry.message.method : undefined))
  })
  const catalogSeen = Effect.map(Effect.flatMap(SessionStore, (store) => store.get(id)), (session) => session.catalogSeen)

  /** Runs a watch for `seconds` of the TestClock, then stops it. */
  const watchFor = (seconds: number, series?: CatalogSeries) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(watchRegistry(id, interval, series))
      yield* TestClock.adjust(Duration.seconds(seconds))
      yield* Fiber.interrupt(fiber)
    })

  it.effect("announces each kind of registration that changes, and nothing while none does", () =>
    Effect.gen(function* () {
      const registry = yield* Registry
      yield* Effect.flatMap(SessionStore, (store) => store.create(newSession(id)))
      yield* registry.create(toolSpec("before"))
      const fiber = yield* Effect.fork(watchRegistry(id, interval))
      yield* TestClock.adjust(Duration.seconds(1))
      yield* registry.create(toolSpec("weather"))
      yield* TestClock.adjust(interval)
      expect(yield* outbox).toEqual(["notifications/tools/list_changed"])
      yield* registry.create(resourceSpec("readme", { uri: "file:///readme.md" }))
      yield* registry.create(promptSpec("greet"))
      yield* TestClock.adjust(interval)
      yield* TestClock.adjust(interval)
      expect(yield* outbox).toEqual([
        "notifications/tools/list_changed",
        "notifications/resources/list_changed",
        "notifications/prompts/list_changed"
      ])
      yield* Fiber.interrupt(fiber)
      // Without a series nothing is recorded on the session.
      expect(yield* catalogSeen).toBeUndefined()
    }).pipe(Effect.provide(watched)))

  it.effect("a stream continuing a series announces what changed since the previous one, and records what it saw", () =>
    Effect.gen(function* () {
      const registry = yield* Registry
      yield* Effect.flatMap(SessionStore, (store) => store.create(newSession(id)))
      yield* watchFor(1, { seen: undefined })
      const first = yield* catalogSeen
      expect(first).toBeDefined()
      expect(yield* outbox).toEqual([])
      // Changed while no stream was open.
      yield* registry.create(promptSpec("greet"))
      yield* watchFor(1, { seen: first })
      expect(yield* outbox).toEqual(["notifications/prompts/list_changed"])
      const second = yield* catalogSeen
      expect(second).not.toBe(first)
      // Nothing changed since: nothing announced, and nothing written (the session's expiry stays).
      const before = yield* Effect.flatMap(SessionStore, (store) => store.get(id))
      yield* watchFor(30, { seen: second })
      expect(yield* outbox).toEqual(["notifications/prompts/list_changed"])
      expect((yield* Effect.flatMap(SessionStore, (store) => store.get(id))).expiresAt).toBe(before.expiresAt)
    }).pipe(Effect.provide(watched)))

  it.effect("a series record that cannot be read starts the watch afresh, announcing nothing", () =>
    Effect.gen(function* () {
      const registry = yield* Registry
      yield* Effect.flatMap(SessionStore, (store) => store.create(newSession(id)))
      yield* registry.create(toolSpec("weather"))
      for (const seen of ["not json", JSON.stringify({ stamp: "s" }), JSON.stringify(["s"]), JSON.stringify(["s", 1, 2, 3])]) {
        yield* watchFor(1, { seen })
        expect(yield* outbox).toEqual([])
      }
      // What it recorded instead continues the series.
      yield* registry.create(toolSpec("news"))
      yield* watchFor(1, { seen: yield* catalogSeen })
      expect(yield* outbox).toEqual(["notifications/tools/list_changed"])
    }).pipe(Effect.provide(watched)))

  it.effect("the watch ends with its session", () =>
    Effect.gen(function* () {
      const registry = yield* Registry
      const store = yield* SessionStore
      yield* store.create(newSession(id))
      const fiber = yield* Effect.fork(watchRegistry(id, interval))
      yield* TestClock.adjust(Duration.seconds(1))
      yield* store.remove(id)
      yield* registry.create(toolSpec("weather"))
      yield* TestClock.adjust(interval)
      expect(fiber.unsafePoll()).not.toBeNull()
      // With a series, already its first record finds the session gone.
      const series = yield* Effect.fork(watchRegistry(id, interval, { seen: undefined }))
      yield* TestClock.adjust(Duration.seconds(1))
      expect(series.unsafePoll()).not.toBeNull()
    }).pipe(Effect.provide(watched)))
})
