/**
 * The registry policy over a fake store whose conditional writes can be made to lose: a
 * concurrent writer changes the item just before the write, as in a real race. The contract
 * suites cover the same behaviour on real stores, where such races cannot be forced.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { idOf, type Registration, type RegistrationId, type RegistrationSpec } from "../../src/domain/Registration.js"
import { ConditionFailed, makeRegistry, type RegistryStorage } from "../../src/layers/RegistryStorage.js"
import { toolSpec } from "../support/fixtures.js"

const ID = "tool-weather" as RegistrationId

const storedAt = (spec: RegistrationSpec, version: number, createdAt: string): Registration => ({
  ...spec,
  id: idOf(spec),
  version,
  createdAt,
  updatedAt: createdAt
})

const fakeStore = () => {
  const items = new Map<string, Registration>()
  const calls: Array<string> = []
  let interloper: (() => void) | undefined

  const conditional = (
    name: string,
    id: string,
    holds: (current: Registration | undefined) => boolean,
    write: () => void
  ) =>
    Effect.suspend(() => {
      calls.push(name)
      const concurrent = interloper
      interloper = undefined
      concurrent?.()
      const current = items.get(id)
      if (!holds(current)) return Effect.fail(new ConditionFailed({ current: Option.fromNullable(current) }))
      write()
      return Effect.void
    })

  const storage: RegistryStorage = {
    get: (id) =>
      Effect.sync(() => {
        calls.push("get")
        return Option.fromNullable(items.get(id))
      }),
    list: () => Effect.succeed([]),
    insertIfAbsent: (item) =>
      conditional("insertIfAbsent", item.id, (current) => current === undefined, () => items.set(item.id, item)),
    replaceIfVersion: (item, expected) =>
      conditional("replaceIfVersion", item.id, (current) => current?.version === expected, () => items.set(item.id, item)),
    deleteIfVersion: (id, expected) =>
      conditional("deleteIfVersion", id, (current) => current?.version === expected, () => items.delete(id)),
    stamp: Effect.succeed("0")
  }

  return {
    registry: makeRegistry(storage),
    items,
    calls,
    /** Runs `write` just before the next conditional write, as a concurrent writer that gets there first. */
    interfere: (write: () => void) => {
      interloper = write
    }
  }
}

describe("Registry policy over RegistryStorage", () => {
  it.effect("an update that loses reports the winner's version, without reading again", () =>
    Effect.gen(function* () {
      const store = fakeStore()
      yield* store.registry.create(toolSpec("weather"))
      store.interfere(() => store.items.set(ID, storedAt(toolSpec("weather"), 3, "then")))
      const error = yield* Effect.flip(store.registry.update(toolSpec("weather", { description: "late" }), { ifVersion: 1 }))
      expect(error).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 1, actual: 3 })
      expect(store.calls).toEqual(["insertIfAbsent", "get", "replaceIfVersion"])
    }))

  it.effect("an update that loses to a removal is RegistrationNotFound", () =>
    Effect.gen(function* () {
      const store = fakeStore()
      yield* store.registry.create(toolSpec("weather"))
      store.interfere(() => store.items.delete(ID))
      const error = yield* Effect.flip(store.registry.update(toolSpec("weather"), { ifVersion: 1 }))
      expect(error._tag).toBe("RegistrationNotFound")
      expect(store.calls).toEqual(["insertIfAbsent", "get", "replaceIfVersion"])
    }))

  it.effect("an update without an expected version writes again on top of the winner", () =>
    Effect.gen(function* () {
      const store = fakeStore()
      yield* store.registry.create(toolSpec("weather"))
      store.interfere(() => store.items.set(ID, storedAt(toolSpec("weather"), 3, "winner's createdAt")))
      const updated = yield* store.registry.update(toolSpec("weather", { description: "last" }))
      expect(updated).toMatchObject({ version: 4, createdAt: "winner's createdAt", description: "last" })
      expect(store.items.get(ID)).toEqual(updated)
      expect(store.calls).toEqual(["insertIfAbsent", "get", "replaceIfVersion", "replaceIfVersion"])
    }))

  it.effect("a remove with an expected version lets the conditional delete check it", () =>
    Effect.gen(function* () {
      const store = fakeStore()
      yield* store.registry.create(toolSpec("weather"))
      store.interfere(() => store.items.set(ID, storedAt(toolSpec("weather"), 2, "then")))
      const error = yield* Effect.flip(store.registry.remove(ID, { ifVersion: 1 }))
      expect(error).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 1, actual: 2 })
      expect(store.calls).toEqual(["insertIfAbsent", "deleteIfVersion"])
    }))

  it.effect("a remove without an expected version deletes whichever version won", () =>
    Effect.gen(function* () {
      const store = fakeStore()
      yield* store.registry.create(toolSpec("weather"))
      store.interfere(() => store.items.set(ID, storedAt(toolSpec("weather"), 2, "then")))
      yield* store.registry.remove(ID)
      expect(store.items.size).toBe(0)
      expect(store.calls).toEqual(["insertIfAbsent", "get", "deleteIfVersion", "deleteIfVersion"])
    }))

  it.effect("a create that loses is a conflict; a spec too large never reaches the store", () =>
    Effect.gen(function* () {
      const store = fakeStore()
      store.interfere(() => store.items.set(ID, storedAt(toolSpec("weather"), 1, "then")))
      expect(yield* Effect.flip(store.registry.create(toolSpec("weather")))).toMatchObject({ _tag: "RegistrationConflict", id: ID })
      const huge = toolSpec("huge", { description: "x".repeat(360_000) })
      expect((yield* Effect.flip(store.registry.create(huge)))._tag).toBe("RegistrationTooLarge")
      expect((yield* Effect.flip(store.registry.update(huge)))._tag).toBe("RegistrationTooLarge")
      expect(store.calls).toEqual(["insertIfAbsent"])
    }))
})
