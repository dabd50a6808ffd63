/** Subscriptions held in memory: for tests and the dev server's memory store. */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { SessionId } from "../domain/Session.js"
import { SubscriptionStore, type SubscriptionStoreShape } from "../services/SubscriptionStore.js"

export const makeMemory: Effect.Effect<SubscriptionStoreShape> = Effect.map(
  Ref.make<ReadonlyMap<string, ReadonlySet<SessionId>>>(new Map()),
  (state) => {
    const change = (uri: string, update: (sessions: Set<SessionId>) => void) =>
      Ref.update(state, (current) => {
        const sessions = new Set(current.get(uri))
        update(sessions)
        const next = new Map(current)
        return sessions.size === 0 ? (next.delete(uri), next) : next.set(uri, sessions)
      })
    return {
      add: (sessionId, uri) => change(uri, (sessions) => sessions.add(sessionId)),
      remove: (sessionId, uri) => change(uri, (sessions) => sessions.delete(sessionId)),
      sessionsOf: (uri) => Effect.map(Ref.get(state), (current) => [...(current.get(uri) ?? [])])
    }
  }
)

export const layerMemory: Layer.Layer<SubscriptionStore> = Layer.effect(SubscriptionStore, makeMemory)
