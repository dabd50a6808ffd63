/** MCP sessions and their outbox (messages waiting for the client's stream). */
import * as Schema from "effect/Schema"
import { lazySchema } from "./Decode.js"
import { JsonRpcMessage } from "./JsonRpc.js"
import { Implementation, LoggingLevel } from "./Protocol.js"

export const SessionId = Schema.String.pipe(
  Schema.filter((id) => /^[\x21-\x7E]{16,128}$/.test(id) || "must be 16–128 visible ASCII characters"),
  Schema.brand("SessionId")
)
export type SessionId = typeof SessionId.Type

/** `listen`: the session behind one 2026-07-28 `subscriptions/listen` stream (it lives as long as the stream). */
export const Transport = Schema.Literal("streamable-http", "sse", "listen")
export type Transport = typeof Transport.Type

export const Session = lazySchema(() => Schema.Struct({
  id: SessionId,
  /** Who created the session (the IAM principal on AWS); another caller cannot use it. */
  principal: Schema.String,
  transport: Transport,
  protocolVersion: Schema.String,
  initialized: Schema.Boolean,
  clientInfo: Schema.optional(Implementation),
  clientCapabilities: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  logLevel: Schema.optional(LoggingLevel),
  /** The outbox's last sequence number when the session was read (a lower bound for what follows). */
  lastSeq: Schema.optional(Schema.Int),
  /**
   * What the session's standing streams last saw of the registry (its stamp and a digest per
   * kind), so a stream opened after a gap still announces what changed while none was open.
   */
  catalogSeen: Schema.optional(Schema.String),
  /** Epoch milliseconds. */
  createdAt: Schema.Number,
  expiresAt: Schema.Number
}))
export type Session = typeof Session.Type

export type NewSession = Omit<Session, "createdAt" | "expiresAt" | "lastSeq">

/** What the engine may change on a session. */
export type SessionChanges = Partial<
  Pick<Session, "protocolVersion" | "initialized" | "clientInfo" | "clientCapabilities" | "logLevel" | "catalogSeen">
>

export const OutboxEntry = lazySchema(() => Schema.Struct({
  sessionId: SessionId,
  /** Unique and increasing within a session; a stream's cursor is the last seq it sent. */
  seq: Schema.Int,
  message: JsonRpcMessage.built(),
  /** The response stream the message belongs to (a POST's SSE stream); none for the session's own stream. */
  stream: Schema.optional(Schema.String),
  createdAt: Schema.Number
}))
export type OutboxEntry = typeof OutboxEntry.Type
