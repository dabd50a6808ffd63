/** Reading request bodies with a size limit, the same way on Node and on Lambda. */
import type { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Data, Effect, Either, Stream } from "effect"
import { problem } from "./Problems.js"

class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly limit: number }> {}
class BodyUnreadable extends Data.TaggedError("BodyUnreadable")<{ readonly cause: unknown }> {}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

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
 * A JSON request body, or the response that refuses it: 415 when it is not declared JSON,
 * 413 over `limit`, 400 when unreadable, and `notJson` (each API words it its own way) when
 * it does not parse.
 */
export const readJsonBody = (
  request: HttpServerRequest.HttpServerRequest,
  limit: number,
  notJson: HttpServerResponse.HttpServerResponse
): Effect.Effect<unknown, HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function* () {
    if (!isJsonContentType(request)) {
      return yield* Effect.fail(problem(415, "UnsupportedMediaType", "Content-Type must be application/json"))
    }
    const text = yield* readText(request, limit).pipe(
      Effect.catchTags({
        BodyTooLarge: (error) => Effect.fail(problem(413, "PayloadTooLarge", `The body is larger than ${error.limit} bytes`)),
        BodyUnreadable: () => Effect.fail(problem(400, "BadRequest", "The body could not be read"))
      })
    )
    const parsed = Either.try(() => JSON.parse(text) as unknown)
    if (Either.isLeft(parsed)) return yield* Effect.fail(notJson)
    return parsed.right
  })
