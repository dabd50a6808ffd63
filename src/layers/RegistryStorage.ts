/**
 * The registry's policy, written once for every store. A store (memory, DynamoDB) offers a few
 * conditional primitives; when a condition fails it says what it holds instead, so the policy
 * can name the error without reading again. Versions, timestamps, authors, owner-only changes,
 * the size limit, pagination and the choice of error are decided here, on top of those primitives.
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  MAX_REGISTRATION_BYTES,
  RegistrationConflict,
  RegistrationForbidden,
  RegistrationNotFound,
  RegistrationTooLarge,
  RegistrationVersionMismatch,
  type StoreError
} from "../domain/errors.js"
import {
  idOf,
  type Registration,
  type RegistrationId,
  type RegistrationSpec,
  type RegistrationType
} from "../domain/Registration.js"
import type { Author, ListOptions, Precondition, RegistryShape } from "../services/Registry.js"
import { pageOf, pageRequest } from "./RegistryPages.js"

/** A conditional write that did not happen: `current` is what the store holds under the id instead. */
export class ConditionFailed extends Data.TaggedError("ConditionFailed")<{
  readonly current: Option.Option<Registration>
}> {}

export interface StorageQuery {
  /** Only registrations of this type. */
  readonly type?: RegistrationType | undefined
  /** Only ids greater than this one (undefined: from the first). */
  readonly after?: string | undefined
  /** At most this many. */
  readonly limit: number
}

/** What a store must do for the registry: plain reads and writes that land only if a condition holds. */
export interface RegistryStorage {
  readonly get: (id: RegistrationId) => Effect.Effect<Option.Option<Registration>, StoreError>
  /** Up to `limit` registrations in id order. */
  readonly list: (query: StorageQuery) => Effect.Effect<ReadonlyArray<Registration>, StoreError>
  /** Stores `item` if nothing is stored under its id. */
  readonly insertIfAbsent: (item: Registration) => Effect.Effect<void, ConditionFailed | StoreError>
  /** Stores `item` over the registration of its id if that one is at version `expected`. */
  readonly replaceIfVersion: (item: Registration, expected: number) => Effect.Effect<void, ConditionFailed | StoreError>
  /** Deletes the registration `id` if it is at version `expected`. */
  readonly deleteIfVersion: (id: RegistrationId, expected: number) => Effect.Effect<void, ConditionFailed | StoreError>
  /** Changes whenever a write lands, and only then. */
  readonly stamp: Effect.Effect<string, StoreError>
}

/** Fails when a spec would not fit in a store item (the same limit for every store). */
export const checkSize = (spec: RegistrationSpec) => {
  const bytes = Buffer.byteLength(JSON.stringify(spec), "utf8")
  return bytes > MAX_REGISTRATION_BYTES ? Effect.fail(new RegistrationTooLarge({ id: idOf(spec), bytes })) : Effect.void
}

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

interface Written {
  readonly at: string
  readonly by: string | undefined
}

const stored = (spec: RegistrationSpec, version: number, created: Written, updated: Written): Registration => ({
  ...spec,
  id: idOf(spec),
  version,
  createdAt: created.at,
  updatedAt: updated.at,
  ...(created.by === undefined ? {} : { createdBy: created.by }),
  ...(updated.by === undefined ? {} : { updatedBy: updated.by })
})

/**
 * The registration, if the caller may change it (owner-only: its creator, or anyone when no
 * creator is recorded) and it is at the version the caller expects (any version when none is given).
 */
const atExpectedVersion = (
  registration: Registration,
  precondition: Precondition | undefined
): Effect.Effect<Registration, RegistrationForbidden | RegistrationVersionMismatch> => {
  if (
    precondition?.ownerOnly === true && registration.createdBy !== undefined &&
    registration.createdBy !== precondition.principal
  ) {
    return Effect.fail(new RegistrationForbidden({ id: registration.id }))
  }
  return precondition?.ifVersion === undefined || precondition.ifVersion === registration.version
    ? Effect.succeed(registration)
    : Effect.fail(
      new RegistrationVersionMismatch({ id: registration.id, expected: precondition.ifVersion, actual: registration.version })
    )
}

type Guarded<A> = Effect.Effect<A, RegistrationNotFound | RegistrationVersionMismatch | RegistrationForbidden | StoreError>

/**
 * After a lost condition the winner decides: none left is `RegistrationNotFound`; a winner at
 * another version than the caller expected is a mismatch reporting the winner's version. A caller
 * who expected no version writes again on top of the winner (last writer wins).
 */
const settle = <A>(id: RegistrationId, precondition: Precondition | undefined, retry: (winner: Registration) => Guarded<A>) =>
(failed: ConditionFailed): Guarded<A> =>
  Option.match(failed.current, {
    onNone: () => Effect.fail(new RegistrationNotFound({ id })),
    onSome: (winner) => Effect.flatMap(atExpectedVersion(winner, precondition), retry)
  })

/** The `Registry` port over a store's primitives. */
export const makeRegistry = (storage: RegistryStorage): RegistryShape => {
  const get = Effect.fn("Registry.get")(function* (id: RegistrationId) {
    const found = yield* storage.get(id)
    if (Option.isNone(found)) return yield* new RegistrationNotFound({ id })
    return found.value
  })

  const create = Effect.fn("Registry.create")(function* (spec: RegistrationSpec, author?: Author) {
    yield* checkSize(spec)
    const written = { at: yield* now, by: author?.principal }
    const registration = stored(spec, 1, written, written)
    yield* storage.insertIfAbsent(registration).pipe(
      Effect.catchTag("ConditionFailed", () => Effect.fail(new RegistrationConflict({ id: registration.id })))
    )
    return registration
  })

  const update = Effect.fn("Registry.update")(function* (spec: RegistrationSpec, precondition?: Precondition) {
    yield* checkSize(spec)
    const id = idOf(spec)
    // Written over the version read, so of concurrent writers of one version exactly one wins.
    const replace = (existing: Registration): Guarded<Registration> =>
      Effect.gen(function* () {
        const next = stored(
          spec,
          existing.version + 1,
          { at: existing.createdAt, by: existing.createdBy },
          { at: yield* now, by: precondition?.principal }
        )
        yield* storage.replaceIfVersion(next, existing.version)
        return next
      }).pipe(Effect.catchTag("ConditionFailed", settle(id, precondition, replace)))
    const existing = yield* get(id)
    return yield* Effect.flatMap(atExpectedVersion(existing, precondition), replace)
  })

  const remove = Effect.fn("Registry.remove")(function* (id: RegistrationId, precondition?: Precondition) {
    const removeAt = (version: number): Guarded<void> =>
      storage.deleteIfVersion(id, version).pipe(
        Effect.catchTag("ConditionFailed", settle(id, precondition, (winner) => removeAt(winner.version)))
      )
    // An expected version needs no read, the conditional delete checks it; the owner does.
    const version = precondition?.ownerOnly === true
      ? (yield* Effect.flatMap(get(id), (found) => atExpectedVersion(found, precondition))).version
      : precondition?.ifVersion ?? (yield* get(id)).version
    yield* removeAt(version)
  })

  const list = Effect.fn("Registry.list")(function* (options: ListOptions = {}) {
    const { after, limit } = yield* pageRequest(options)
    // One more than a page tells whether another page exists.
    const items = yield* storage.list({ type: options.type, after, limit: limit + 1 })
    return pageOf(items, options, limit)
  })

  const stamp = Effect.withSpan(storage.stamp, "Registry.stamp")

  return { create, update, get, list, remove, stamp }
}
