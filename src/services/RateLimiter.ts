/** Requests per principal per minute, counted where every container sees the same count. */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { StoreError } from "../domain/errors.js"

export interface RateDecision {
  readonly allowed: boolean
  /** Seconds until the current window ends (for `Retry-After`). */
  readonly retryAfterSeconds: number
  readonly remaining: number
}

export interface RateLimiterShape {
  /** Counts one request of `principal` and says whether it is within the limit. */
  readonly take: (principal: string) => Effect.Effect<RateDecision, StoreError>
}

/** No limit: every request is allowed. */
export const allowAll: RateLimiterShape = {
  take: () => Effect.succeed({ allowed: true, retryAfterSeconds: 0, remaining: Number.POSITIVE_INFINITY })
}

export class RateLimiter extends Context.Tag("mcp-lambda-sam/RateLimiter")<RateLimiter, RateLimiterShape>() {
  /** No limit: every request is allowed. */
  static readonly unlimited: Layer.Layer<RateLimiter> = Layer.succeed(RateLimiter, allowAll)
}

export const WINDOW_MILLIS = 60_000

/** The fixed one-minute window `now` falls in, and what is left of it. */
export const windowOf = (now: number) => {
  const start = now - (now % WINDOW_MILLIS)
  return { start, retryAfterSeconds: Math.max(1, Math.ceil((start + WINDOW_MILLIS - now) / 1000)) }
}
