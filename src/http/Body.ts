/** Reading request bodies with a size limit, the same way on Node and on Lambda. */
import type { HttpServerRequest } from "@effect/platform"
import { Data, Effect, Stream } from "effect"

export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly limit: number }> {}
export class BodyUnreadable extends Data.TaggedError("BodyUnreadable")<{ readonly cause: unknown }> {}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

export const readText = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
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
export const isJsonContentType = (request: HttpServerRequest.HttpServerRequest) => {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase()
  return type === "application/json"
}
