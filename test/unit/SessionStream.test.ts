/**
 * How long an SSE stream lives (src/http/SessionStream.ts): its configured maximum, cut short on
 * Lambda so that it ends `deadlineMargin` before the invocation's deadline, or when the server
 * stops. Time is the TestClock's: the tests move it to just before and to the moment a stream
 * must end.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Fiber, Option, Queue, Stream, TestClock, TestServices } from "effect"
import { InvocationDeadline, ServerShutdown } from "../../src/http/HostContext.js"
import { bounded, endWhenIdle, lifetime, type StreamOptions } from "../../src/http/SessionStream.js"

const options: StreamOptions = {
  keepAliveInterval: Duration.seconds(20),
  maxStreamDuration: Duration.seconds(120),
  deadlineMargin: Duration.seconds(10),
  retryInterval: Duration.seconds(1),
  idleWindow: Duration.seconds(2),
  idleRetry: Duration.seconds(30)
}

/** An invocation with `millis` left (the Lambda context's `getRemainingTimeInMillis`). */
const remaining = (millis: number) => Effect.provideService(InvocationDeadline, { remainingMillis: () => millis })

/** The stream ended (not failed) — at once: a second of real time stands for "never". */
const endsNow = (fiber: Fiber.RuntimeFiber<void>) => Fiber.join(fiber).pipe(Effect.timeout("1 second"), TestServices.provideLive)

/** Runs a bounded endless body in the background: whether it has ended, as time moves. */
const openStream = Effect.gen(function* () {
  const body = yield* bounded(Stream.never as Stream.Stream<Uint8Array>, options)
  return yield* Effect.fork(Stream.runDrain(body))
})

describe("SSE stream lifetime", () => {
  it.effect("is the configured maximum off Lambda", () =>
    Effect.gen(function* () {
      expect(Duration.toMillis(yield* lifetime(options))).toBe(120_000)
    }))

  it.effect("on Lambda, ends the deadline margin before the deadline, never after the maximum", () =>
    Effect.gen(function* () {
      expect(Duration.toMillis(yield* lifetime(options).pipe(remaining(12_500)))).toBe(2_500)
      expect(Duration.toMillis(yield* lifetime(options).pipe(remaining(10_000)))).toBe(0)
      expect(Duration.toMillis(yield* lifetime(options).pipe(remaining(3_000)))).toBe(0)
      expect(Duration.toMillis(yield* lifetime(options).pipe(remaining(900_000)))).toBe(120_000)
    }))

  it.effect("a stream with 12.5 s left in its invocation is still open at 2.499 s and ends cleanly at 2.5 s", () =>
    Effect.gen(function* () {
      const fiber = yield* openStream.pipe(remaining(12_500))
      yield* TestClock.adjust(Duration.millis(2_499))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      // Ended, not failed: the client sees the body end.
      yield* endsNow(fiber)
    }))

  it.effect("a stream ends when the server stops, before its lifetime", () =>
    Effect.gen(function* () {
      const shutdown = yield* Deferred.make<void>()
      const fiber = yield* openStream.pipe(Effect.provideService(ServerShutdown, shutdown))
      yield* TestClock.adjust(Duration.seconds(60))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* Deferred.succeed(shutdown, undefined)
      yield* endsNow(fiber)
    }))
})

describe("a short standing stream", () => {
  /** An idle-bounded stream fed by hand: what it emitted so far, and whether it has ended. */
  const fedStream = Effect.gen(function* () {
    const queue = yield* Queue.unbounded<number>()
    const fiber = yield* Effect.fork(Stream.runCollect(endWhenIdle(Stream.fromQueue(queue), options.idleWindow)))
    return { queue, fiber }
  })

  it.effect("with nothing to send, is open until its idle window has passed and then ends cleanly", () =>
    Effect.gen(function* () {
      const { fiber } = yield* fedStream
      yield* TestClock.adjust(Duration.millis(1_999))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      const emitted = yield* Fiber.join(fiber).pipe(Effect.timeout("1 second"), TestServices.provideLive)
      expect(Chunk.toReadonlyArray(emitted)).toEqual([])
    }))

  it.effect("each message restarts the window, and every message sent is delivered", () =>
    Effect.gen(function* () {
      const { fiber, queue } = yield* fedStream
      yield* TestClock.adjust(Duration.millis(1_500))
      yield* Queue.offer(queue, 1)
      yield* TestClock.adjust(Duration.millis(1_500))
      yield* Queue.offer(queue, 2)
      // 3.5 s after the start, but 1.5 s after the last message: still open.
      yield* TestClock.adjust(Duration.millis(1_999))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      const emitted = yield* Fiber.join(fiber).pipe(Effect.timeout("1 second"), TestServices.provideLive)
      expect(Chunk.toReadonlyArray(emitted)).toEqual([1, 2])
    }))
})
