/**
 * Request bodies with a size limit (`src/http/Body.ts`) on each path: a Node request's socket
 * stream (`dev`), a Function URL event's bytes in memory, and a web request's stream (the
 * fallback). The status and message of each refusal are the same on every path.
 */
import { request as httpRequest } from "node:http"
import { PassThrough, Readable } from "node:stream"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { HttpServerRequest as PlatformRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber } from "effect"
import { InMemoryBody, readJsonBody } from "../../src/http/Body.js"
import { HttpProblem } from "../../src/http/Errors.js"
import { startDevServer } from "../support/servers.js"

const NOT_JSON = new HttpProblem({ status: 400, error: "NotJson", message: "not JSON" })
const JSON_TYPE = { "content-type": "application/json" }

/** The fields `readJsonBody` reads, over a Node stream as `dev`'s requests carry. */
const nodeRequest = (source: Readable, headers: Record<string, string> = JSON_TYPE) =>
  ({ headers, source }) as unknown as HttpServerRequest.HttpServerRequest

const inMemoryRequest = (bytes: Uint8Array | undefined, headers: Record<string, string> = JSON_TYPE) =>
  ({ headers, source: {}, [InMemoryBody]: bytes }) as unknown as HttpServerRequest.HttpServerRequest

const refusal = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Effect.map(Effect.either(readJsonBody(request, limit, NOT_JSON)), (result) =>
    Either.isLeft(result) ? { status: result.left.status, message: result.left.message } : { parsed: result.right })

const chunks = (...parts: ReadonlyArray<string>) => Readable.from(parts.map((part) => Buffer.from(part)))

/** A read under way over a stream the test writes to: the reader is listening when this returns. */
const reading = (limit: number) =>
  Effect.gen(function* () {
    const source = new PassThrough()
    const read = yield* Effect.fork(refusal(nodeRequest(source), limit))
    yield* Effect.yieldNow()
    return { source, read }
  })

const once = (source: Readable, event: "end" | "close") => Effect.promise(() => new Promise((resolve) => source.once(event, resolve)))

describe("a Node request's body", () => {
  it.effect("is read across chunks, with no Content-Length, and nothing of the reader stays on the stream", () =>
    Effect.gen(function* () {
      const source = chunks("{\"a\":", "[1,2", ",3]}")
      expect(yield* refusal(nodeRequest(source), 1024)).toEqual({ parsed: { a: [1, 2, 3] } })
      expect(["data", "end", "error"].map((event) => source.listenerCount(event))).toEqual([0, 0, 0])
    }))

  it.effect("exactly at the limit is read; one byte over is 413 — declared or counted", () =>
    Effect.gen(function* () {
      const body = "{\"a\":\"12\"}" // 10 bytes
      expect(yield* refusal(nodeRequest(chunks(body)), 10)).toEqual({ parsed: { a: "12" } })
      expect(yield* refusal(nodeRequest(chunks(body), { ...JSON_TYPE, "content-length": "10" }), 10)).toEqual({ parsed: { a: "12" } })
      expect(yield* refusal(nodeRequest(chunks(body), { ...JSON_TYPE, "content-length": "10" }), 9)).toEqual({
        status: 413,
        message: "The body is larger than 9 bytes"
      })
      expect(yield* refusal(nodeRequest(chunks(body)), 9)).toEqual({ status: 413, message: "The body is larger than 9 bytes" })
    }))

  it.effect("over the limit with no Content-Length: 413, and the rest is read through unkept (no reset)", () =>
    Effect.gen(function* () {
      const { source, read } = yield* reading(10)
      source.write(Buffer.from("{\"a\":\"1234"))
      source.write(Buffer.from("5678901234\"}"))
      expect(yield* Fiber.join(read)).toEqual({ status: 413, message: "The body is larger than 10 bytes" })
      expect(source.destroyed).toBe(false)
      expect(source.listenerCount("data")).toBe(0)
      expect(source.readableFlowing).toBe(true)
      source.end(Buffer.from("more"))
      yield* once(source, "end")
    }))

  it.effect("a stream someone paused is read all the same", () =>
    Effect.gen(function* () {
      const source = chunks("{\"p\":", "true}")
      source.pause()
      expect(yield* refusal(nodeRequest(source), 1024)).toEqual({ parsed: { p: true } })
    }))

  it.effect("an error in the rest of an over-limit body, after the 413, is no uncaught exception", () =>
    Effect.gen(function* () {
      const { source, read } = yield* reading(4)
      source.write(Buffer.from("{\"a\":1}"))
      expect(yield* Fiber.join(read)).toEqual({ status: 413, message: "The body is larger than 4 bytes" })
      source.destroy(new Error("the client gave up"))
      yield* once(source, "close")
      expect(source.destroyed).toBe(true)
    }))

  it.effect("a declared Content-Length over the limit is refused before anything is read", () =>
    Effect.gen(function* () {
      const source = new PassThrough()
      const result = yield* refusal(nodeRequest(source, { ...JSON_TYPE, "content-length": "11" }), 10)
      expect(result).toEqual({ status: 413, message: "The body is larger than 10 bytes" })
      expect(source.readableFlowing).toBe(null)
    }))

  it.effect("a stream that fails: 400, unreadable", () =>
    Effect.gen(function* () {
      const { source, read } = yield* reading(1024)
      source.write(Buffer.from("{"))
      source.destroy(new Error("socket hang up"))
      expect(yield* Fiber.join(read)).toEqual({ status: 400, message: "The body could not be read" })
    }))

  it.effect("a stream already read to its end reads as empty (not JSON)", () =>
    Effect.gen(function* () {
      const source = chunks("{}")
      source.resume()
      yield* once(source, "end")
      expect(yield* refusal(nodeRequest(source), 1024)).toEqual({ status: 400, message: "not JSON" })
    }))

  it.effect("interrupted while waiting: stops listening and destroys the stream", () =>
    Effect.gen(function* () {
      const { source, read } = yield* reading(1024)
      expect(source.listenerCount("data")).toBe(1)
      yield* Fiber.interrupt(read)
      expect(source.listenerCount("data")).toBe(0)
      expect(source.destroyed).toBe(true)
    }))
})

