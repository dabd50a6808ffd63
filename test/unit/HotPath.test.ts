/**
 * Fewer store requests on the hot path (issue 13): a container reads the registry stamp at most
 * every `REGISTRY_STAMP_CACHE_MS`, and a request pushes its session's expiry only when the last
 * push is `touchEvery` old. Time is the TestClock's.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, TestClock } from "effect"
import type { SessionId } from "../../src/domain/Session.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import * as Catalog from "../../src/mcp/Catalog.js"
import * as Sessions from "../../src/mcp/Sessions.js"
import { Registry } from "../../src/services/Registry.js"
import { SessionStore } from "../../src/services/SessionStore.js"
import { toolSpec } from "../support/fixtures.js"

/** A registry that counts its stamp reads. */
const countingRegistry = (reads: { count: number }) =>
  Layer.effect(
    Registry,
    Effect.map(Registry, (registry) => ({
      ...registry,
      stamp: Effect.suspend(() => {
        reads.count++
        return registry.stamp
      })
    }))
  ).pipe(Layer.provide(registryMemory))

const withCacheMillis = (millis: number) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["REGISTRY_STAMP_CACHE_MS", String(millis)]])))

describe("the registry stamp, cached per container", () => {
  it.effect("is read once a second however many requests ask, and a change shows within that second", () =>
    Effect.gen(function* () {
      const reads = { count: 0 }
      yield* Effect.gen(function* () {
        const catalog = yield* Catalog.Catalog
        const registry = yield* Registry
        for (let i = 0; i < 5; i++) yield* catalog.all("tool")
        expect(reads.count).toBe(1)
        yield* registry.create(toolSpec("added"))
        expect((yield* catalog.all("tool")).map((tool) => tool.name)).not.toContain("added")
        yield* TestClock.adjust(Duration.seconds(1))
        expect((yield* catalog.all("tool")).map((tool) => tool.name)).toContain("added")
        expect(reads.count).toBe(2)
      }).pipe(Effect.provide(Catalog.layer.pipe(Layer.provideMerge(countingRegistry(reads)), Layer.provide(withCacheMillis(1000)))))
    }))

  it.effect("is kept exactly that long after each read, whatever the time of day", () =>
    Effect.gen(function* () {
      const reads = { count: 0 }
      yield* Effect.gen(function* () {
        const catalog = yield* Catalog.Catalog
        yield* TestClock.adjust(Duration.hours(5))
        yield* catalog.all("tool")
        yield* TestClock.adjust(Duration.millis(999))
        yield* catalog.all("tool")
        expect(reads.count).toBe(1)
        yield* TestClock.adjust(Duration.millis(1))
        yield* catalog.all("tool")
        expect(reads.count).toBe(2)
      }).pipe(Effect.provide(Catalog.layer.pipe(Layer.provideMerge(countingRegistry(reads)), Layer.provide(withCacheMillis(1000)))))
    }))

  it.effect("without the setting, every use reads it", () =>
    Effect.gen(function* () {
      const reads = { count: 0 }
      yield* Effect.gen(function* () {
        const catalog = yield* Catalog.Catalog
        for (let i = 0; i < 3; i++) yield* catalog.all("tool")
        expect(reads.count).toBe(3)
      }).pipe(Effect.provide(Catalog.layer.pipe(Layer.provideMerge(countingRegistry(reads)))))
    }))
})

describe("a session's expiry, pushed at most once a minute", () => {
  const TTL = Duration.minutes(60)
  /** A session store that counts `touch` calls. */
  const countingStore = (touches: { count: number }) =>
    Layer.effect(
      SessionStore,
      Effect.map(SessionStore, (store) => ({
        ...store,
        touch: (id: SessionId) =>
          Effect.suspend(() => {
            touches.count++
            return store.touch(id)
          })
      }))
    ).pipe(Layer.provide(sessionsMemory({ ttl: TTL })))

  it.effect("requests within a minute of the last push write nothing; the first after it pushes again", () =>
    Effect.gen(function* () {
      const touches = { count: 0 }
      const layer = Sessions.layer({
        minPollInterval: Duration.millis(10),
        maxPollInterval: Duration.millis(100),
        registryWatchInterval: Duration.seconds(60),
        touchEvery: { ttl: TTL, every: Duration.minutes(1) }
      }).pipe(Layer.provideMerge(countingStore(touches)), Layer.provide(Catalog.layer), Layer.provide(registryMemory))
      yield* Effect.gen(function* () {
        const sessions = yield* Sessions.Sessions
        const store = yield* SessionStore
        const opened = yield* sessions.open("alice", "streamable-http", { protocolVersion: "2025-11-25", initialized: true })
        for (let i = 0; i < 3; i++) {
          yield* TestClock.adjust(Duration.seconds(15))
          yield* sessions.touch(yield* store.get(opened.id), {})
        }
        expect(touches.count).toBe(0)
        yield* TestClock.adjust(Duration.seconds(15))
        yield* sessions.touch(yield* store.get(opened.id), {})
        expect(touches.count).toBe(1)
        yield* TestClock.adjust(Duration.seconds(15))
        yield* sessions.touch(yield* store.get(opened.id), {})
        expect(touches.count).toBe(1)
      }).pipe(Effect.provide(layer))
    }))
})
