/**
 * The legacy HTTP+SSE transport (2024-11-05): `GET /sse` opens a session and streams its
 * outbox; `POST /message?sessionId=` is handled in its own invocation and answered there.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { decodeMessage, type JsonRpcMessage } from "../domain/JsonRpc.js"
import { DEFAULT_NEGOTIATED_VERSION } from "../domain/Mcp.js"
import { McpEngine } from "../mcp/Engine.js"
import { requestContextOf, Sessions } from "../mcp/Sessions.js"
import { HttpProblem } from "./Errors.js"
import { currentPrincipal } from "./HostContext.js"
import { readJson, resolveSession, rpcHttpError } from "./McpHttp.js"
import { messagesOf } from "./Replies.js"
import { pathOf } from "./Routes.js"
import { sessionEventStream, type StreamOptions } from "./SessionStream.js"
import { streamLease } from "./StreamLimit.js"
import { frame, SSE_HEADERS } from "./Sse.js"

export interface LegacySseOptions extends StreamOptions {
  readonly maxBodyBytes: number
}

const badRequest = (message: string) => new HttpProblem({ status: 400, error: "BadRequest", message })

export const make = (options: LegacySseOptions) => {
  // A new session, its endpoint, then its outbox.
  const stream = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const sessions = yield* Sessions
    const principal = yield* currentPrincipal
    const lease = yield* streamLease(principal, options)
    if (!lease.granted) {
      return yield* new HttpProblem({ status: 429, error: "TooManyStreams", message: lease.message, headers: lease.headers })
    }
    const session = yield* sessions.open(principal, "sse", {
      protocolVersion: DEFAULT_NEGOTIATED_VERSION,
      initialized: false
    })
    const base = pathOf(request).replace(/\/sse\/?$/, "")
    const endpoint = frame({ event: "endpoint", data: `${base}/message?sessionId=${session.id}` })
    const body = yield* sessionEventStream(session.id, 0, options, { prelude: [endpoint] })
    // Legacy clients cannot resume a stream: when it ends, so does the session.
    const ended = lease.hold(Stream.ensuring(body, Effect.ignore(sessions.close(session.id))))
    return HttpServerResponse.stream(ended, { contentType: "text/event-stream", headers: SSE_HEADERS })
  })

  // Handled here, answered on the session's stream.
  const message = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const sessionId = new URLSearchParams(request.url.split("?")[1]).get("sessionId")
    if (sessionId === null || sessionId === "") return yield* badRequest("The sessionId query parameter is required")
    const { principal, session, sessions } = yield* resolveSession(sessionId, "sse")
    const parsed = yield* readJson(request, options.maxBodyBytes)
    const items = Array.isArray(parsed) ? parsed : [parsed]
    if (items.length === 0 || items.some((item) => Either.isLeft(decodeMessage(item)))) {
      return yield* badRequest("The body is not a JSON-RPC message")
    }
    const engine = yield* McpEngine
    // Notifications reach the stream while the request runs; responses follow.
    const live = (notification: JsonRpcMessage) =>
      sessions.append(session.id, [notification]).pipe(
        // Stryker disable next-line StringLiteral: a log line's wording
        Effect.catchAll((error) => Effect.logWarning("A notification could not be appended to the outbox", error))
      )
    const outcome = yield* engine.handle(requestContextOf(session, principal), parsed, live)
    const messages = messagesOf(outcome)
    yield* sessions.append(session.id, messages).pipe(
      Effect.catchTag("SessionNotFound", () => rpcHttpError(404, "Session not found: it ended while the message was handled")),
      // Not the store's usual 503 "try again": the message was handled (a tool may have run), and
      // sending it again would handle it again.
      Effect.catchTag("StoreError", (error) =>
        Effect.zipRight(
          // Stryker disable next-line StringLiteral: a log line's wording
          Effect.logError("An answer could not be stored for its session's stream", error),
          new HttpProblem({
            status: 500,
            error: "AnswerNotStored",
            message: "The message was handled, but its answer could not be stored for the stream; sending it again would handle it again"
          })
        ))
    )
    yield* sessions.touch(session, outcome.changes, messages.length > 0)
    return HttpServerResponse.text("Accepted", { status: 202 })
  })

  return { stream, message }
}
