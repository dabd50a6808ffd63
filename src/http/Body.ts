/** Reading request bodies with a size limit, the same way on Node and on Lambda. */
import { Readable } from "node:stream"
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

/**
 * Marks a request whose whole body is already in memory (a Function URL event's): its bytes, or
 * `undefined` when the request has none. Read without a stream.
 */
export const InMemoryBody: unique symbol = Symbol.for("mcp-lambda-sam/InMemoryBody")

export interface InMemoryBodyRequest {
  readonly [InMemoryBody]: Uint8Array | undefined
}

const ignore = () => {}

/**
 * A Node request's body, read from the socket's stream in one effect. (Through `request.stream`
 * each chunk is several steps of Effect's stream machinery: about a third of `dev`'s work for a
 * small `tools/call`.) Over `limit`, the rest is let through unkept: Node discards it while the
 * 413 goes out (destroying the request would reset the connection, and the client would see no
 * answer at all). A failed or abandoned read (the client went away) destroys the stream.
 */
const readNodeBody = (readable: Readable, limit: number) =>
  Effect.async<Buffer, BodyTooLarge | BodyUnreadable>((resume) => {
    // As the platform's stream: a request whose body has ended (or never had one) reads as empty.
    if (!readable.readable) return resume(Effect.succeed(Buffer.alloc(0)))
    const chunks: Array<Buffer> = []
    let size = 0
    const detach = () => {
      readable.off("data", onData)
      readable.off("end", onEnd)
      readable.off("error", onError)
    }
    const stop = () => {
      detach()
      readable.destroy()
    }
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk
      size += bytes.length
      if (size <= limit) return void chunks.push(bytes)
      detach()
      chunks.length = 0
      // The rest flows to nowhere; an error in it (the client giving up) has nobody left to tell.
      readable.on("error", ignore)
      readable.resume()
      resume(Effect.fail(new BodyTooLarge({ limit })))
    }
    const onEnd = () => {
      detach()
      resume(Effect.succeed(Buffer.concat(chunks, size)))
    }
    const onError = (cause: unknown) => {
      stop()
      resume(Effect.fail(new BodyUnreadable({ cause })))
    }
    readable.on("data", onData)
    readable.on("end", onEnd)
    readable.on("error", onError)
    // A stream someone paused does not flow by a "data" listener alone.
    readable.resume()
    // Interrupted (the client went away): stop reading.
    return Effect.sync(stop)
  })

/** Any other request (a web `Request`'s): its body stream, counted chunk by chunk. */
const readStreamedBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  request.stream.pipe(
    Stream.mapError((cause) => new BodyUnreadable({ cause })),
    Stream.runFoldEffect({ chunks: [] as Array<Uint8Array>, size: 0 }, (acc, chunk) => {
      const size = acc.size + chunk.length
      if (size > limit) return Effect.fail(new BodyTooLarge({ limit }))
      acc.chunks.push(chunk)
      return Effect.succeed({ chunks: acc.chunks, size })
    }),
    Effect.map(({ chunks }) => Buffer.concat(chunks))
  )

const readBytes = (request: HttpServerRequest.HttpServerRequest, limit: number): Effect.Effect<Uint8Array, BodyTooLarge | BodyUnreadable> => {
  const declared = Number(request.headers["content-length"])
  if (Number.isFinite(declared) && declared > limit) return Effect.fail(new BodyTooLarge({ limit }))
  if (InMemoryBody in request) {
    const bytes = (request as unknown as InMemoryBodyRequest)[InMemoryBody]
    // As a stream of it would: no body at all is unreadable.
    // Stryker disable next-line StringLiteral: the cause is never shown (the refusal is a 400 saying the body could not be read)
    if (bytes === undefined) return Effect.fail(new BodyUnreadable({ cause: "the request has no body" }))
    return bytes.length > limit ? Effect.fail(new BodyTooLarge({ limit })) : Effect.succeed(bytes)
  }
  return request.source instanceof Readable ? readNodeBody(request.source, limit) : readStreamedBody(request, limit)
}

const readText = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Effect.map(readBytes(request, limit), (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"))

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
