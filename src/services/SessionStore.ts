/** MCP sessions and their outboxes. */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { SessionAlreadyExists, SessionNotFound, StoreError } from "../domain/errors.js"
import { type JsonRpcMessage, notification } from "../domain/JsonRpc.js"
import type { NewSession, OutboxEntry, Session, SessionChanges, SessionId } from "../domain/Session.js"

export interface SessionStoreShape {
  /** Stores a new session that expires after the store's TTL. */
  readonly create: (session: NewSession) => Effect.Effect<Session, SessionAlreadyExists | StoreError>
  /** A live session; an expired or deleted one is not found. */
  readonly get: (id: SessionId) => Effect.Effect<Session, SessionNotFound | StoreError>
  /** Applies the changes and, like `touch`, pushes the expiry a TTL past now. */
  readonly update: (id: SessionId, changes: SessionChanges) => Effect.Effect<Session, SessionNotFound | StoreError>
  /** Pushes the expiry a TTL past now. */
  readonly touch: (id: SessionId) => Effect.Effect<void, SessionNotFound | StoreError>
  /** Deletes the session and its outbox. */
  readonly remove: (id: SessionId) => Effect.Effect<void, SessionNotFound | StoreError>
  /**
   * Appends a message under the next sequence number (concurrent appends never share one) and,
   * like `touch`, pushes the session's expiry. `stream` names the response stream it belongs to
   * (a POST's), so a client that lost that stream can resume it alone.
   */
  readonly append: (
    id: SessionId,
    message: JsonRpcMessage,
    stream?: string
  ) => Effect.Effect<OutboxEntry, SessionNotFound | StoreError>
  /**
   * Gives up on a sequence number whose message has not arrived: marks it skipped unless the
   * message is there by now. True when marked — its writer then appends under a new number, so a
   * late write is never lost; false when the message arrived (read it again).
   */
  readonly abandon: (id: SessionId, seq: number) => Effect.Effect<boolean, StoreError>
  /**
   * Messages with a sequence number above `after`, in order (at most `limit`); a number given up
   * with `abandon` reads as an entry carrying `SKIPPED`, for the reader to step over.
   */
  readonly readAfter: (
    id: SessionId,
    after: number,
    limit?: number
  ) => Effect.Effect<ReadonlyArray<OutboxEntry>, SessionNotFound | StoreError>
}

export class SessionStore extends Context.Tag("mcp-lambda-sam/SessionStore")<SessionStore, SessionStoreShape>() {}

/** What an abandoned sequence number reads as: never sent to a client. */
export const SKIPPED = notification("mcp-lambda-sam/skipped")

export const isSkipped = (message: JsonRpcMessage) => "method" in message && message.method === SKIPPED.method
