/** Reading request bodies with a size limit, the same way on Node and on Lambda. */
import type { HttpServerRequest } from "@effect/platform"
import { Data, Effect, Either, Stream } from "effect"
import { HttpProblem, type RpcHttpError } from "./Errors.js"

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
 * A JSON request body, or the error that refuses it: 415 when it is not declared JSON,
 * 413 over `limit`, 400 when unreadable, and `notJson` (each API words it its own way) when
 * it does not parse.
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
    const parsed = Either.try(() => JSON.parse(text) as unknown)
    if (Either.isLeft(parsed)) return yield* Effect.fail(notJson)
    return parsed.right
  })
