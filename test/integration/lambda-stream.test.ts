/**
 * `LambdaInvoker.invokeStream` through the real SDK client, against a loopback stand-in for
 * Lambda's InvokeWithResponseStream (moto has none) that speaks the event-stream wire format.
 */
import { LambdaClient } from "@aws-sdk/client-lambda"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Either, Fiber, Ref, Stream, TestClock } from "effect"
import type { LambdaArn } from "../../src/domain/LambdaArn.js"
import * as LambdaInvoker from "../../src/layers/LambdaInvoker.js"
import { type Event, readAnswer } from "../../src/mcp/FunctionStream.js"
import { arn } from "../support/fixtures.js"
import { chunk, complete, drop, reject, type Script, serveLambdaStream, stall } from "../support/lambdaStreamStandIn.js"
import { credentials, REGION } from "../support/moto.js"

/**
 * A stand-in serving `scripts` and an invoker whose client points at it, both released with the
 * scope. The client makes one attempt per call, as `LambdaInvoker.makeScoped`'s does, so
 * retries are the invoker's own.
 */
const standInWith = (scripts: Readonly<Record<string, Script>>, options: LambdaInvoker.LambdaInvokerOptions = {}) =>
  Effect.gen(function* () {
    const standIn = yield* Effect.acquireRelease(
      Effect.promise(() => serveLambdaStream(scripts)),
      (standIn) => Effect.promise(() => standIn.close())
    )
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new LambdaClient({ endpoint: standIn.endpoint, region: REGION, credentials, maxAttempts: 1 })),
      (client) => Effect.sync(() => client.destroy())
    )
    return { standIn, invoker: LambdaInvoker.make(client, options) }
  })

const target = (name: string) => arn(name) as LambdaArn

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** Every element and the failure that ends the stream, if any, in order. */
const outcomes = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.map(Stream.runCollect(Stream.either(stream)), Chunk.toReadonlyArray)

/** A hang becomes a clear failure instead of the test's timeout (in live tests; the TestClock would hold it). */
const within = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.timeoutFail(effect, { duration: Duration.seconds(5), onTimeout: () => new Error("no answer within 5 s") })

const NDJSON = [
  { type: "progress", progress: 1, total: 3, message: "fetching" },
  { type: "log", level: "info", data: { city: "Zürich" } },
  { type: "progress", progress: 2, total: 3 },
  { type: "result", result: { content: [{ type: "text", text: "Zürich: 18 °C, sunny" }] } }
].map((line) => JSON.stringify(line) + "\n").join("")

/** The NDJSON bytes cut mid-line, once inside a two-byte character (the first "ü"). */
const ndjsonPieces = () => {
  const bytes = new TextEncoder().encode(NDJSON)
  const umlaut = bytes.indexOf(0xc3)
  const cuts = [9, umlaut + 1, 70, 71, 120, bytes.length - 5].sort((a, b) => a - b)
  return [0, ...cuts].map((start, index) => bytes.slice(start, cuts[index] ?? bytes.length))
}

