/**
 * What reaches a session from the client outside of a request: its answers to the server's
 * own requests (elicitation, sampling, roots) and its cancellations. They arrive as separate
 * POSTs — on Lambda in other containers — so they are kept here for the invocation that waits.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { StoreError } from "../domain/errors.js"
import type { SessionId } from "../domain/Session.js"

export interface InboxShape {
  /** Keeps `value` under `key` for the session (a later put of the same key replaces it). */
  readonly put: (sessionId: SessionId, key: string, value: unknown) => Effect.Effect<void, StoreError>
  /** What is kept for the session under any of `keys` (strongly consistent). */
  readonly read: (sessionId: SessionId, keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, unknown>, StoreError>
  readonly remove: (sessionId: SessionId, keys: ReadonlyArray<string>) => Effect.Effect<void, StoreError>
}

export class Inbox extends Context.Tag("mcp-lambda-sam/Inbox")<Inbox, InboxShape>() {}

/** The key of the client's answer to the server's request `id`. */
export const replyKey = (id: string | number) => `reply:${typeof id}:${id}`
/** The key that says the client cancelled its request `id`. */
export const cancelKey = (id: string | number) => `cancel:${typeof id}:${id}`
