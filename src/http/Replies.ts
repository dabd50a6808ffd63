/**
 * How a POST's answer travels: JSON when the request finishes with nothing to send first; an
 * SSE stream whose events leave as they happen otherwise. For 2025-11-25 clients the stream is
 * resumable: it begins with a priming event, every event is kept in the outbox under the
 * stream's name first, and a call whose stream ends early goes on, so the client gets the rest
 * with `GET` + `Last-Event-ID`.
 */
import { randomBytes } from "node:crypto"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Duration from "effect/Duration"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { isNotification, type JsonRpcMessage, type JsonRpcResponse } from "../domain/JsonRpc.js"
import type { Session } from "../domain/Session.js"
import type { Live, Outcome } from "../mcp/Engine.js"
import { STREAM_END } from "../mcp/Outbox.js"
import type { SessionsShape } from "../mcp/Sessions.js"
import { json } from "./Errors.js"
import { responseEventId } from "./EventIds.js"
import { BackgroundWork } from "./HostContext.js"
import { bounded, entryFrame, messageFrame, primingFrame, type StreamOptions } from "./SessionStream.js"
import { SSE_HEADERS } from "./Sse.js"

export const messagesOf = (outcome: Outcome): ReadonlyArray<JsonRpcMessage> => [...outcome.notifications, ...outcome.responses]

const sse = (body: Stream.Stream<Uint8Array>, headers: Record<string, string>) =>
  HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: { ...SSE_HEADERS, ...headers } })

/** JSON for a plain answer; an SSE stream when notifications go before the response. */
export const reply = (
  outcome: Outcome,
  headers: Record<string, string> = {},
  status = 200
): HttpServerResponse.HttpServerResponse => {
  if (outcome.responses.length === 0) {
    // A POST with a request is answered with a body; a cancelled request's stream just ends.
    return outcome.requests > 0 ? sse(Stream.empty, headers) : HttpServerResponse.empty({ status: 202, headers })
  }
  if (outcome.notifications.length === 0) {
    const body: JsonRpcResponse | ReadonlyArray<JsonRpcResponse> = outcome.batch ? outcome.responses : outcome.responses[0]!
    return json(body, status, headers)
  }
  return sse(Stream.fromIterable(messagesOf(outcome).map((message) => messageFrame(message))), headers)
}

/**
 * Runs `handle` with live messages (not resumable: clients before 2025-11-25). One that
 * finishes without sending any is answered as `reply` answers; once a message comes first, the
 * answer is an SSE stream, the responses last. A client that leaves (or a handler interrupted
 * before answering) interrupts the request, and so its invocation.
 */
export const replyLive = (
  handle: (live: Live) => Effect.Effect<Outcome>,
  headers: Record<string, string> = {},
  /** The status of a JSON answer (2026-07-28 maps some errors to 4xx). */
  statusOf: (outcome: Outcome) => number = () => 200
) =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<Option.Option<JsonRpcMessage>>()
    // Awaited, not taken from the queue: a message taken by the race's loser would be lost.
    const sent = yield* Deferred.make<void>()
    const running = yield* Effect.forkDaemon(
      handle((message) => Effect.zipRight(Queue.offer(queue, Option.some(message)), Deferred.succeed(sent, undefined)))
    )
    const done = yield* Effect.raceFirst(
      Effect.map(Fiber.join(running), Option.some),
      Effect.as(Deferred.await(sent), Option.none())
    ).pipe(Effect.onInterrupt(() => Fiber.interrupt(running)))
    if (Option.isSome(done)) {
      const early = [...(yield* Queue.takeAll(queue))].flatMap(Option.toArray).filter(isNotification)
      const outcome = { ...done.value, notifications: [...early, ...done.value.notifications] }
      return reply(outcome, headers, statusOf(outcome))
    }
    // The responses follow the notifications; `none` ends the stream.
    yield* Fiber.join(running).pipe(
      Effect.flatMap((outcome) => Queue.offerAll(queue, messagesOf(outcome).map((message) => Option.some(message)))),
      Effect.zipRight(Queue.offer(queue, Option.none())),
      Effect.forkDaemon
    )
    const events = Stream.fromQueue(queue).pipe(
      Stream.takeWhile(Option.isSome),
      Stream.filterMap((message) => message),
      Stream.map((message) => messageFrame(message)),
      Stream.ensuring(Fiber.interrupt(running))
    )
    return sse(events, headers)
  })

