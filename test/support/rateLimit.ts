/**
 * The memory rate limiter with its minute held still. The limit counts per wall-clock minute;
 * a test that crossed a minute's end would find its count reset (one did, once, in a full run).
 */
import { Clock, Effect, Layer } from "effect"
import { makeMemory } from "../../src/layers/MemoryRateLimiter.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"

const NOW = Date.UTC(2026, 0, 1, 12, 0, 30)

const stillClock: Clock.Clock = {
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => NOW,
  currentTimeMillis: Effect.succeed(NOW),
  unsafeCurrentTimeNanos: () => BigInt(NOW) * 1_000_000n,
  currentTimeNanos: Effect.succeed(BigInt(NOW) * 1_000_000n),
  sleep: () => Effect.void
}

export const frozenMinuteLimiter = (limitPerMinute: number): Layer.Layer<RateLimiter> =>
  Layer.effect(
    RateLimiter,
    Effect.map(makeMemory(limitPerMinute), (limiter) => ({ take: (principal: string) => Effect.withClock(limiter.take(principal), stillClock) }))
  )
