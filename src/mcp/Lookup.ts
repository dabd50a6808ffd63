/** Finding registrations for method handlers: by name, by page, and store failures hidden. */
import { Effect } from "effect"
import type { StoreError } from "../domain/errors.js"
import { registrationId, type RegistrationType } from "../domain/Registration.js"
import { Registry } from "../services/Registry.js"
import { Catalog, isOfType, type Of } from "./Catalog.js"
import { InternalError, InvalidParams } from "./Errors.js"
import { EngineSettings } from "./Method.js"

/** Store failures are logged with their cause and answered without details. */
export const hideStoreError = (error: StoreError) =>
  Effect.zipRight(Effect.logError("Store failure", error), Effect.fail(new InternalError({ message: "Internal error" })))

/**
 * The registration a client names (a tool or prompt name); unknown names are -32602. Read from
 * the container's catalog: no store request while the registry's stamp has not moved (and, with
 * `REGISTRY_STAMP_CACHE_MS`, none at all within that time).
 */
export const lookup = <T extends RegistrationType>(type: T, name: string) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const id = registrationId(type, name)
    const registrations = yield* catalog.all(type).pipe(Effect.catchTag("StoreError", hideStoreError))
    const registration = registrations.find((candidate) => candidate.id === id)
    // Built only on the failure path: an error captures a stack, and most lookups find their registration.
    return registration ?? (yield* Effect.fail(new InvalidParams({ message: `Unknown ${type}: ${name}` })))
  })

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | undefined
}

/** One page of the registrations of a type, each turned into zero or more list items. */
export const page = <T extends RegistrationType, A, R>(
  type: T,
  cursor: string | undefined,
  toItems: (registration: Of<T>) => Effect.Effect<ReadonlyArray<A>, never, R>
) =>
  Effect.gen(function* () {
    const registry = yield* Registry
    const { pageSize } = yield* EngineSettings
    const result = yield* registry.list({ type, cursor, limit: pageSize }).pipe(
      Effect.catchTags({
        InvalidCursor: () => Effect.fail(new InvalidParams({ message: "Invalid cursor" })),
        StoreError: hideStoreError
      })
    )
    const ofType = result.items.filter((registration) => isOfType(registration, type))
    const items = yield* Effect.forEach(ofType, toItems, { concurrency: 8 })
    return { items: items.flat(), nextCursor: result.nextCursor } satisfies Page<A>
  })

/** A list result: the items under `key`, and the next cursor when there is one. */
export const listResult = <K extends string, A>(key: K, result: Page<A>) =>
  ({ [key]: result.items, ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }) }) as
    & { readonly [P in K]: ReadonlyArray<A> }
    & { readonly nextCursor?: string }
