/**
 * The registry as the protocol sees it: every registration of a kind, re-read only when the
 * registry's version stamp moves (the stamp itself read at most every `REGISTRY_STAMP_CACHE_MS`
 * per container on Lambda, so a registration change shows within that much more). Method handlers and the session streams' change watch share
 * one snapshot per container.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { StoreError } from "../domain/errors.js"
import type { Registration, RegistrationType } from "../domain/Registration.js"
import { listAll, Registry } from "../services/Registry.js"
import * as Settings from "../Settings.js"

export type Of<T extends RegistrationType> = Extract<Registration, { readonly type: T }>

export const KINDS: ReadonlyArray<RegistrationType> = ["tool", "resource", "prompt"]

export const isOfType = <T extends RegistrationType>(registration: Registration, type: T): registration is Of<T> =>
  // Stryker disable next-line ConditionalExpression: listAll already returns only this type (the guard narrows it for the compiler)
  registration.type === type

export interface CatalogShape {
  /** The registry's version stamp: changes whenever any registration changes. */
  readonly stamp: Effect.Effect<string, StoreError>
  /** Every registration of a kind, in id order. */
  readonly all: <T extends RegistrationType>(type: T) => Effect.Effect<ReadonlyArray<Of<T>>, StoreError>
  /** One string per kind that changes when a registration of that kind does (`id@version,…`). */
  readonly fingerprints: Effect.Effect<ReadonlyArray<string>, StoreError>
}

export class Catalog extends Context.Tag("mcp-lambda-sam/Catalog")<Catalog, CatalogShape>() {}

interface Snapshot {
  readonly stamp: string
  readonly byType: ReadonlyMap<RegistrationType, ReadonlyArray<Registration>>
}

export const make = Effect.gen(function* () {
  const registry = yield* Registry
  // Stryker disable next-line ObjectLiteral: no registry stamp equals the empty start, so it is never a hit
  const cache = yield* Ref.make<Snapshot>({ stamp: "", byType: new Map() })
  // REGISTRY_STAMP_CACHE_MS: a container reads the stamp at most this often (0: on every use).
  const stampCacheMillis = yield* Effect.orDie(Settings.integer("REGISTRY_STAMP_CACHE_MS"))
  const lastStamp = yield* Ref.make<{ readonly stamp: string; readonly at: number } | undefined>(undefined)
  // Stryker disable next-line ConditionalExpression,EqualityOperator: at 0 the cached path reads the stamp every time too (this one skips the clock)
  const stamp: Effect.Effect<string, StoreError> = stampCacheMillis <= 0
    ? registry.stamp
    : Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const last = yield* Ref.get(lastStamp)
      if (last !== undefined && now - last.at < stampCacheMillis) return last.stamp
      const fresh = yield* registry.stamp
      yield* Ref.set(lastStamp, { stamp: fresh, at: now })
      return fresh
    })

  // Stryker disable next-line StringLiteral: span name, for tracing only
  const all = Effect.fn("Catalog.all")(function* <T extends RegistrationType>(type: T) {
    const now = yield* stamp
    const cached = yield* Ref.get(cache)
    const hit = cached.stamp === now ? cached.byType.get(type) : undefined
    const items = hit ?? (yield* listAll(registry, type))
    // Stryker disable next-line ConditionalExpression: storing a hit again stores the same snapshot
    if (hit === undefined) {
      yield* Ref.update(cache, (current) => ({
        stamp: now,
        byType: new Map(current.stamp === now ? current.byType : []).set(type, items)
      }))
    }
    // Stryker disable next-line MethodExpression: listAll already returns only this type (the filter narrows it for the compiler)
    return items.filter((registration): registration is Of<T> => isOfType(registration, type))
  })

  const fingerprints = Effect.forEach(KINDS, (kind) =>
    Effect.map(all(kind), (items) => items.map((item) => `${item.id}@${item.version}`).join(",")))

  return { stamp, all, fingerprints } satisfies CatalogShape
})

export const layer: Layer.Layer<Catalog, never, Registry> = Layer.effect(Catalog, make)
