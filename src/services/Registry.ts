/** The registry of tools, resources and prompts. */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type {
  InvalidCursor,
  RegistrationConflict,
  RegistrationForbidden,
  RegistrationNotFound,
  RegistrationTooLarge,
  RegistrationVersionMismatch,
  StoreError
} from "../domain/errors.js"
import type { Registration, RegistrationId, RegistrationSpec, RegistrationType } from "../domain/Registration.js"

export interface ListOptions {
  /** Only registrations of this type. */
  readonly type?: RegistrationType | undefined
  /** An opaque cursor from a previous page. */
  readonly cursor?: string | undefined
  /** Page size (the store may return fewer). */
  readonly limit?: number | undefined
}

export interface RegistrationPage {
  /** In id order. */
  readonly items: ReadonlyArray<Registration>
  readonly nextCursor: string | undefined
}

export interface Author {
  /** Who writes: recorded as `createdBy` / `updatedBy`. */
  readonly principal?: string | undefined
}

export interface Precondition extends Author {
  /** Apply only when the stored version is this one (optimistic concurrency). */
  readonly ifVersion?: number | undefined
  /**
   * Apply only when `principal` created the registration (or no creator is recorded);
   * otherwise `RegistrationForbidden`.
   */
  readonly ownerOnly?: boolean | undefined
}

export interface RegistryShape {
  /** Stores a new registration at version 1; fails when its id is taken. */
  readonly create: (
    spec: RegistrationSpec,
    author?: Author
  ) => Effect.Effect<Registration, RegistrationConflict | RegistrationTooLarge | StoreError>
  /** Replaces an existing registration (id from the spec) and increments its version. */
  readonly update: (
    spec: RegistrationSpec,
    precondition?: Precondition
  ) => Effect.Effect<
    Registration,
    RegistrationNotFound | RegistrationVersionMismatch | RegistrationForbidden | RegistrationTooLarge | StoreError
  >
  readonly get: (id: RegistrationId) => Effect.Effect<Registration, RegistrationNotFound | StoreError>
  readonly list: (options?: ListOptions) => Effect.Effect<RegistrationPage, InvalidCursor | StoreError>
  readonly remove: (
    id: RegistrationId,
    precondition?: Precondition
  ) => Effect.Effect<void, RegistrationNotFound | RegistrationVersionMismatch | RegistrationForbidden | StoreError>
  /** Changes whenever any registration changes: a cheap check for caches and list_changed. */
  readonly stamp: Effect.Effect<string, StoreError>
}

export class Registry extends Context.Tag("mcp-lambda-sam/Registry")<Registry, RegistryShape>() {}

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 500

/** Every registration of a type, page by page (for catalogs and change detection). */
export const listAll = (registry: RegistryShape, type?: RegistrationType) =>
  Effect.gen(function* () {
    const items: Array<Registration> = []
    let cursor: string | undefined
    do {
      // A cursor the store just issued is valid; failing to accept it is a store defect.
      const page = yield* registry.list({ type, cursor, limit: MAX_PAGE_SIZE }).pipe(
        Effect.catchTag("InvalidCursor", (error) => Effect.die(error))
      )
      items.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return items as ReadonlyArray<Registration>
  })
