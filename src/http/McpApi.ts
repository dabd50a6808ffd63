/**
 * The MCP HTTP API: Streamable HTTP at `/mcp` and the legacy HTTP+SSE pair `/sse` +
 * `/message`, behind an Origin check, the per-caller rate limit and CORS. The same app runs
 * under Node (dev server) and on Lambda (Function URL); only the layers differ.
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { McpEngine } from "../mcp/Engine.js"
import type { Sessions } from "../mcp/Sessions.js"
import type { Subscriptions } from "../mcp/Subscriptions.js"
import { RateLimiter } from "../services/RateLimiter.js"
import * as Settings from "../Settings.js"
import { DEFAULT_MAX_BODY_BYTES } from "./Body.js"
import { json, problem } from "./Errors.js"
import { Authenticator } from "./Authentication.js"
import { Caller, currentPrincipal } from "./HostContext.js"
import * as LegacySse from "./LegacySse.js"
import { rpcHttpError, SESSION_HEADER, VERSION_HEADER } from "./McpHttp.js"
import { MODERN_HEADERS } from "./ModernHttp.js"
import { pathOf, render, route } from "./Routes.js"
import * as StreamableHttp from "./StreamableHttp.js"

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
  /** The `retry` that resumable streams tell clients (default 1 s). */
  readonly retryInterval?: Duration.DurationInput | undefined
  /** A 2025-11-25 session's `GET /mcp` stream ends after this long with nothing to send (0: never; default 2 s). */
  readonly idleStreamWindow?: Duration.DurationInput | undefined
  /** The `retry` such a stream tells its client: how long until it reopens it (default 30 s). */
  readonly idleStreamRetry?: Duration.DurationInput | undefined
  /** A 2025-11-25 request still running after this long answers with a resumable SSE stream (default 1 s). */
  readonly streamAfter?: Duration.DurationInput | undefined
  /**
   * False where responses cannot stream (a BUFFERED Function URL, as inside a VPC): `GET /mcp`
   * is then 405, as the transport allows, and the legacy `GET /sse` explains why it is absent.
   */
  readonly streaming?: boolean | undefined
}

/**
 * What the app needs from its layers (and, per request, from its host: the caller). The
 * `Authenticator` turns the host's caller (or a bearer token) into the caller the routes see.
 */
export type McpApiServices = McpEngine | Sessions | Subscriptions | RateLimiter | Caller | Authenticator

export const DEFAULT_ALLOWED_ORIGINS: ReadonlyArray<string> = [
  "http://localhost:*",
  "http://127.0.0.1:*",
  "http://[::1]:*",
  "https://localhost:*"
]

/** `scheme://host:*` matches any port of that host (and none). */
export const originMatcher = (patterns: ReadonlyArray<string>) => (origin: string) =>
  patterns.some((pattern) => {
    if (pattern === "*") return true
    if (!pattern.endsWith(":*")) return origin === pattern
    const base = pattern.slice(0, -2)
    return origin === base || (origin.startsWith(`${base}:`) && /^\d+$/.test(origin.slice(base.length + 1)))
  })

const splitList = (text: string) => text.split(",").map((item) => item.trim()).filter((item) => item !== "")

/**
 * The options from the environment (`ALLOWED_ORIGINS`, `INVOKE_MODE`, `MAX_STREAM_SECONDS`,
 * `IDLE_STREAM_SECONDS`, `IDLE_STREAM_RETRY_SECONDS`); see the README.
 */
export const optionsConfig: Config.Config<McpApiOptions> = Config.all({
  allowedOrigins: Config.map(Config.withDefault(Config.string("ALLOWED_ORIGINS"), Settings.DEFAULTS.ALLOWED_ORIGINS), splitList),
  invokeMode: Config.withDefault(
    Config.literal("RESPONSE_STREAM", "BUFFERED")("INVOKE_MODE"),
    Settings.DEFAULTS.INVOKE_MODE
  ),
  maxStreamSeconds: Settings.integer("MAX_STREAM_SECONDS"),
  idleStreamSeconds: Settings.integer("IDLE_STREAM_SECONDS"),
  idleStreamRetrySeconds: Settings.integer("IDLE_STREAM_RETRY_SECONDS")
}).pipe(Config.map(({ allowedOrigins, idleStreamRetrySeconds, idleStreamSeconds, invokeMode, maxStreamSeconds }) => ({
  allowedOrigins,
  streaming: invokeMode === "RESPONSE_STREAM",
  maxStreamDuration: Duration.seconds(maxStreamSeconds),
  idleStreamWindow: Duration.seconds(idleStreamSeconds),
  idleStreamRetry: Duration.seconds(idleStreamRetrySeconds)
})))

