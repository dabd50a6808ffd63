/**
 * Store outages on demand: a SessionStore and a Registry over the memory layers whose every
 * call fails with a StoreError while `outage.down` is set, as a DynamoDB outage reaches the
 * apps once the stores' retries are spent. `outage.failed` names the operations refused.
 */
import { Effect, Layer } from "effect"
import { StoreError } from "../../src/domain/errors.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import { Registry, type RegistryShape } from "../../src/services/Registry.js"
import { SessionStore, type SessionStoreShape } from "../../src/services/SessionStore.js"

export interface Outage {
  down: boolean
  /** While down, only these operations fail (all of them when unset). */
  only?: ReadonlySet<string> | undefined
  readonly failed: Array<string>
}

export const makeOutage = (): Outage => ({ down: false, failed: [] })

/** `effect`, unless the store is down: then a StoreError for `operation`. */
const guarded = <A, E>(outage: Outage, operation: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
  Effect.suspend((): Effect.Effect<A, E | StoreError> => {
    if (!outage.down || (outage.only !== undefined && !outage.only.has(operation))) return effect
    outage.failed.push(operation)
    return Effect.fail(new StoreError({ operation, cause: new Error(`${operation}: injected outage`) }))
  })

export const sessionStoreOutage = (outage: Outage): Layer.Layer<SessionStore> =>
  Layer.effect(
    SessionStore,
    Effect.map(SessionStore, (store): SessionStoreShape => ({
      create: (session) => guarded(outage, "SessionStore.create", store.create(session)),
      get: (id) => guarded(outage, "SessionStore.get", store.get(id)),
      update: (id, changes) => guarded(outage, "SessionStore.update", store.update(id, changes)),
      touch: (id) => guarded(outage, "SessionStore.touch", store.touch(id)),
      remove: (id) => guarded(outage, "SessionStore.remove", store.remove(id)),
      append: (id, message, stream) => guarded(outage, "SessionStore.append", store.append(id, message, stream)),
      abandon: (id, seq) => guarded(outage, "SessionStore.abandon", store.abandon(id, seq)),
      readAfter: (id, after, limit) => guarded(outage, "SessionStore.readAfter", store.readAfter(id, after, limit))
    }))
  ).pipe(Layer.provide(sessionsMemory()))

export const registryOutage = (outage: Outage): Layer.Layer<Registry> =>
  Layer.effect(
    Registry,
    Effect.map(Registry, (registry): RegistryShape => ({
      create: (spec) => guarded(outage, "Registry.create", registry.create(spec)),
      update: (spec, precondition) => guarded(outage, "Registry.update", registry.update(spec, precondition)),
      get: (id) => guarded(outage, "Registry.get", registry.get(id)),
      list: (options) => guarded(outage, "Registry.list", registry.list(options)),
      remove: (id, precondition) => guarded(outage, "Registry.remove", registry.remove(id, precondition)),
      stamp: guarded(outage, "Registry.stamp", registry.stamp)
    }))
  ).pipe(Layer.provide(registryMemory))