export interface ResumableOptions extends StreamOptions {
  /** A request still running after this long answers with a (resumable) SSE stream. */
  readonly streamAfter: Duration.DurationInput
}

/**
 * Runs `handle` for a 2025-11-25 session: JSON when it finishes quickly with nothing to send
 * first; otherwise a resumable SSE stream. Leaving (or losing) the stream does not cancel the
 * request (only `notifications/cancelled` does): it runs on, its messages land in the outbox.
 */
export const replyResumable = (
  handle: (live: Live) => Effect.Effect<Outcome>,
  target: { readonly session: Session; readonly sessions: SessionsShape },
  options: ResumableOptions
) =>
  Effect.gen(function* () {
    const stream = randomBytes(8).toString("hex")
    const frames = yield* Queue.unbounded<Option.Option<Uint8Array>>()
    // Kept first, sent second: a client that loses the stream finds every event in the outbox.
    const keep = (messages: ReadonlyArray<JsonRpcMessage>) =>
      target.sessions.append(target.session.id, messages, stream).pipe(
        Effect.map((entries) => entries.map(entryFrame)),
        Effect.catchAll((error) =>
          Effect.as(
            // Stryker disable next-line StringLiteral: a log line's wording
            Effect.logWarning("Messages of a response stream could not be kept for resumption", error),
            messages.map((message) => messageFrame(message))
          ))
      )
    // Awaited, not taken from the queue: a frame taken by the race's loser would be lost.
    const sent = yield* Deferred.make<void>()
    const send = (framed: ReadonlyArray<Uint8Array>) =>
      Effect.zipRight(Queue.offerAll(frames, framed.map(Option.some)), Deferred.succeed(sent, undefined))
    const running = yield* Effect.forkDaemon(handle((message) => Effect.flatMap(keep([message]), send)))
    const first = yield* Effect.raceAll([
      Effect.map(Fiber.join(running), (outcome) => ({ _tag: "Done" as const, outcome })),
      Effect.as(Deferred.await(sent), { _tag: "Sent" as const }),
      Effect.as(Effect.sleep(options.streamAfter), { _tag: "Slow" as const })
    ]).pipe(Effect.onInterrupt(() => Fiber.interrupt(running)))
    if (first._tag === "Done" && (yield* Queue.isEmpty(frames))) return reply(first.outcome)

    // From here on the request owns its own lifetime: it finishes, and keeps its responses.
    const finished = yield* Fiber.join(running).pipe(
      // A request that ends without a response (cancelled) leaves an end mark for resumers.
      Effect.flatMap((outcome) =>
        outcome.responses.length > 0 ? Effect.flatMap(keep(outcome.responses), send) : Effect.asVoid(keep([STREAM_END]))
      ),
      Effect.zipRight(Queue.offer(frames, Option.none())),
      Effect.forkDaemon
    )
    const background = yield* Effect.serviceOption(BackgroundWork)
    if (Option.isSome(background)) background.value.keep(Effect.runPromise(Fiber.await(finished)))

    const priming = primingFrame(responseEventId(stream, target.session.lastSeq ?? 0), options.retryInterval)
    const events = Stream.fromQueue(frames).pipe(Stream.takeWhile(Option.isSome), Stream.filterMap((frame) => frame))
    return sse(Stream.concat(Stream.succeed(priming), yield* bounded(events, options)), {})
  })
