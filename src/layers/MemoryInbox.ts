/** The session inbox in memory: for tests and the dev server's memory store. */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { Inbox, type InboxShape } from "../services/Inbox.js"

export const makeMemory: Effect.Effect<InboxShape> = Effect.map(Ref.make<ReadonlyMap<string, unknown>>(new Map()), (state) => {
  const at = (sessionId: string, key: string) => `${sessionId}\u0000${key}`
  return {
    put: (sessionId, key, value) => Ref.update(state, (current) => new Map(current).set(at(sessionId, key), value)),
    read: (sessionId, keys) =>
      Effect.map(Ref.get(state), (current) => {
        const found = new Map<string, unknown>()
        for (const key of keys) if (current.has(at(sessionId, key))) found.set(key, current.get(at(sessionId, key)))
        return found
      }),
    remove: (sessionId, keys) =>
      Ref.update(state, (current) => {
        const next = new Map(current)
        for (const key of keys) next.delete(at(sessionId, key))
        return next
      })
  }
})

export const layerMemory: Layer.Layer<Inbox> = Layer.effect(Inbox, makeMemory)
