/** Opaque pagination cursors: base64url JSON, decoded with a schema so a forged one is rejected. */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { decodeUnknownEither, onFirstUse } from "./Decode.js"

export interface CursorCodec<A> {
  readonly encode: (value: A) => string
  /** None for anything that is not a cursor of this kind. */
  readonly decode: (cursor: string) => Option.Option<A>
}

/** Cursors of `schema`; built once (its JSON decoder is compiled then, not per page). */
export const cursorCodec = <A, I>(schema: Schema.Schema<A, I>): CursorCodec<A> => {
  const encode = onFirstUse(() => Schema.encodeSync(schema))
  const decode = decodeUnknownEither(Schema.parseJson(schema))
  return {
    encode: (value) => Buffer.from(JSON.stringify(encode(value)), "utf8").toString("base64url"),
    decode: (cursor) =>
      /^[A-Za-z0-9_-]+$/.test(cursor) ? Either.getRight(decode(Buffer.from(cursor, "base64url").toString("utf8"))) : Option.none()
  }
}