describe("LambdaInvoker.invokeStream against an InvokeWithResponseStream stand-in", () => {
  it.scopedLive("chunks split mid-line arrive intact and in order, and readAnswer decodes the lines across them", () =>
    Effect.gen(function* () {
      const pieces = ndjsonPieces()
      const { invoker } = yield* standInWith({
        weather: [...pieces.map((piece) => chunk(piece)), complete({ LogResult: Buffer.from("END RequestId").toString("base64") })]
      })
      const invocation = { lambdaArn: target("weather"), payload: { city: "Zürich" } }

      const received = Chunk.toReadonlyArray(yield* within(Stream.runCollect(invoker.invokeStream(invocation))))
      expect(received.map(text)).toEqual(pieces.map(text))
      expect(text(Buffer.concat(received))).toBe(NDJSON)

      const events = yield* Ref.make<ReadonlyArray<Event>>([])
      const result = yield* within(readAnswer(invoker.invokeStream(invocation), (event) => Ref.update(events, (seen) => [...seen, event])))
      expect(yield* Ref.get(events)).toEqual([
        { type: "progress", progress: 1, total: 3, message: "fetching" },
        { type: "log", level: "info", data: { city: "Zürich" } },
        { type: "progress", progress: 2, total: 3 }
      ])
      expect(result).toEqual({ content: [{ type: "text", text: "Zürich: 18 °C, sunny" }] })
    }))

  it.scopedLive("the request carries the invocation's payload as JSON", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith({ echo: [complete()] })
      const payload = { city: "Zürich", days: [1, 2], nested: { ok: true, none: null } }
      expect(Chunk.toReadonlyArray(yield* within(Stream.runCollect(invoker.invokeStream({ lambdaArn: target("echo"), payload }))))).toEqual([])
      expect(standIn.invocations).toHaveLength(1)
      const [invocation] = standIn.invocations
      expect(invocation?.functionName).toBe(target("echo"))
      expect(invocation?.headers["x-amz-invocation-type"]).toBe("RequestResponse")
      expect(JSON.parse(invocation?.body.toString("utf8") ?? "")).toEqual(payload)
    }))

  it.scopedLive("a function error event fails the stream with FunctionError, after the chunks before it", () =>
    Effect.gen(function* () {
      const { invoker } = yield* standInWith({
        failing: [
          chunk('{"type":"progress","progress":1}\n{"type":"pro'),
          chunk('gress","progress":2}\n'),
          complete({ ErrorCode: "Unhandled", ErrorDetails: JSON.stringify({ errorType: "Error", errorMessage: "boom" }) })
        ]
      })
      const seen = yield* within(outcomes(invoker.invokeStream({ lambdaArn: target("failing"), payload: {} })))
      expect(seen.map(Either.map(text))).toEqual([
        Either.right('{"type":"progress","progress":1}\n{"type":"pro'),
        Either.right('gress","progress":2}\n'),
        Either.left(expect.objectContaining({ _tag: "FunctionError", functionName: "failing", errorType: "Error", errorMessage: "boom" }))
      ])
    }))

  it.scopedLive("error details that are not JSON: the error code is the type, the details the message", () =>
    Effect.gen(function* () {
      const { invoker } = yield* standInWith({ killed: [complete({ ErrorCode: "Runtime.ExitError", ErrorDetails: "signal: killed" })] })
      const error = yield* within(Effect.flip(Stream.runDrain(invoker.invokeStream({ lambdaArn: target("killed"), payload: {} }))))
      expect(error).toMatchObject({ _tag: "FunctionError", errorType: "Runtime.ExitError", errorMessage: "signal: killed" })
    }))

  it.scopedLive("the stand-in breaking the connection mid-stream fails the stream with an InvocationError", () =>
    Effect.gen(function* () {
      const { invoker } = yield* standInWith({ dropped: [chunk('{"type":"progress","progress":1}\n'), drop] })
      const seen = yield* within(outcomes(invoker.invokeStream({ lambdaArn: target("dropped"), payload: {} })))
      expect(seen.slice(0, -1).map(Either.map(text))).toEqual([Either.right('{"type":"progress","progress":1}\n')])
      expect(seen.at(-1)).toEqual(Either.left(expect.objectContaining({ _tag: "InvocationFailed", functionName: "dropped" })))
    }))

  it.scopedLive("a consumer that stops after the first chunk closes the request", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith({ endless: [chunk("first\n"), chunk("second\n"), stall] })
      const taken = yield* within(Stream.runCollect(Stream.take(invoker.invokeStream({ lambdaArn: target("endless"), payload: {} }), 1)))
      expect(Chunk.toReadonlyArray(taken).map(text)).toEqual(["first\n"])
      const invocation = yield* Effect.promise(() => standIn.invoked(1))
      expect(yield* within(Effect.promise(() => invocation.closed))).toEqual({ ended: false })
    }))

  it.scopedLive("a consumer interrupted while waiting for the next chunk stops at once and closes the request", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith({ quiet: [chunk("first\n"), stall] })
      const first = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Stream.runDrain(
        invoker.invokeStream({ lambdaArn: target("quiet"), payload: {} }).pipe(Stream.tap(() => Deferred.succeed(first, undefined)))
      ))
      yield* within(Deferred.await(first))
      yield* within(Fiber.interrupt(fiber))
      const invocation = yield* Effect.promise(() => standIn.invoked(1))
      expect(yield* within(Effect.promise(() => invocation.closed))).toEqual({ ended: false })
    }))

  it.scopedLive("a missing function is FunctionNotFound", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith({})
      const error = yield* within(Effect.flip(Stream.runDrain(invoker.invokeStream({ lambdaArn: target("nowhere"), payload: {} }))))
      expect(error).toMatchObject({ _tag: "FunctionNotFound", functionName: "nowhere" })
      expect(standIn.invocations).toHaveLength(1)
    }))

  it.scopedLive("throttling is retried, then InvocationThrottled", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith(
        { busy: [reject(429, "TooManyRequestsException", "Rate Exceeded.")] },
        { attempts: 3, backoff: "1 millis" }
      )
      const error = yield* within(Effect.flip(Stream.runDrain(invoker.invokeStream({ lambdaArn: target("busy"), payload: {} }))))
      expect(error).toMatchObject({ _tag: "InvocationThrottled", functionName: "busy" })
      expect(standIn.invocations).toHaveLength(3)
    }))

  it.scopedLive("a throttled call that is let through on a retry streams as usual", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith(
        {
          busy: (attempt) =>
            attempt < 3 ? [reject(429, "TooManyRequestsException", "Rate Exceeded.")] : [chunk("a"), chunk("b"), complete()]
        },
        { attempts: 3, backoff: "1 millis" }
      )
      const received = yield* within(Stream.runCollect(invoker.invokeStream({ lambdaArn: target("busy"), payload: {} })))
      expect(Chunk.toReadonlyArray(received).map(text)).toEqual(["a", "b"])
      expect(standIn.invocations).toHaveLength(3)
    }))

  it.scoped("a function that never answers is InvocationTimeout, and the request is closed", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith({ silent: [stall] }, { timeout: "10 seconds" })
      const fiber = yield* Effect.fork(Effect.flip(Stream.runDrain(invoker.invokeStream({ lambdaArn: target("silent"), payload: {} }))))
      const invocation = yield* Effect.promise(() => standIn.invoked(1))
      yield* TestClock.adjust(Duration.seconds(10))
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "InvocationTimeout", functionName: "silent", timeoutMillis: 10_000 })
      expect(yield* Effect.promise(() => invocation.closed)).toEqual({ ended: false })
    }))

  it.scoped("a stream that stops mid-way is InvocationTimeout after the chunks so far, and the request is closed", () =>
    Effect.gen(function* () {
      const { standIn, invoker } = yield* standInWith({ stuck: [chunk("first\n"), stall] })
      const first = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(outcomes(
        invoker.invokeStream({ lambdaArn: target("stuck"), payload: {}, timeout: "2 seconds" }).pipe(
          Stream.tap(() => Deferred.succeed(first, undefined))
        )
      ))
      yield* Deferred.await(first)
      yield* TestClock.adjust(Duration.seconds(2))
      const seen = yield* Fiber.join(fiber)
      expect(seen.map(Either.map(text))).toEqual([
        Either.right("first\n"),
        Either.left(expect.objectContaining({ _tag: "InvocationTimeout", functionName: "stuck", timeoutMillis: 2_000 }))
      ])
      const invocation = yield* Effect.promise(() => standIn.invoked(1))
      expect(yield* Effect.promise(() => invocation.closed)).toEqual({ ended: false })
    }))
})
