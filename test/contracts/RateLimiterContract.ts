/** What every RateLimiter must do: count per principal per minute, and say when to come back. */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, type Layer, TestClock } from "effect"
import { RateLimiter } from "../../src/services/RateLimiter.js"

export const rateLimiterContract = <E>(name: string, makeLayer: (limitPerMinute: number) => Layer.Layer<RateLimiter, E>) =>
  describe(`RateLimiter contract / ${name}`, () => {
    it.effect("allows the limit in a minute, then refuses with the seconds left in it", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const principal = `alice-${Math.random()}`
        yield* TestClock.adjust(Duration.seconds(15))
        const decisions = yield* Effect.forEach(Array.from({ length: 4 }), () => limiter.take(principal))
        expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false])
        expect(decisions.map((decision) => decision.remaining)).toEqual([2, 1, 0, 0])
        expect(decisions[3]!.retryAfterSeconds).toBe(45)
      }).pipe(Effect.provide(makeLayer(3))))

    it.effect("a new minute starts a new count; principals are counted apart", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const alice = `alice-${Math.random()}`
        const bob = `bob-${Math.random()}`
        expect((yield* limiter.take(alice)).allowed).toBe(true)
        expect((yield* limiter.take(alice)).allowed).toBe(false)
        expect((yield* limiter.take(bob)).allowed).toBe(true)
        yield* TestClock.adjust(Duration.minutes(1))
        expect((yield* limiter.take(alice)).allowed).toBe(true)
      }).pipe(Effect.provide(makeLayer(1))))

    it.effect("concurrent requests never exceed the limit", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const principal = `carol-${Math.random()}`
        const decisions = yield* Effect.forEach(Array.from({ length: 30 }), () => limiter.take(principal), { concurrency: 10 })
        expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10)
      }).pipe(Effect.provide(makeLayer(10))))
  })
