/**
 * Sessions for both 2025 transports: creation, binding to the caller who created them,
 * expiry (every use pushes it), ending, and the session's outbox as a stream. The HTTP layer
 * only frames what this service returns.
 */
import { randomBytes } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { SessionNotFound, StoreError } from "../domain/errors.js"
import { ErrorCode, failure, type JsonRpcMessage } from "../domain/JsonRpc.js"
import { DEFAULT_NEGOTIATED_VERSION, isSupportedVersion } from "../domain/Mcp.js"
import {
  type NewSession,
  type OutboxEntry,
  type Session,
  type SessionChanges,
  SessionId,
  type Transport
} from "../domain/Session.js"
import { SessionNotFound as NotFound } from "../domain/errors.js"
import { SessionStore } from "../services/SessionStore.js"
import * as Settings from "../Settings.js"
import { Catalog } from "./Catalog.js"
import type { RequestContext } from "./McpRequest.js"
import { type CatalogSeries, type OutboxOptions, optionsConfig, responseStreamMessages, sessionMessages } from "./Outbox.js"
import { decodeUnknownOption } from "../domain/Decode.js"

export type SessionStart = Omit<NewSession, "id" | "principal" | "transport">

export interface SessionsShape {
  /** A new session of `transport`, owned by `principal`. */
  readonly open: (principal: string, transport: Transport, start: SessionStart) => Effect.Effect<Session, StoreError>
  /** A live session of this transport owned by `principal`; anything else is not found. */
  readonly resolve: (
    rawId: string,
    transport: Transport,
    principal: string
  ) => Effect.Effect<Session, SessionNotFound | StoreError>
  /**
   * Keeps what the engine changed; any use refreshes the session's expiry — already done when
   * messages were appended to its outbox, so then only changes cost a write. Never fails:
   * the answer is already decided, so a failed write is logged.
   */
  readonly touch: (session: Session, changes: SessionChanges, appended?: boolean) => Effect.Effect<void>
  /** Appends messages to the session's outbox, in order (to a POST's response stream when named). */
  readonly append: (
    id: SessionId,
    messages: ReadonlyArray<JsonRpcMessage>,
    stream?: string
  ) => Effect.Effect<ReadonlyArray<OutboxEntry>, SessionNotFound | StoreError>
  /** Ends the session (an already ended one is fine). */
  readonly close: (id: SessionId) => Effect.Effect<void, StoreError>
  /**
   * The session's outbox after `after`, as it grows, with its list_changed watch (continuing
   * the session's `series` of short standing streams when given).
   */
  readonly messages: (id: SessionId, after: number, series?: CatalogSeries) => Stream.Stream<OutboxEntry>
  /** One POST response stream's messages after `after`, ending with its response (resumption). */
  readonly streamMessages: (id: SessionId, stream: string, after: number) => Stream.Stream<OutboxEntry>
}

/**
 * The largest message a session's stream carries (JSON characters): what a synchronous Lambda
 * invocation can answer. Larger answers reach the client as an error naming the limit.
 */
export const MAX_MESSAGE_BYTES = 6 * 1024 * 1024

const tooLarge = (bytes: number) =>
  `The answer is too large to deliver: ${bytes} characters, over the ${MAX_MESSAGE_BYTES} a session's stream carries`

// Stryker disable next-line StringLiteral: the key only names the tag (no other tag has an empty key)
export class Sessions extends Context.Tag("mcp-lambda-sam/Sessions")<Sessions, SessionsShape>() {}

/** What the engine needs to know about a message's session. */
export const requestContextOf = (session: Session, principal: string): RequestContext => ({
  sessionId: session.id,
  protocolVersion: isSupportedVersion(session.protocolVersion) ? session.protocolVersion : DEFAULT_NEGOTIATED_VERSION,
  logLevel: session.logLevel,
  principal,
  clientCapabilities: session.clientCapabilities
})

const decodeSessionId = decodeUnknownOption(SessionId)
const newSessionId = () => randomBytes(24).toString("base64url") as SessionId

export interface SessionsOptions extends OutboxOptions {
  /**
   * Push a session's expiry at most this often (`every`), given the store's `ttl`: a session in
   * use then lives between `ttl - every` and `ttl` past its last request, for one write a minute
   * instead of one a request. Unset: every request pushes it.
   */
  readonly touchEvery?: { readonly ttl: Duration.DurationInput; readonly every: Duration.DurationInput } | undefined
}

