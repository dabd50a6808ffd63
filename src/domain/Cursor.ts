/** Opaque pagination cursors: base64url JSON, decoded with a schema so a forged one is rejected. */
import { Either, Option, Schema } from "effect"
import { decodeUnknownEither } from "./Decode.js"

export const encodeCursor = <A, I>(schema: Schema.Schema<A, I>, value: A): string =>
  Buffer.from(JSON.stringify(Schema.encodeSync(schema)(value)), "utf8").toString("base64url")

export const decodeCursor = <A, I>(schema: Schema.Schema<A, I>, cursor: string): Option.Option<A> => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return Option.none()
  return Either.getRight(
    decodeUnknownEither(Schema.parseJson(schema))(Buffer.from(cursor, "base64url").toString("utf8"))
  )
}