describe("a body already in memory (a Function URL event's)", () => {
  it.effect("is parsed; over the limit is 413; none at all is 400", () =>
    Effect.gen(function* () {
      expect(yield* refusal(inMemoryRequest(Buffer.from("{\"a\":1}")), 1024)).toEqual({ parsed: { a: 1 } })
      expect(yield* refusal(inMemoryRequest(Buffer.from("{\"a\":\"12345678\"}")), 10)).toEqual({
        status: 413,
        message: "The body is larger than 10 bytes"
      })
      expect(yield* refusal(inMemoryRequest(undefined), 1024)).toEqual({ status: 400, message: "The body could not be read" })
    }))

  it.effect("exactly at the limit is read; one byte over is 413", () =>
    Effect.gen(function* () {
      const body = Buffer.from("{\"a\":\"12\"}") // 10 bytes
      expect(yield* refusal(inMemoryRequest(body), 10)).toEqual({ parsed: { a: "12" } })
      expect(yield* refusal(inMemoryRequest(body), 9)).toEqual({ status: 413, message: "The body is larger than 9 bytes" })
    }))

  it.effect("a view into a larger buffer reads only its own bytes", () =>
    Effect.gen(function* () {
      const backing = Buffer.from("xxxx{\"b\":2}yyyy")
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, 7)
      expect(yield* refusal(inMemoryRequest(view), 1024)).toEqual({ parsed: { b: 2 } })
    }))
})

describe("any other request (a web Request's stream)", () => {
  it.effect("is read as before: parsed, and 413 over the limit", () =>
    Effect.gen(function* () {
      const web = (body: string) =>
        PlatformRequest.fromWeb(new Request("http://localhost/mcp", { method: "POST", headers: JSON_TYPE, body }))
      expect(yield* refusal(web("{\"c\":3}"), 1024)).toEqual({ parsed: { c: 3 } })
      expect(yield* refusal(web("{\"c\":\"12\"}"), 10)).toEqual({ parsed: { c: "12" } })
      expect(yield* refusal(web("{\"c\":\"12345678\"}"), 10)).toEqual({ status: 413, message: "The body is larger than 10 bytes" })
    }))
})

describe("the dev server", () => {
  it("answers 413 to a chunked body over 1 MiB (no Content-Length), and keeps serving", async () => {
    const server = await startDevServer()
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${server.url}/mcp`, {
          method: "POST",
          headers: { ...JSON_TYPE, accept: "application/json, text/event-stream", "transfer-encoding": "chunked" }
        })
        request.on("response", (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        request.on("error", reject)
        const piece = Buffer.alloc(64 * 1024, 0x20)
        let sent = 0
        const pump = () => {
          while (sent < 24) {
            sent++
            if (!request.write(piece)) return void request.once("drain", pump)
          }
          request.end()
        }
        pump()
      })
      expect(status).toBe(413)
      const health = await fetch(`${server.url}/health`)
      expect(health.status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