export const make = (options: SessionsOptions) =>
  Effect.gen(function* () {
    const store = yield* SessionStore
    const catalog = yield* Catalog
    const streamContext = Context.make(SessionStore, store).pipe(Context.add(Catalog, catalog))

    const open: SessionsShape["open"] = (principal, transport, start) =>
      store.create({ ...start, id: newSessionId(), principal, transport }).pipe(
        // 24 random bytes do not collide; if they did, that is a defect.
        // Stryker disable next-line ArrowFunction: unreachable (a collision of 24 random bytes)
        Effect.catchTag("SessionAlreadyExists", (error) => Effect.die(error)),
        Effect.withSpan("Sessions.open")
      )

    const resolve: SessionsShape["resolve"] = (rawId, transport, principal) =>
      Effect.gen(function* () {
        const id = decodeSessionId(rawId)
        if (Option.isNone(id)) return yield* new NotFound({ sessionId: rawId })
        const session = yield* store.get(id.value)
        if (session.principal !== principal || session.transport !== transport) {
          return yield* new NotFound({ sessionId: rawId })
        }
        return session
      }).pipe(Effect.withSpan("Sessions.resolve"))

    /** Whether pushing the session's expiry is due: always, unless `touchEvery` says it was pushed lately. */
    const touchDue = (session: Session) =>
      options.touchEvery === undefined
        ? Effect.succeed(true)
        : Effect.map(Clock.currentTimeMillis, (now) =>
          now - (session.expiresAt - Duration.toMillis(options.touchEvery!.ttl)) >= Duration.toMillis(options.touchEvery!.every))

    const touch: SessionsShape["touch"] = (session, changes, appended = false) =>
      (Object.keys(changes).length > 0
        ? Effect.asVoid(store.update(session.id, changes))
        : appended
        ? Effect.void
        : Effect.flatMap(touchDue(session), (due) => (due ? store.touch(session.id) : Effect.void))).pipe(
          Effect.catchTag("SessionNotFound", () => Effect.void),
          Effect.catchTag("StoreError", (error) =>
            // Stryker disable next-line StringLiteral: log text
            Effect.logError("Session write failed", error))
        )

    const append: SessionsShape["append"] = (id, messages, stream) =>
      Effect.forEach(messages, (message) => {
        const bytes = JSON.stringify(message).length
        if (bytes <= MAX_MESSAGE_BYTES) return store.append(id, message, stream)
        // Too large for a session's stream: a request still gets an answer, an error saying so.
        if ("id" in message && ("result" in message || "error" in message) && message.id !== null) {
          return Effect.zipRight(
            // Stryker disable next-line StringLiteral: log text
            Effect.logWarning(`A ${bytes}-character answer to request ${String(message.id)} is over the stream's limit`),
            store.append(id, failure(message.id, ErrorCode.InternalError, tooLarge(bytes)), stream)
          )
        }
        return Effect.zipRight(
          // Stryker disable next-line StringLiteral,ConditionalExpression: log text
          Effect.logWarning(`A ${bytes}-character message (${"method" in message ? message.method : "?"}) is over the stream's limit; not sent`),
          Effect.succeed<OutboxEntry | undefined>(undefined)
        )
      }).pipe(Effect.map((entries) => entries.filter((entry): entry is OutboxEntry => entry !== undefined)))

    const close: SessionsShape["close"] = (id) => store.remove(id).pipe(Effect.catchTag("SessionNotFound", () => Effect.void))

    const messages: SessionsShape["messages"] = (id, after, series) =>
      // Added to whatever context runs the stream, so its spans keep their parent.
      Stream.provideSomeContext(sessionMessages(id, after, options, series), streamContext)

    const streamMessages: SessionsShape["streamMessages"] = (id, stream, after) =>
      Stream.provideSomeContext(responseStreamMessages(id, stream, after, options), streamContext)

    return { open, resolve, touch, append, close, messages, streamMessages } satisfies SessionsShape
  })

export const layer = (options: SessionsOptions): Layer.Layer<Sessions, never, SessionStore | Catalog> =>
  Layer.effect(Sessions, make(options))

/**
 * Polling and watch intervals from `POLL_MIN_MS`, `POLL_MAX_MS`, `REGISTRY_WATCH_SECONDS`; a
 * session's expiry (`SESSION_TTL_SECONDS`) pushed at most once a minute.
 */
export const makeConfig = Effect.flatMap(
  Config.all([optionsConfig, Settings.integer("SESSION_TTL_SECONDS")]),
  ([outbox, ttlSeconds]) =>
    make({
      ...outbox,
      touchEvery: { ttl: Duration.seconds(ttlSeconds), every: Duration.seconds(Settings.FIXED.sessionTouchSeconds) }
    })
)

export const layerConfig: Layer.Layer<Sessions, ConfigError.ConfigError, SessionStore | Catalog> = Layer.effect(Sessions, makeConfig)