const noStreams = Effect.succeed(problem(
  501,
  "StreamingUnavailable",
  "The legacy SSE transport needs a streaming response (a RESPONSE_STREAM Function URL); this deployment is BUFFERED. Use Streamable HTTP at /mcp."
))

/** 429 with Retry-After when the caller is over the limit. Counting must not become an outage. */
const rateLimit = Effect.gen(function* () {
  const limiter = yield* RateLimiter
  const principal = yield* currentPrincipal
  const decision = yield* limiter.take(principal).pipe(
    Effect.tapError((error) => Effect.logWarning("Rate limiter unavailable; allowing the request", error)),
    Effect.option
  )
  if (Option.isSome(decision) && !decision.value.allowed) {
    return yield* rpcHttpError(429, "Too many requests: the per-minute limit for this caller is reached", {
      "retry-after": String(decision.value.retryAfterSeconds)
    })
  }
})

export const make = (options: McpApiOptions = {}): HttpApp.Default<never, McpApiServices> => {
  const allowOrigin = originMatcher(options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS)
  const transport = {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    keepAliveInterval: options.keepAliveInterval ?? Duration.seconds(Settings.FIXED.keepAliveSeconds),
    maxStreamDuration: options.maxStreamDuration ?? Duration.seconds(Settings.DEFAULTS.MAX_STREAM_SECONDS),
    deadlineMargin: options.deadlineMargin ?? Duration.seconds(Settings.FIXED.deadlineMarginSeconds),
    retryInterval: options.retryInterval ?? Duration.millis(Settings.FIXED.retryMillis),
    idleWindow: options.idleStreamWindow ?? Duration.seconds(Settings.DEFAULTS.IDLE_STREAM_SECONDS),
    idleRetry: options.idleStreamRetry ?? Duration.seconds(Settings.DEFAULTS.IDLE_STREAM_RETRY_SECONDS),
    streamAfter: options.streamAfter ?? Duration.millis(Settings.FIXED.streamAfterMillis)
  }
  const streamable = StreamableHttp.make(transport)
  const legacy = LegacySse.make(transport)
  const streaming = options.streaming !== false

  const routes = route<McpApiServices>([
    {
      path: "/mcp",
      methods: streaming
        ? { POST: () => streamable.post, GET: () => streamable.get, DELETE: () => streamable.delete }
        : { POST: () => streamable.post, DELETE: () => streamable.delete }
    },
    { path: "/sse", methods: { GET: () => (streaming ? legacy.stream : noStreams) } },
    { path: "/message", methods: { POST: () => legacy.message } },
    { path: "/health", methods: { GET: () => Effect.succeed(json({ status: "ok" })) } }
  ])

  const guarded: HttpApp.Default<never, McpApiServices> = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const origin = request.headers["origin"]
    if (origin !== undefined && !allowOrigin(origin)) {
      return problem(403, "Forbidden", `Origin ${origin} is not allowed`)
    }
    const path = pathOf(request)
    if (path === "/health") return yield* routes
    const authenticator = yield* Authenticator
    const metadata = authenticator.metadata(request)
    if (Option.isSome(metadata)) return metadata.value
    // Everything after this line sees the authenticated caller: sessions, rate limits, the log.
    const caller = yield* authenticator.authenticate(request)
    return yield* Effect.provideService(Effect.zipRight(rateLimit, routes), Caller, caller)
  }).pipe(Effect.catchAll(render))

  if (options.cors === false) return guarded
  return HttpMiddleware.cors({
    // Called with no origin too (same-origin and non-browser requests): a throw here hangs the response.
    allowedOrigins: (origin: string | undefined) => typeof origin === "string" && allowOrigin(origin),
    allowedMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowedHeaders: ["content-type", "accept", "authorization", SESSION_HEADER, VERSION_HEADER, "last-event-id", ...MODERN_HEADERS],
    exposedHeaders: ["Mcp-Session-Id", "MCP-Protocol-Version", "WWW-Authenticate"],
    maxAge: 600
  })(guarded)
}
