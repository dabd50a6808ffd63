/** What both MCP transports share over HTTP: headers, body reading, session lookup, replies. */
import type { HttpServerRequest} from "@effect/platform";
import { HttpServerResponse } from "@effect/platform"
import { Effect, Either, Fiber, Option, Queue, Stream } from "effect"
import { ErrorCode, isNotification, type JsonRpcMessage, type JsonRpcResponse } from "../domain/JsonRpc.js"
import type { Transport } from "../domain/Session.js"
import type { Live, Outcome } from "../mcp/Engine.js"
import { Sessions } from "../mcp/Sessions.js"
import { readJsonBody } from "./Body.js"
import { json, RpcHttpError } from "./Errors.js"
import { currentPrincipal } from "./HostContext.js"
import { noteMcpMethod } from "./RequestLog.js"
import { frame, SSE_HEADERS } from "./Sse.js"

export const SESSION_HEADER = "mcp-session-id"
export const VERSION_HEADER = "mcp-protocol-version"

export const rpcHttpError = (status: number, message: string, headers?: Record<string, string>) =>
  new RpcHttpError({ status, code: ErrorCode.InvalidRequest, message, headers })

/** Whether the Accept header allows every one of `types` (wildcards count). */
export const accepts = (request: HttpServerRequest.HttpServerRequest, types: ReadonlyArray<string>) => {
  const accepted = (request.headers["accept"] ?? "")
    .split(",")
    .map((part) => part.split(";")[0]?.trim().toLowerCase() ?? "")
    .filter((part) => part !== "")
  return types.every((type) =>
    accepted.some((range) => range === type || range === "*/*" || range === `${type.split("/")[0]}/*`)
  )
}

/** The request's JSON body (noted for the request log). */
export const readJson = (request: HttpServerRequest.HttpServerRequest, maxBodyBytes: number) =>
  readJsonBody(
    request,
    maxBodyBytes,
    new RpcHttpError({ status: 400, code: ErrorCode.ParseError, message: "Parse error: the body is not JSON" })
  ).pipe(Effect.tap(noteMcpMethod))

/** The caller's live session of this transport; anything else is 404, as both transports answer. */
export const resolveSession = (rawId: string, transport: Transport, gone = "it may have expired or ended") =>
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const principal = yield* currentPrincipal
    const session = yield* sessions.resolve(rawId, transport, principal).pipe(
      Effect.catchTag("SessionNotFound", () => rpcHttpError(404, `Session not found: ${gone}`))
    )
    return { session, principal, sessions }
  })

export const messagesOf = (outcome: Outcome): ReadonlyArray<JsonRpcMessage> => [...outcome.notifications, ...outcome.responses]

/** JSON for a plain answer; an SSE stream when notifications go before the response. */
export const reply = (outcome: Outcome, headers: Record<string, string> = {}): HttpServerResponse.HttpServerResponse => {
  if (outcome.responses.length === 0) return HttpServerResponse.empty({ status: 202, headers })
  if (outcome.notifications.length === 0) {
    const body: JsonRpcResponse | ReadonlyArray<JsonRpcResponse> = outcome.batch ? outcome.responses : outcome.responses[0]!
    return json(body, 200, headers)
  }
  const frames = messagesOf(outcome).map(sseMessage)
  return HttpServerResponse.stream(Stream.fromIterable(frames), {
    contentType: "text/event-stream",
    headers: { ...SSE_HEADERS, ...headers }
  })
}

const sseMessage = (message: JsonRpcMessage) => frame({ event: "message", data: JSON.stringify(message) })

/**
 * Runs `handle` with live notifications. One that finishes without sending any is answered
 * as `reply` answers; once a notification comes first, the answer is an SSE stream whose
 * events leave as they happen, the responses last. A client that leaves (or a handler
 * interrupted before answering) interrupts the request, and so its invocation.
 */
export const replyLive = (handle: (live: Live) => Effect.Effect<Outcome>, headers: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<Option.Option<JsonRpcMessage>>()
    const running = yield* Effect.forkDaemon(handle((message) => Queue.offer(queue, Option.some(message))))
    const first = yield* Effect.raceFirst(
      Effect.map(Fiber.join(running), Either.right),
      Effect.map(Queue.take(queue), Either.left)
    ).pipe(Effect.onInterrupt(() => Fiber.interrupt(running)))
    if (Either.isRight(first)) {
      const early = [...(yield* Queue.takeAll(queue))].flatMap(Option.toArray).filter(isNotification)
      return reply({ ...first.right, notifications: [...early, ...first.right.notifications] }, headers)
    }
    // The responses follow the notifications; `none` ends the stream.
    yield* Fiber.join(running).pipe(
      Effect.flatMap((outcome) => Queue.offerAll(queue, messagesOf(outcome).map((message) => Option.some(message)))),
      Effect.zipRight(Queue.offer(queue, Option.none())),
      Effect.forkDaemon
    )
    const events = Stream.concat(Stream.succeed(first.left), Stream.fromQueue(queue)).pipe(
      Stream.takeWhile(Option.isSome),
      Stream.filterMap((message) => message),
      Stream.map(sseMessage),
      Stream.ensuring(Fiber.interrupt(running))
    )
    return HttpServerResponse.stream(events, { contentType: "text/event-stream", headers: { ...SSE_HEADERS, ...headers } })
  })
