/** Reading request bodies with a size limit, the same way on Node and on Lambda. */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { HttpProblem, type RpcHttpError } from "./Errors.js"

class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly limit: number }> {}
class BodyUnreadable extends Data.TaggedError("BodyUnreadable")<{ readonly cause: unknown }> {}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * How deeply a body's arrays and objects may nest. Decoding, validating and storing walk
 * values recursively; far deeper input would overflow the stack there (a defect, or a store
 * "outage") instead of being refused here. Above the registered-schema limit, so a schema at that
 * limit still fits in a registration body.
 */
export const MAX_JSON_DEPTH = 100

/** The deepest nesting of arrays and objects in JSON text, counted without parsing (strings skipped). */
export const jsonDepth = (text: string): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index)
    if (inString) {
      if (char === 0x5c) index++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) {
      inString = true
    } else if (char === 0x7b || char === 0x5b) {
      depth++
      if (depth > deepest) deepest = depth
    } else if (char === 0x7d || char === 0x5d) {
      depth--
    }
  }
  return deepest
}

const readText = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Effect.gen(function* () {
    const declared = Number(request.headers["content-length"])
    if (Number.isFinite(declared) && declared > limit) return yield* new BodyTooLarge({ limit })
    const { chunks } = yield* request.stream.pipe(
      Stream.mapError((cause) => new BodyUnreadable({ cause })),
      Stream.runFoldEffect({ chunks: [] as Array<Uint8Array>, size: 0 }, (acc, chunk) => {
        const size = acc.size + chunk.length
        if (size > limit) return Effect.fail(new BodyTooLarge({ limit }))
        acc.chunks.push(chunk)
        return Effect.succeed({ chunks: acc.chunks, size })
      })
    )
    return Buffer.concat(chunks).toString("utf8")
  })

/** `application/json`, with or without parameters such as charset. */
const isJsonContentType = (request: HttpServerRequest.HttpServerRequest) => {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase()
  return type === "application/json"
}

/**
 * A JSON request body, or the error that refuses it: 415 when it is not declared JSON,
 * 413 over `limit`, 400 when unreadable or nested deeper than `MAX_JSON_DEPTH`, and `notJson`
 * (each API words it its own way) when it does not parse.
 */
export const readJsonBody = <E extends HttpProblem | RpcHttpError>(
  request: HttpServerRequest.HttpServerRequest,
  limit: number,
  notJson: E
): Effect.Effect<unknown, HttpProblem | E> =>
  Effect.gen(function* () {
    if (!isJsonContentType(request)) {
      return yield* new HttpProblem({ status: 415, error: "UnsupportedMediaType", message: "Content-Type must be application/json" })
    }
    const text = yield* readText(request, limit).pipe(
      Effect.catchTags({
        BodyTooLarge: (error) =>
          new HttpProblem({ status: 413, error: "PayloadTooLarge", message: `The body is larger than ${error.limit} bytes` }),
        BodyUnreadable: () => new HttpProblem({ status: 400, error: "BadRequest", message: "The body could not be read" })
      })
    )
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      return yield* new HttpProblem({
        status: 400,
        error: "TooDeep",
        message: `The body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`
      })
    }
    const parsed = Either.try(() => JSON.parse(text) as unknown)
    if (Either.isLeft(parsed)) return yield* Effect.fail(notJson)
    return parsed.right
  })
