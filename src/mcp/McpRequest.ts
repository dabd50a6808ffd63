/**
 * What a method handler knows about the message it answers: who asked, in which session and
 * protocol revision, and how to send notifications or change the session. Dispatch provides
 * it once per message, so handlers take only their decoded params.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { type JsonRpcNotification, type JsonRpcRequest, notification, type RequestId } from "../domain/JsonRpc.js"
import { levelAtLeast, type LoggingLevel, type ProgressToken, type ProtocolVersion } from "../domain/Mcp.js"
import { isModernVersion, type ModernVersion } from "../domain/Modern.js"
import type { SessionChanges, SessionId } from "../domain/Session.js"

/** What the transport tells the engine about a message's session (none for a stateless request). */
export interface RequestContext {
  readonly sessionId?: SessionId | undefined
  /** A 2025 revision negotiated by the session, or 2026-07-28 (stateless: no session). */
  readonly protocolVersion: ProtocolVersion | ModernVersion
  readonly logLevel?: LoggingLevel | undefined
  /** The caller (IAM principal on AWS), passed on to functions. */
  readonly principal?: string | undefined
  /** What the client declared at initialize (elicitation, sampling, roots…). */
  readonly clientCapabilities?: Readonly<Record<string, unknown>> | undefined
  /** 2026-07-28 `Mcp-Param-*` headers, by lower-case name (checked against the tool's arguments). */
  readonly paramHeaders?: Readonly<Record<string, string>> | undefined
}

/** Where a transport takes what the server sends while a request runs: notifications, and its own requests. */
export type Live = (message: JsonRpcNotification | JsonRpcRequest) => Effect.Effect<void>

/** What handling one input (a message or a batch) produced besides its responses. */
export interface Effects {
  /** Sent before the responses (log messages, progress), unless `live` sends them at once. */
  readonly notifications: Ref.Ref<ReadonlyArray<JsonRpcNotification>>
  /** Where a transport that can deliver messages while a request runs takes them. */
  readonly live: Live | undefined
  /** What to persist on the session (negotiated version, log level, initialized). */
  readonly changes: Ref.Ref<SessionChanges>
}

export const makeEffects = (live?: Live): Effect.Effect<Effects> =>
  Effect.all({
    notifications: Ref.make<ReadonlyArray<JsonRpcNotification>>([]),
    changes: Ref.make<SessionChanges>({}),
    live: Effect.succeed(live)
  })

export interface McpRequestShape extends RequestContext {
  readonly id: RequestId
  readonly method: string
  /** `params._meta.progressToken`, when the client asked for progress. */
  readonly progressToken: ProgressToken | undefined
  readonly meta: Readonly<Record<string, unknown>> | undefined
  /** The logger name of `notifications/message` (the server's name). */
  readonly logger: string
  readonly effects: Effects
}

export class McpRequest extends Context.Tag("mcp-lambda-sam/McpRequest")<McpRequest, McpRequestShape>() {}

/** Whether the request is served under 2026-07-28 (stateless) rules. */
export const isModern = (context: RequestContext) => isModernVersion(context.protocolVersion)

/** Sends a notification now where the transport can, else before the response. */
export const notify = (message: JsonRpcNotification) =>
  Effect.flatMap(McpRequest, ({ effects }) =>
    effects.live !== undefined ? effects.live(message) : Ref.update(effects.notifications, (all) => [...all, message]))

/** A `notifications/message` when the session's level lets it through. */
export const log = (level: LoggingLevel, data: unknown, logger?: string) =>
  Effect.flatMap(McpRequest, (request) =>
    request.logLevel !== undefined && levelAtLeast(level, request.logLevel)
      ? notify(notification("notifications/message", { level, logger: logger ?? request.logger, data }))
      : Effect.void)

/** A `notifications/progress` for the request's progress token; nothing when the client sent none. */
export const progress = (report: { readonly progress: number; readonly total?: number | undefined; readonly message?: string | undefined }) =>
  Effect.flatMap(McpRequest, (request) =>
    request.progressToken === undefined
      ? Effect.void
      : notify(notification("notifications/progress", {
        progressToken: request.progressToken,
        progress: report.progress,
        ...(report.total === undefined ? {} : { total: report.total }),
        ...(report.message === undefined ? {} : { message: report.message })
      })))

/** Asks for a change to the session, kept once the message is handled. */
export const changeSession = (changes: SessionChanges) =>
  Effect.flatMap(McpRequest, (request) => Ref.update(request.effects.changes, (current) => ({ ...current, ...changes })))

/**
 * The `extra` object a function receives with its payload: who asks, in which session, and
 * what is worth doing (a progress token means progress is wanted; the log level says which
 * log lines anyone will see).
 */
export const extra = Effect.map(McpRequest, (request) => ({
  requestId: request.id,
  protocolVersion: request.protocolVersion,
  ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
  ...(request.principal === undefined ? {} : { principal: request.principal }),
  ...(request.progressToken === undefined ? {} : { progressToken: request.progressToken }),
  ...(request.logLevel === undefined ? {} : { logLevel: request.logLevel }),
  ...(request.clientCapabilities === undefined ? {} : { clientCapabilities: request.clientCapabilities }),
  ...(request.meta === undefined ? {} : { _meta: request.meta })
}))
