/**
 * Pagination shared by every Registry store: the opaque cursor (the last id of the previous
 * page, and the type filter it was issued for) and the page built from up to `limit + 1`
 * items in id order (the extra one says whether another page exists).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { InvalidCursor } from "../domain/errors.js"
import { type Registration, RegistrationType } from "../domain/Registration.js"
import { DEFAULT_PAGE_SIZE, type ListOptions, MAX_PAGE_SIZE, type RegistrationPage } from "../services/Registry.js"
import { cursorCodec } from "../domain/Cursor.js"

const PageCursor = cursorCodec(Schema.Struct({ after: Schema.String, type: Schema.optional(RegistrationType) }))

export interface PageRequest {
  /** Ids greater than this one (undefined: from the start). */
  readonly after: string | undefined
  readonly limit: number
}

/** The page a list call asks for; a forged cursor, or one issued for another type, fails. */
export const pageRequest = (options: ListOptions): Effect.Effect<PageRequest, InvalidCursor> => {
  const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
  if (options.cursor === undefined) return Effect.succeed({ after: undefined, limit })
  const cursor = PageCursor.decode(options.cursor)
  if (Option.isNone(cursor) || cursor.value.type !== options.type) {
    return Effect.fail(new InvalidCursor({ cursor: options.cursor }))
  }
  return Effect.succeed({ after: cursor.value.after, limit })
}

/** A page from items in id order, of which there may be one more than `limit`. */
export const pageOf = (items: ReadonlyArray<Registration>, options: ListOptions, limit: number): RegistrationPage => {
  const page = items.slice(0, limit)
  const last = page.at(-1)
  const nextCursor = items.length > limit && last !== undefined
    ? PageCursor.encode({ after: last.id, ...(options.type === undefined ? {} : { type: options.type }) })
    : undefined
  return { items: page, nextCursor }
}
