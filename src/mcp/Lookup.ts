/** Finding registrations for method handlers: by name, by page, and store failures hidden. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { StoreError } from "../domain/errors.js"
import { registrationId, type RegistrationType } from "../domain/Registration.js"
import { cursorCodec } from "../domain/Cursor.js"
import { Catalog, type Of } from "./Catalog.js"
import { InternalError, InvalidParams } from "./Errors.js"
import { EngineSettings } from "./Method.js"

/** Store failures are logged with their cause and answered without details. */
export const hideStoreError = (error: StoreError) =>
  // Stryker disable next-line StringLiteral,ObjectLiteral: log wording; an InternalError without its message is a defect, answered with the same -32603
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

/** Where a page starts: after this registration id (the catalog keeps registrations in id order). */
const PageCursor = cursorCodec(Schema.Struct({ after: Schema.String }))

/**
 * One page of the registrations of a type, each turned into zero or more list items. Pages come
 * from the container's catalog, so a warm container lists without reading the registry; the
 * cursor names the last registration of the page before.
 */
export const page = <T extends RegistrationType, A, R>(
  type: T,
  cursor: string | undefined,
  toItems: (registration: Of<T>) => Effect.Effect<ReadonlyArray<A>, never, R>
) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const { pageSize } = yield* EngineSettings
    // Stryker disable next-line StringLiteral: every registration id sorts after any cursor start (ids begin with their lower-case kind)
    const after = cursor === undefined ? Option.some({ after: "" }) : PageCursor.decode(cursor)
    if (Option.isNone(after)) return yield* Effect.fail(new InvalidParams({ message: "Invalid cursor" }))
    const all = yield* catalog.all(type).pipe(Effect.catchTag("StoreError", hideStoreError))
    const rest = all.filter((registration) => registration.id > after.value.after)
    const chosen = rest.slice(0, pageSize)
    // Stryker disable next-line ObjectLiteral: one at a time gives the same page in the same order, only slower
    const items = yield* Effect.forEach(chosen, toItems, { concurrency: 8 })
    const last = chosen[chosen.length - 1]
    const nextCursor = rest.length > pageSize && last !== undefined ? PageCursor.encode({ after: last.id }) : undefined
    return { items: items.flat(), nextCursor } satisfies Page<A>
  })

/** A list result: the items under `key`, and the next cursor when there is one. */
export const listResult = <K extends string, A>(key: K, result: Page<A>) =>
  ({ [key]: result.items, ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }) }) as
    & { readonly [P in K]: ReadonlyArray<A> }
    & { readonly nextCursor?: string }
