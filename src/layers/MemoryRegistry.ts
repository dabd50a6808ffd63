/** Registry held in memory: for tests, `npm start` and embedding. */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { Registration, RegistrationId } from "../domain/Registration.js"
import { Registry, type RegistryShape } from "../services/Registry.js"
import { ConditionFailed, makeRegistry, type RegistryStorage } from "./RegistryStorage.js"

interface State {
  readonly items: ReadonlyMap<string, Registration>
  /** Counts the writes that landed: the stamp. */
  readonly revision: number
}

const makeStorage = (state: Ref.Ref<State>): RegistryStorage => {
  /** Applies `write` atomically if `holds` accepts what is stored under `id`. */
  const conditional = (
    id: RegistrationId,
    holds: (current: Registration | undefined) => boolean,
    write: (items: Map<string, Registration>) => void
  ) =>
    Effect.flatten(Ref.modify(state, (current): readonly [Effect.Effect<void, ConditionFailed>, State] => {
      const existing = current.items.get(id)
      if (!holds(existing)) return [Effect.fail(new ConditionFailed({ current: Option.fromNullable(existing) })), current]
      const items = new Map(current.items)
      write(items)
      return [Effect.void, { items, revision: current.revision + 1 }]
    }))

  return {
    get: (id) => Effect.map(Ref.get(state), (current) => Option.fromNullable(current.items.get(id))),
    list: ({ type, after = "", limit }) =>
      Effect.map(Ref.get(state), (current) =>
        [...current.items.values()]
          .filter((item) => (type === undefined || item.type === type) && item.id > after)
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit)),
    insertIfAbsent: (item) =>
      conditional(item.id, (existing) => existing === undefined, (items) => {
        items.set(item.id, item)
      }),
    replaceIfVersion: (item, expected) =>
      conditional(item.id, (existing) => existing?.version === expected, (items) => {
        items.set(item.id, item)
      }),
    deleteIfVersion: (id, expected) =>
      conditional(id, (existing) => existing?.version === expected, (items) => {
        items.delete(id)
      }),
    stamp: Effect.map(Ref.get(state), (current) => String(current.revision))
  }
}

export const makeMemory: Effect.Effect<RegistryShape> = Effect.map(
  Ref.make<State>({ items: new Map(), revision: 0 }),
  (state) => makeRegistry(makeStorage(state))
)

export const layerMemory: Layer.Layer<Registry> = Layer.effect(Registry, makeMemory)
