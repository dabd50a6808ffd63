/**
 * The MCP HTTP API: Streamable HTTP at `/mcp` and the legacy HTTP+SSE pair `/sse` +
 * `/message`, over the engine and the session store. The same app runs under Node (dev
 * server) and on Lambda (Function URL); only the layers differ.
 */
import { randomBytes } from "node:crypto"
import { HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp, Headers } from "@effect/platform"
import { Deferred, Duration, Effect, Either, Option, Schema, Stream } from "effect"
import { decodeMessage, ErrorCode, failure, type JsonRpcMessage, type JsonRpcResponse } from "../domain/JsonRpc.js"
import {
  DEFAULT_NEGOTIATED_VERSION,
  isSupportedVersion,
  LATEST_PROTOCOL_VERSION
} from "../domain/Mcp.js"
import { type Session, SessionId, type Transport } from "../domain/Session.js"
import { McpEngine, type Outcome, type RequestContext } from "../mcp/Engine.js"
import { RateLimiter } from "../services/RateLimiter.js"
import type { Registry } from "../services/Registry.js"
import { SessionStore } from "../services/SessionStore.js"
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "./Body.js"
import { currentPrincipal, InvocationDeadline, ServerShutdown } from "./HostContext.js"
import { type OutboxStreamOptions, sessionEventStream } from "./Outbox.js"
import { json, problem } from "./Problems.js"
import { noteMcpMethod } from "./RequestLog.js"
import { pathOf, route } from "./Routes.js"
import { frame, SSE_HEADERS } from "./Sse.js"

export interface McpApiOptions {
  /**
   * Origins allowed to call (DNS-rebinding protection): exact origins, `scheme://host:*` for
   * any port, or `*`. Requests without an Origin header (non-browser clients) are allowed.
   */
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  /** Answer CORS preflights and expose `Mcp-Session-Id` to browser clients (default true). */
  readonly cors?: boolean | undefined
  readonly maxBodyBytes?: number | undefined
  readonly keepAliveInterval?: Duration.DurationInput | undefined
  /** An SSE stream ends cleanly after this long (on Lambda also before the invocation's deadline). */
  readonly maxStreamDuration?: Duration.DurationInput | undefined
  /** On Lambda: how long before the deadline a stream closes. */
  readonly deadlineMargin?: Duration.DurationInput | undefined
  readonly minPollInterval?: Duration.DurationInput | undefined
  readonly maxPollInterval?: Duration.DurationInput | undefined
  readonly registryWatchInterval?: Duration.DurationInput | undefined
  /**
   * False where responses cannot stream (a BUFFERED Function URL, as inside a VPC): `GET /mcp`
   * is then 405, as the transport allows, and the legacy `GET /sse` explains why it is absent.
   */
  readonly streaming?: boolean | undefined
}

export const DEFAULT_ALLOWED_ORIGINS: ReadonlyArray<string> = [
  "http://localhost:*",
  "http://127.0.0.1:*",
  "http://[::1]:*",
  "https://localhost:*"
]

const SESSION_HEADER = "mcp-session-id"
const VERSION_HEADER = "mcp-protocol-version"

/** `scheme://host:*` matches any port of that host (and none). */
export const originMatcher = (patterns: ReadonlyArray<string>) => (origin: string) =>
  patterns.some((pattern) => {
    if (pattern === "*") return true
    if (!pattern.endsWith(":*")) return origin === pattern
    const base = pattern.slice(0, -2)
    return origin === base || (origin.startsWith(`${base}:`) && /^\d+$/.test(origin.slice(base.length + 1)))
  })

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

const decodeSessionId = Schema.decodeUnknownOption(SessionId)

/** Streams outlive the handler's effect: give them the services they need now. */
const provideStream = <A, E>(stream: Stream.Stream<A, E, SessionStore | Registry>) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<SessionStore | Registry>()
    const shutdown = yield* Effect.serviceOption(ServerShutdown)
    const provided = Stream.provideContext(stream, context)
    return Option.match(shutdown, {
      onNone: () => provided,
      onSome: (signal) => Stream.interruptWhen(provided, Deferred.await(signal))
    })
  })

const newSessionId = () => randomBytes(24).toString("base64url") as SessionId

/** An HTTP error whose body is a JSON-RPC error (Streamable HTTP's convention). */
const rpcProblem = (status: number, code: number, message: string, headers?: Headers.Input) =>
  json(failure(null, code, message), status, headers)

const isInitialize = (parsed: unknown) =>
  typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) &&
  (parsed as { method?: unknown }).method === "initialize"

