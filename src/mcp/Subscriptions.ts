/**
 * Resource subscriptions: sessions subscribe to URIs; an update (from the Registration API's
 * `POST /resources/updated`, or a streaming function's `resource_updated` line) reaches every
 * subscribed session's outbox as `notifications/resources/updated`, in whatever container
 * holds its stream.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { SessionNotFound, StoreError } from "../domain/errors.js"
import { notification } from "../domain/JsonRpc.js"
import type { SessionId } from "../domain/Session.js"
import { SessionStore } from "../services/SessionStore.js"
import { SubscriptionStore } from "../services/SubscriptionStore.js"

export interface SubscriptionsShape {
  readonly subscribe: (sessionId: SessionId, uri: string) => Effect.Effect<void, StoreError>
  readonly unsubscribe: (sessionId: SessionId, uri: string) => Effect.Effect<void, StoreError>
  /** Tells every session subscribed to `uri`; answers how many were told. */
  readonly publish: (uri: string) => Effect.Effect<number, StoreError>
}

export class Subscriptions extends Context.Tag("mcp-lambda-sam/Subscriptions")<Subscriptions, SubscriptionsShape>() {}

export const make = Effect.gen(function* () {
  const store = yield* SubscriptionStore
  const sessions = yield* SessionStore

  const tell = (uri: string) => (sessionId: SessionId): Effect.Effect<boolean, StoreError> =>
    sessions.append(sessionId, notification("notifications/resources/updated", { uri })).pipe(
      Effect.as(true),
      // The session ended: its subscription goes too.
      Effect.catchTag("SessionNotFound", (_: SessionNotFound) => Effect.as(store.remove(sessionId, uri), false))
    )

  const publish = Effect.fn("Subscriptions.publish")(function* (uri: string) {
    const subscribers = yield* store.sessionsOf(uri)
    const told = yield* Effect.forEach(subscribers, tell(uri), { concurrency: 8 })
    return told.filter((ok) => ok).length
  })

  return { subscribe: store.add, unsubscribe: store.remove, publish } satisfies SubscriptionsShape
})

export const layer: Layer.Layer<Subscriptions, never, SubscriptionStore | SessionStore> = Layer.effect(Subscriptions, make)
