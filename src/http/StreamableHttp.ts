/** Streamable HTTP at `/mcp`: POST a message, GET the session's stream, DELETE the session. */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { looksLikeRequest } from "../domain/JsonRpc.js"
import { isSupportedVersion, LATEST_PROTOCOL_VERSION } from "../domain/Mcp.js"
import { claimsModernEra, trimHeaderValue } from "../domain/Modern.js"
import { isPlainObject } from "../domain/Registration.js"
import { McpEngine } from "../mcp/Engine.js"
import { requestContextOf, Sessions } from "../mcp/Sessions.js"
import { currentPrincipal } from "./HostContext.js"
import type { Live } from "../mcp/Engine.js"
import { resumePointOf } from "./EventIds.js"
import * as ModernHttp from "./ModernHttp.js"
import { isModernMessage } from "./ModernHttp.js"
import { accepts, readJson, resolveSession, rpcHttpError, SESSION_HEADER, VERSION_HEADER } from "./McpHttp.js"
import { reply, replyLive, replyResumable, type ResumableOptions } from "./Replies.js"
import { responseEventStream, sessionEventStream } from "./SessionStream.js"
import { SSE_HEADERS } from "./Sse.js"
import { streamLease } from "./StreamLimit.js"

export interface StreamableHttpOptions extends ResumableOptions {
  readonly maxBodyBytes: number
}

/** Resumable streams (priming events, event ids per POST stream) arrived with this revision. */
const resumable = (version: string) => version >= "2025-11-25"

const hasRequest = (parsed: unknown) => (Array.isArray(parsed) ? parsed.some(looksLikeRequest) : looksLikeRequest(parsed))

const isInitialize = (parsed: unknown) => isPlainObject(parsed) && parsed["method"] === "initialize"

const checkVersionHeader = (request: HttpServerRequest.HttpServerRequest) => {
  const version = request.headers[VERSION_HEADER]
  return version === undefined || isSupportedVersion(version)
    ? Effect.void
    : rpcHttpError(400, `Unsupported MCP-Protocol-Version: ${version}`)
}

const sessionHeader = (request: HttpServerRequest.HttpServerRequest) => {
  const id = request.headers[SESSION_HEADER]
  return id === undefined || id === ""
    ? rpcHttpError(400, "Bad Request: the Mcp-Session-Id header is required")
    : Effect.succeed(id)
}

export const make = (options: StreamableHttpOptions) => {
  const modern = ModernHttp.make(options)
  // One JSON-RPC message (or a 2025-03-26 batch) per request.
  const post = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!accepts(request, ["application/json", "text/event-stream"])) {
      return yield* rpcHttpError(406, "Not Acceptable: Accept must allow application/json and text/event-stream")
    }
    const parsed = yield* readJson(request, options.maxBodyBytes)
    // 2026-07-28: stateless, its own checks; everything else is served as before.
    if (isModernMessage(parsed, request)) return yield* modern(parsed as Record<string, unknown>)
    // A 2026-07-28 header over a body that is no request of that revision: say what is wrong with it.
    const header = request.headers[VERSION_HEADER]
    if (header !== undefined && claimsModernEra(trimHeaderValue(header)) && !isInitialize(parsed)) {
      return yield* rpcHttpError(400, "Invalid Request: the body is not a JSON-RPC request (MCP-Protocol-Version names the 2026-07-28 revision)")
    }
    yield* checkVersionHeader(request)
    const engine = yield* McpEngine

    if (isInitialize(parsed)) {
      const principal = yield* currentPrincipal
      const outcome = yield* engine.handle({ protocolVersion: LATEST_PROTOCOL_VERSION, principal }, parsed)
      const answer = outcome.responses[0]
      if (answer === undefined || !("result" in answer)) return reply(outcome)
      const sessions = yield* Sessions
      const { changes } = outcome
      const session = yield* sessions.open(principal, "streamable-http", {
        protocolVersion: changes.protocolVersion ?? LATEST_PROTOCOL_VERSION,
        initialized: false,
        ...(changes.clientInfo === undefined ? {} : { clientInfo: changes.clientInfo }),
        ...(changes.clientCapabilities === undefined ? {} : { clientCapabilities: changes.clientCapabilities })
      })
      return reply(outcome, { [SESSION_HEADER]: session.id })
    }

    const { principal, session, sessions } = yield* resolveSession(yield* sessionHeader(request), "streamable-http")
    const handle = (live: Live) =>
      engine.handle(requestContextOf(session, principal), parsed, live).pipe(
        Effect.tap((outcome) => sessions.touch(session, outcome.changes))
      )
    // Only requests are answered with a body; notifications and the client's answers get 202.
    if (!hasRequest(parsed)) return reply(yield* handle(() => Effect.void))
    return yield* (resumable(session.protocolVersion) ? replyResumable(handle, { session, sessions }, options) : replyLive(handle))
  })

  // The session's server→client stream, resumable with Last-Event-ID.
  const get = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!accepts(request, ["text/event-stream"])) {
      return yield* rpcHttpError(406, "Not Acceptable: Accept must allow text/event-stream")
    }
    yield* checkVersionHeader(request)
    const { principal, session } = yield* resolveSession(yield* sessionHeader(request), "streamable-http")
    const resume = resumePointOf(request.headers["last-event-id"])
    if (resume._tag === "ResponseStream") {
      const body = yield* responseEventStream(session.id, resume.stream, resume.after, options)
      return HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: SSE_HEADERS })
    }
    // Resumable clients come back when their stream ends, so it need not stay open while idle;
    // older clients hold theirs for its lifetime, and each holds one of the caller's stream leases.
    const short = resumable(session.protocolVersion) && Duration.toMillis(options.idleWindow) > 0
    const lease = short ? undefined : yield* streamLease(principal, options)
    if (lease !== undefined && !lease.granted) return yield* rpcHttpError(429, lease.message, lease.headers)
    const body = yield* sessionEventStream(
      session.id,
      resume.after,
      options,
      resumable(session.protocolVersion) ? { priming: true, standing: { seen: session.catalogSeen } } : {}
    )
    return HttpServerResponse.stream(lease === undefined ? body : lease.hold(body), { contentType: "text/event-stream", headers: SSE_HEADERS })
  })

  // The client ends its session.
  const del = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { session, sessions } = yield* resolveSession(yield* sessionHeader(request), "streamable-http")
    yield* sessions.close(session.id)
    return HttpServerResponse.empty({ status: 204 })
  })

  return { post, get, delete: del }
}
