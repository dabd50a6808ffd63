/**
 * A cap on the long-lived streams one caller holds open at once (`MAX_STREAMS_PER_CALLER`):
 * a stream takes a lease before it opens — its session is not even created when refused (429)
 * — and gives it back when it ends. Without the `StreamLeases` service there is no cap.
 */
import { randomBytes } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { StreamLeases } from "../services/StreamLeases.js"
import { lifetime, type StreamOptions } from "./SessionStream.js"

/** A lease outlives its stream's lifetime by this much, for an invocation that dies without releasing it. */
const LEASE_GRACE_MILLIS = 60_000

/** What a refused stream's 429 says and carries. */
export const tooManyStreams = (limit: number) => ({
  message: `Too many open streams: this caller already holds ${limit}, the most it may; close one first`,
  headers: { "retry-after": "5" }
})

export interface StreamLease {
  /** The body, giving the lease back when it ends. */
  readonly hold: <A, E, R>(body: Stream.Stream<A, E, R>) => Stream.Stream<A, E, R>
}

/** A lease for one more stream of `principal`, or what to refuse with (the caller's status line is 429). */
export const streamLease = (principal: string, options: StreamOptions) =>
  Effect.gen(function* () {
    const leases = yield* Effect.serviceOption(StreamLeases)
    if (Option.isNone(leases)) return { granted: true, hold: (body) => body } as const satisfies StreamLease & { granted: true }
    const { acquire, limit, release } = leases.value
    const stream = randomBytes(9).toString("base64url")
    const now = yield* Clock.currentTimeMillis
    const until = now + Duration.toMillis(yield* lifetime(options)) + LEASE_GRACE_MILLIS
    if (!(yield* acquire(principal, stream, until))) return { granted: false, ...tooManyStreams(limit) } as const
    const giveBack = release(principal, stream).pipe(
      Effect.catchAll((error) => Effect.logWarning("A stream lease could not be given back; it expires by itself", error))
    )
    return { granted: true, hold: (body) => Stream.ensuring(body, giveBack) } as const satisfies StreamLease & { granted: true }
  })
