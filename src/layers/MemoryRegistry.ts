/** Registry held in memory: for tests, `npm start` and embedding. */
import { Clock, Effect, Either, Layer, Ref } from "effect"
import {
  RegistrationConflict,
  RegistrationNotFound,
  RegistrationVersionMismatch
} from "../domain/errors.js"
import { idOf, type Registration, type RegistrationId, type RegistrationSpec } from "../domain/Registration.js"
import { checkSize, type ListOptions, type Precondition, Registry, type RegistryShape } from "../services/Registry.js"
import { pageOf, pageRequest } from "./RegistryPages.js"

interface State {
  readonly items: ReadonlyMap<string, Registration>
  readonly revision: number
}

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

export const makeMemory: Effect.Effect<RegistryShape> = Effect.gen(function* () {
  const state = yield* Ref.make<State>({ items: new Map(), revision: 0 })

  type Guarded = Either.Either<Registration, RegistrationNotFound | RegistrationVersionMismatch>

  /** The stored registration, if it exists and is at the expected version. */
  const guard = (current: State, id: RegistrationId, precondition: Precondition | undefined): Guarded => {
    const existing = current.items.get(id)
    if (existing === undefined) return Either.left(new RegistrationNotFound({ id }))
    if (precondition?.ifVersion !== undefined && precondition.ifVersion !== existing.version) {
      return Either.left(new RegistrationVersionMismatch({ id, expected: precondition.ifVersion, actual: existing.version }))
    }
    return Either.right(existing)
  }

  const create = Effect.fn("Registry.create")(function* (spec: RegistrationSpec) {
    yield* checkSize(spec)
    const timestamp = yield* now
    const id = idOf(spec)
    const registration = { ...spec, id, version: 1, createdAt: timestamp, updatedAt: timestamp } as Registration
    const created = yield* Ref.modify(state, (current): readonly [boolean, State] =>
      current.items.has(id)
        ? [false, current]
        : [true, { items: new Map(current.items).set(id, registration), revision: current.revision + 1 }]
    )
    if (!created) return yield* new RegistrationConflict({ id })
    return registration
  })

  const update = Effect.fn("Registry.update")(function* (spec: RegistrationSpec, precondition?: Precondition) {
    yield* checkSize(spec)
    const timestamp = yield* now
    const id = idOf(spec)
    const result = yield* Ref.modify(state, (current): readonly [Guarded, State] => {
      const existing = guard(current, id, precondition)
      if (Either.isLeft(existing)) return [existing, current]
      const next = {
        ...spec,
        id,
        version: existing.right.version + 1,
        createdAt: existing.right.createdAt,
        updatedAt: timestamp
      } as Registration
      return [Either.right(next), { items: new Map(current.items).set(id, next), revision: current.revision + 1 }]
    })
    return yield* result
  })

  const get = Effect.fn("Registry.get")(function* (id: RegistrationId) {
    const current = yield* Ref.get(state)
    const found = current.items.get(id)
    if (found === undefined) return yield* new RegistrationNotFound({ id })
    return found
  })

  const list = Effect.fn("Registry.list")(function* (options: ListOptions = {}) {
    const { after = "", limit } = yield* pageRequest(options)
    const current = yield* Ref.get(state)
    const matching = [...current.items.values()]
      .filter((item) => options.type === undefined || item.type === options.type)
      .filter((item) => item.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
    return pageOf(matching.slice(0, limit + 1), options, limit)
  })

  const remove = Effect.fn("Registry.remove")(function* (id: RegistrationId, precondition?: Precondition) {
    const result = yield* Ref.modify(state, (current): readonly [Guarded, State] => {
      const existing = guard(current, id, precondition)
      if (Either.isLeft(existing)) return [existing, current]
      const items = new Map(current.items)
      items.delete(id)
      return [existing, { items, revision: current.revision + 1 }]
    })
    yield* result
  })

  const stamp = Effect.map(Ref.get(state), (current) => String(current.revision))

  return { create, update, get, list, remove, stamp }
})

export const layerMemory: Layer.Layer<Registry> = Layer.effect(Registry, makeMemory)
