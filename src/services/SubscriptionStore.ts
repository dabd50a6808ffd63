/** Which sessions asked to hear about which resource URIs (`resources/subscribe`). */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { StoreError } from "../domain/errors.js"
import type { SessionId } from "../domain/Session.js"

export interface SubscriptionStoreShape {
  /** Records that `sessionId` wants `notifications/resources/updated` for `uri` (idempotent). */
  readonly add: (sessionId: SessionId, uri: string) => Effect.Effect<void, StoreError>
  /** Forgets it (idempotent). */
  readonly remove: (sessionId: SessionId, uri: string) => Effect.Effect<void, StoreError>
  /** Every session subscribed to `uri` (some may have ended since). */
  readonly sessionsOf: (uri: string) => Effect.Effect<ReadonlyArray<SessionId>, StoreError>
}

export class SubscriptionStore extends Context.Tag("mcp-lambda-sam/SubscriptionStore")<
  SubscriptionStore,
  SubscriptionStoreShape
>() {}