const toMessages = (outcome: Outcome): ReadonlyArray<JsonRpcMessage> => [...outcome.notifications, ...outcome.responses]

export const make = (options: McpApiOptions = {}): HttpApp.Default<never, McpEngine | SessionStore | Registry> => {
  const allowOrigin = originMatcher(options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const maxStreamDuration = Duration.decode(options.maxStreamDuration ?? Duration.minutes(15))
  const deadlineMargin = Duration.toMillis(options.deadlineMargin ?? Duration.seconds(10))
  const streamOptions = (maxDuration: Duration.Duration): OutboxStreamOptions => ({
    minPollInterval: options.minPollInterval ?? Duration.millis(50),
    maxPollInterval: options.maxPollInterval ?? Duration.seconds(1),
    keepAliveInterval: options.keepAliveInterval ?? Duration.seconds(20),
    registryWatchInterval: options.registryWatchInterval ?? Duration.seconds(5),
    maxDuration
  })

  /** The stream's lifetime: the configured maximum, cut short by the invocation's deadline. */
  const streamDuration = Effect.map(Effect.serviceOption(InvocationDeadline), (deadline) =>
    Option.match(deadline, {
      onNone: () => maxStreamDuration,
      onSome: ({ remainingMillis }) =>
        Duration.min(maxStreamDuration, Duration.millis(Math.max(0, remainingMillis() - deadlineMargin)))
    }))

  const readJson = (request: HttpServerRequest.HttpServerRequest) =>
    readJsonBody(request, maxBodyBytes, rpcProblem(400, ErrorCode.ParseError, "Parse error: the body is not JSON")).pipe(
      Effect.tap(noteMcpMethod)
    )

  /** A live session of this transport owned by the caller; anything else is "not found". */
  const findSession = (rawId: string, transport: Transport) =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      const principal = yield* currentPrincipal
      const notFound = rpcProblem(404, ErrorCode.InvalidRequest, "Session not found: it may have expired or ended")
      const id = decodeSessionId(rawId)
      if (Option.isNone(id)) return yield* Effect.fail(notFound)
      const session = yield* store.get(id.value).pipe(
        Effect.catchTags({
          SessionNotFound: () => Effect.fail(notFound),
          StoreError: (error) => Effect.zipRight(Effect.logError("Session read failed", error), Effect.fail(unavailable))
        })
      )
      if (session.principal !== principal || session.transport !== transport) return yield* Effect.fail(notFound)
      return session
    })

  const unavailable = problem(503, "ServiceUnavailable", "The session store is unavailable; try again")

  const contextOf = (session: Session, principal: string): RequestContext => ({
    sessionId: session.id,
    protocolVersion: isSupportedVersion(session.protocolVersion) ? session.protocolVersion : DEFAULT_NEGOTIATED_VERSION,
    logLevel: session.logLevel,
    principal
  })

  /**
   * Keeps what the engine changed; any use refreshes the session's TTL — already done when
   * messages were appended to its outbox, so only one write is spent.
   */
  const persist = (session: Session, outcome: Outcome, appended = false) =>
    Effect.flatMap(SessionStore, (store) =>
      Object.keys(outcome.changes).length > 0
        ? store.update(session.id, outcome.changes)
        : appended
        ? Effect.void
        : store.touch(session.id)).pipe(
        Effect.asVoid,
        Effect.catchTag("SessionNotFound", () => Effect.void),
        Effect.catchTag("StoreError", (error) => Effect.logError("Session write failed", error))
      )

  /** JSON for a plain answer; an SSE stream when notifications go before the response. */
  const reply = (outcome: Outcome, headers: Record<string, string> = {}) => {
    if (outcome.responses.length === 0) return HttpServerResponse.empty({ status: 202, headers })
    if (outcome.notifications.length === 0) {
      const body: JsonRpcResponse | ReadonlyArray<JsonRpcResponse> = outcome.batch
        ? outcome.responses
        : outcome.responses[0]!
      return json(body, 200, headers)
    }
    const frames = toMessages(outcome).map((message) => frame({ event: "message", data: JSON.stringify(message) }))
    return HttpServerResponse.stream(Stream.fromIterable(frames), {
      contentType: "text/event-stream",
      headers: { ...SSE_HEADERS, ...headers }
    })
  }

  const checkVersionHeader = (request: HttpServerRequest.HttpServerRequest) => {
    const version = request.headers[VERSION_HEADER]
    return version === undefined || isSupportedVersion(version)
      ? Effect.void
      : Effect.fail(rpcProblem(400, ErrorCode.InvalidRequest, `Unsupported MCP-Protocol-Version: ${version}`))
  }

  const requireSessionHeader = (request: HttpServerRequest.HttpServerRequest) => {
    const id = request.headers[SESSION_HEADER]
    return id === undefined || id === ""
      ? Effect.fail(rpcProblem(400, ErrorCode.InvalidRequest, "Bad Request: the Mcp-Session-Id header is required"))
      : Effect.succeed(id)
  }

  // POST /mcp — one JSON-RPC message (or a 2025-03-26 batch) per request.
  const postMcp = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!accepts(request, ["application/json", "text/event-stream"])) {
      return yield* Effect.fail(
        rpcProblem(406, ErrorCode.InvalidRequest, "Not Acceptable: Accept must allow application/json and text/event-stream")
      )
    }
    const parsed = yield* readJson(request)
    yield* checkVersionHeader(request)
    const engine = yield* McpEngine
    const principal = yield* currentPrincipal

    if (isInitialize(parsed)) {
      const outcome = yield* engine.handle({ protocolVersion: LATEST_PROTOCOL_VERSION, principal }, parsed)
      const answer = outcome.responses[0]
      if (answer === undefined || !("result" in answer)) return reply(outcome)
      const store = yield* SessionStore
      const session = yield* store.create({
        id: newSessionId(),
        principal,
        transport: "streamable-http",
        protocolVersion: outcome.changes.protocolVersion ?? LATEST_PROTOCOL_VERSION,
        initialized: false,
        ...(outcome.changes.clientInfo === undefined ? {} : { clientInfo: outcome.changes.clientInfo }),
        ...(outcome.changes.clientCapabilities === undefined
          ? {}
          : { clientCapabilities: outcome.changes.clientCapabilities })
      }).pipe(
        Effect.catchAll((error) => Effect.zipRight(Effect.logError("Session create failed", error), Effect.fail(unavailable)))
      )
      return reply(outcome, { [SESSION_HEADER]: session.id })
    }

    const session = yield* findSession(yield* requireSessionHeader(request), "streamable-http")
    const outcome = yield* engine.handle(contextOf(session, principal), parsed)
    yield* persist(session, outcome)
    return reply(outcome)
  })

  // GET /mcp — the session's server→client stream, resumable with Last-Event-ID.
  const getMcp = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!accepts(request, ["text/event-stream"])) {
      return yield* Effect.fail(rpcProblem(406, ErrorCode.InvalidRequest, "Not Acceptable: Accept must allow text/event-stream"))
    }
    yield* checkVersionHeader(request)
    const session = yield* findSession(yield* requireSessionHeader(request), "streamable-http")
    const lastEventId = Number.parseInt(request.headers["last-event-id"] ?? "0", 10)
    const after = Number.isSafeInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0
    const duration = yield* streamDuration
    const body = sessionEventStream(session.id, after, streamOptions(duration))
    return HttpServerResponse.stream(yield* provideStream(body), { contentType: "text/event-stream", headers: SSE_HEADERS })
  })

  // DELETE /mcp — the client ends its session.
  const deleteMcp = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const session = yield* findSession(yield* requireSessionHeader(request), "streamable-http")
    const store = yield* SessionStore
    yield* store.remove(session.id).pipe(
      Effect.catchTag("SessionNotFound", () => Effect.void),
      Effect.catchTag("StoreError", (error) => Effect.zipRight(Effect.logError("Session delete failed", error), Effect.fail(unavailable)))
    )
    return HttpServerResponse.empty({ status: 204 })
  })

  // GET /sse — legacy transport: a new session, its endpoint, then its outbox.
  const getSse = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const store = yield* SessionStore
    const principal = yield* currentPrincipal
    const session = yield* store.create({
      id: newSessionId(),
      principal,
      transport: "sse",
      protocolVersion: DEFAULT_NEGOTIATED_VERSION,
      initialized: false
    }).pipe(
      Effect.catchAll((error) => Effect.zipRight(Effect.logError("Session create failed", error), Effect.fail(unavailable)))
    )
    const base = pathOf(request).replace(/\/sse\/?$/, "")
    const endpoint = frame({ event: "endpoint", data: `${base}/message?sessionId=${session.id}` })
    const duration = yield* streamDuration
    // Legacy clients cannot resume a stream: when it ends, so does the session.
    const body = sessionEventStream(session.id, 0, streamOptions(duration), [endpoint]).pipe(
      Stream.ensuring(store.remove(session.id).pipe(Effect.ignore))
    )
    return HttpServerResponse.stream(yield* provideStream(body), { contentType: "text/event-stream", headers: SSE_HEADERS })
  })

  // POST /message?sessionId= — legacy transport: handled here, answered on the session's stream.
  const postMessage = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const sessionId = new URLSearchParams(request.url.split("?")[1] ?? "").get("sessionId")
    if (sessionId === null || sessionId === "") {
      return yield* Effect.fail(problem(400, "BadRequest", "The sessionId query parameter is required"))
    }
    const session = yield* findSession(sessionId, "sse")
    const parsed = yield* readJson(request)
    const items = Array.isArray(parsed) ? parsed : [parsed]
    if (items.length === 0 || items.some((item) => Either.isLeft(decodeMessage(item)))) {
      return yield* Effect.fail(problem(400, "BadRequest", "The body is not a JSON-RPC message"))
    }
    const engine = yield* McpEngine
    const store = yield* SessionStore
    const principal = yield* currentPrincipal
    const outcome = yield* engine.handle(contextOf(session, principal), parsed)
    yield* Effect.forEach(toMessages(outcome), (message) => store.append(session.id, message), { discard: true }).pipe(
      Effect.catchTag("SessionNotFound", () =>
        Effect.fail(rpcProblem(404, ErrorCode.InvalidRequest, "Session not found: it ended while the message was handled"))),
      Effect.catchTag("StoreError", (error) => Effect.zipRight(Effect.logError("Outbox append failed", error), Effect.fail(unavailable)))
    )
    yield* persist(session, outcome, toMessages(outcome).length > 0)
    return HttpServerResponse.text("Accepted", { status: 202 })
  })

  const health = Effect.succeed(json({ status: "ok" }))

  const noStreams = Effect.succeed(
    problem(
      501,
      "StreamingUnavailable",
      "The legacy SSE transport needs a streaming response (a RESPONSE_STREAM Function URL); this deployment is BUFFERED. Use Streamable HTTP at /mcp."
    )
  )
  const streaming = options.streaming !== false

  // Each handler fails with the response that ends it early; `merge` makes both outcomes the answer.
  const routes = route<McpEngine | SessionStore | Registry>([
    {
      path: "/mcp",
      methods: streaming
        ? { POST: () => Effect.merge(postMcp), GET: () => Effect.merge(getMcp), DELETE: () => Effect.merge(deleteMcp) }
        : { POST: () => Effect.merge(postMcp), DELETE: () => Effect.merge(deleteMcp) }
    },
    { path: "/sse", methods: { GET: () => (streaming ? Effect.merge(getSse) : noStreams) } },
    { path: "/message", methods: { POST: () => Effect.merge(postMessage) } },
    { path: "/health", methods: { GET: () => health } }
  ])

  /** 429 with Retry-After when a rate limiter is configured and the caller is over it. */
  const rateLimited = Effect.gen(function* () {
    const limiter = yield* Effect.serviceOption(RateLimiter)
    if (Option.isNone(limiter)) return Option.none()
    const principal = yield* currentPrincipal
    // Counting must not become an outage: when the store fails, the request goes through.
    const decision = yield* limiter.value.take(principal).pipe(
      Effect.tapError((error) => Effect.logWarning("Rate limiter unavailable; allowing the request", error)),
      Effect.option
    )
    if (Option.isNone(decision) || decision.value.allowed) return Option.none()
    return Option.some(
      rpcProblem(429, ErrorCode.InvalidRequest, "Too many requests: the per-minute limit for this caller is reached", {
        "retry-after": String(decision.value.retryAfterSeconds)
      })
    )
  })

  const guarded: HttpApp.Default<never, McpEngine | SessionStore | Registry> = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const origin = request.headers["origin"]
    if (origin !== undefined && !allowOrigin(origin)) {
      return problem(403, "Forbidden", `Origin ${origin} is not allowed`)
    }
    if (pathOf(request) !== "/health") {
      const limited = yield* rateLimited
      if (Option.isSome(limited)) return limited.value
    }
    return yield* routes
  })

  if (options.cors === false) return guarded
  return HttpMiddleware.cors({
    // Called with no origin too (same-origin and non-browser requests): a throw here hangs the response.
    allowedOrigins: (origin: string | undefined) => typeof origin === "string" && allowOrigin(origin),
    allowedMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowedHeaders: ["content-type", "accept", "authorization", SESSION_HEADER, VERSION_HEADER, "last-event-id"],
    exposedHeaders: ["Mcp-Session-Id", "MCP-Protocol-Version"],
    maxAge: 600
  })(guarded)
}
