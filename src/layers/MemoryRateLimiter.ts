/** A per-minute request limit kept in memory (one process: the dev server, tests). */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { RateLimiter, type RateLimiterShape, windowOf } from "../services/RateLimiter.js"

export const makeMemory = (limitPerMinute: number): Effect.Effect<RateLimiterShape> =>
  Effect.gen(function* () {
    const counts = yield* Ref.make(new Map<string, { window: number; hits: number }>())
    const take = (principal: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const { start, retryAfterSeconds } = windowOf(now)
        return Ref.modify(counts, (current) => {
          const previous = current.get(principal)
          const hits = previous !== undefined && previous.window === start ? previous.hits + 1 : 1
          const next = new Map(current).set(principal, { window: start, hits })
          return [{ allowed: hits <= limitPerMinute, retryAfterSeconds, remaining: Math.max(0, limitPerMinute - hits) }, next]
        })
      })
    return { take }
  })

export const layerMemory = (limitPerMinute: number): Layer.Layer<RateLimiter> =>
  Layer.effect(RateLimiter, makeMemory(limitPerMinute))
