/**
 * How an outbox message is kept in DynamoDB items: as JSON text up to `INLINE_BYTES`, gzipped
 * beyond it, and a gzipped message still larger in parts of that size under keys of its own
 * (`blob#<seq>#<n>`, outside the range the outbox Query reads), written before the message's
 * item. DynamoDB's item limit is 400 KB; the rest of an item is small.
 */
import { gunzipSync, gzipSync } from "node:zlib"
import * as Effect from "effect/Effect"
import { StoreError } from "../domain/errors.js"
import type { JsonRpcMessage } from "../domain/JsonRpc.js"
import { SKIPPED } from "../services/SessionStore.js"

const INLINE_BYTES = 300 * 1024
const PART_PREFIX = "blob#"

/** The key prefix of a message's parts. */
export const partPrefix = (seq: number) => `${PART_PREFIX}${String(seq).padStart(12, "0")}#`

export const partKey = (seq: number, index: number) => `${partPrefix(seq)}${String(index).padStart(4, "0")}`

/** The message item's body attributes, and the parts to write before it. */
export const encodeBody = (message: JsonRpcMessage): { head: Record<string, unknown>; parts: ReadonlyArray<Uint8Array> } => {
  const text = JSON.stringify(message)
  if (Buffer.byteLength(text) <= INLINE_BYTES) return { head: { message: text }, parts: [] }
  const packed = gzipSync(text)
  // Stryker disable next-line EqualityOperator: a gzip of exactly INLINE_BYTES fits either way, and reads back the same
  if (packed.length <= INLINE_BYTES) return { head: { messageGz: packed }, parts: [] }
  const parts: Array<Uint8Array> = []
  // Stryker disable next-line EqualityOperator: `<=` adds an empty last part only at an exact multiple; it reads back the same
  for (let offset = 0; offset < packed.length; offset += INLINE_BYTES) parts.push(packed.subarray(offset, offset + INLINE_BYTES))
  return { head: { parts: parts.length }, parts }
}

/**
 * A message item's message: `SKIPPED` for a number given up, inline, compressed, or in parts
 * (read with `readParts`, in key order).
 */
export const decodeBody = <E>(
  raw: Record<string, unknown>,
  readParts: (prefix: string) => Effect.Effect<ReadonlyArray<Uint8Array>, E>
): Effect.Effect<unknown, E | StoreError> =>
  Effect.gen(function* () {
    if (raw["skipped"] === true) return SKIPPED
    if (typeof raw["message"] === "string") return JSON.parse(raw["message"]) as unknown
    if (raw["messageGz"] instanceof Uint8Array) return JSON.parse(gunzipSync(raw["messageGz"]).toString("utf8")) as unknown
    const count = Number(raw["parts"])
    const seq = Number(raw["seq"])
    const parts = yield* readParts(partPrefix(seq))
    if (parts.length !== count) {
      return yield* new StoreError({
        operation: "SessionStore.readAfter",
        cause: new Error(`message ${seq} has ${parts.length} of ${count} parts`)
      })
    }
    return JSON.parse(gunzipSync(Buffer.concat(parts)).toString("utf8")) as unknown
  })
