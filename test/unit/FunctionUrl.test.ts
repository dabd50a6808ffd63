/**
 * The Function URL adapter off Lambda: events are decoded (a malformed one is answered 400 in
 * both invoke modes) into the platform's request, and `writeResponse` copies a reply's body to a
 * stub of the runtime's response stream, a `Writable` that records what it is given.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import type { HttpServerRequest } from "@effect/platform"
import { Context, Effect, Exit, FastCheck as fc, Stream } from "effect"
import { Writable } from "node:stream"
import { setImmediate } from "node:timers/promises"
import {
  ANONYMOUS,
  type AwsLambdaGlobal,
  bufferedHandler,
  type ResponseStreamMetadata,
  streamingHandler,
  writeResponse
} from "../../src/http/FunctionUrl.js"
import type { AppRunner, Reply } from "../../src/http/LambdaExchange.js"
import { Caller, InvocationDeadline } from "../../src/http/HostContext.js"

const ALICE = "arn:aws:iam::123456789012:user/alice"
const lambdaContext = { getRemainingTimeInMillis: () => 42_000 }

/** A Lambda response stream: records the metadata of the first write and every chunk after it. */
const fakeLambda = () => {
  const chunks: Array<string> = []
  const recorded: { metadata?: ResponseStreamMetadata } = {}
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString("utf8"))
      callback()
    }
  })
  const lambda: AwsLambdaGlobal = {
    // As the runtime does, the handler is called with (event, responseStream, context).
    streamifyResponse: (handler) => handler,
    HttpResponseStream: {
      from: (target, metadata) => {
        recorded.metadata = metadata
        return target
      }
    }
  }
  return { chunks, recorded, stream, lambda }
}

/** A web body the test feeds by hand, remembering whether it was cancelled. */
const manualBody = () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const state = { cancelled: false }
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c
    },
    cancel: () => {
      state.cancelled = true
    }
  })
  return {
    body,
    state,
    push: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    close: () => controller.close()
  }
}

const event = (overrides: Record<string, unknown> = {}) => ({
  version: "2.0",
  rawPath: "/mcp/tools",
  rawQueryString: "a=1&b=two",
  headers: { "content-type": "application/json", "x-custom": "yes" },
  body: "{\"hello\":\"world\"}",
  isBase64Encoded: false,
  requestContext: {
    domainName: "abc.lambda-url.eu-west-1.on.aws",
    http: { method: "post" },
    authorizer: { iam: { userArn: ALICE, accountId: "123456789012" } }
  },
  ...overrides
})

/** An app that keeps what it was called with. */
const recordingApp = () => {
  const calls: Array<{ request: HttpServerRequest.HttpServerRequest; services: Context.Context<never> | undefined }> = []
  const run: AppRunner = async (request, services) => {
    calls.push({ request, services })
    return { status: 200, headers: { "content-type": "text/plain" }, cookies: [], body: Buffer.from("ok") }
  }
  return { calls, run }
}

/** A reply with `body`, as the apps' responses become. */
const reply = (body: Reply["body"], status = 200, headers: Record<string, string> = {}, cookies: ReadonlyArray<string> = []): Reply => ({
  status,
  headers,
  cookies,
  body
})

const MALFORMED: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ["not an object", null, /event: Expected FunctionUrlEvent, actual null/],
  ["no rawPath", { requestContext: { http: { method: "GET" } } }, /rawPath: is missing/],
  ["no method", { rawPath: "/", requestContext: { http: {} } }, /requestContext\.http\.method: is missing/],
  ["a path that would name another host", event({ rawPath: "@evil.example/" }), /rawPath: Expected a string starting with "\/"/],
  ["a header that is not a string", event({ headers: { "x-n": 1 } }), /headers\.x-n: Expected string, actual 1/],
  ["another payload format", event({ version: "1.0" }), /version: Expected "2\.0", actual "1\.0"/],
  ["a method a Request refuses", event({ requestContext: { http: { method: "GE T" } } }), /not a valid request/],
  ["a method HTTP servers must not serve", event({ requestContext: { http: { method: "TRACE" } } }), /not a valid request/],
  ["a header value HTTP forbids", event({ headers: { "x-split": "a\r\nx-injected: 1" } }), /not a valid request/],
  ["a header name HTTP forbids", event({ headers: { "x bad": "1" } }), /not a valid request/]
]

describe("FunctionUrl", () => {
  let errors: Array<string>
  beforeEach(() => {
    errors = []
    vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => {
      errors.push(args.map(String).join(" "))
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  describe("a malformed event", () => {
    for (const [name, malformed, reason] of MALFORMED) {
      it(`is answered 400 in BUFFERED mode: ${name}`, async () => {
        const app = recordingApp()
        const result = await bufferedHandler(app.run)(malformed, lambdaContext)
        expect(result.statusCode).toBe(400)
        expect(result.headers["content-type"]).toMatch(/^application\/json/)
        expect(result.isBase64Encoded).toBe(false)
        const body = JSON.parse(result.body) as { error: string; message: string }
        expect(body.error).toBe("BadRequest")
        expect(body.message).toMatch(reason)
        expect(app.calls).toHaveLength(0)
        expect(errors).toHaveLength(1)
        expect(errors[0]).not.toContain("\n")
        expect(errors[0]).toContain(JSON.stringify(body.message).slice(1, -1))
      })
    }

    it("is answered 400 in RESPONSE_STREAM mode, through HttpResponseStream.from", async () => {
      const fake = fakeLambda()
      const saved = Object.getOwnPropertyDescriptor(globalThis, "awslambda")
      Object.assign(globalThis, { awslambda: fake.lambda })
      try {
        const app = recordingApp()
        const handler = streamingHandler(app.run) as (event: unknown, stream: Writable, context: unknown) => Promise<void>
        await handler({ rawPath: "/sse" }, fake.stream, lambdaContext)
        expect(fake.recorded.metadata?.statusCode).toBe(400)
        expect(fake.recorded.metadata?.headers["content-type"]).toMatch(/^application\/json/)
        expect(JSON.parse(fake.chunks.join(""))).toEqual({ error: "BadRequest", message: "requestContext: is missing" })
        expect(fake.stream.writableFinished).toBe(true)
        expect(app.calls).toHaveLength(0)
        expect(errors).toHaveLength(1)
      } finally {
        if (saved === undefined) delete (globalThis as { awslambda?: unknown }).awslambda
        else Object.defineProperty(globalThis, "awslambda", saved)
      }
    })
  })

  describe("a valid event", () => {
    const adapt = async (input: unknown) => {
      const app = recordingApp()
      const result = await bufferedHandler(app.run)(input, lambdaContext)
      expect(result).toMatchObject({ statusCode: 200, body: "ok" })
      expect(app.calls).toHaveLength(1)
      return app.calls[0]!
    }

    it("becomes a request with its method, URL, headers and body; extra fields are ignored", async () => {
      const { request } = await adapt(event({
        routeKey: "$default",
        headers: { "Content-Type": "application/json", "x-custom": " yes\t" },
        requestContext: { ...event().requestContext, stage: "$default" }
      }))
      expect(request.method).toBe("POST")
      expect(request.originalUrl).toBe("https://abc.lambda-url.eu-west-1.on.aws/mcp/tools?a=1&b=two")
      expect(request.url).toBe("/mcp/tools?a=1&b=two")
      // Names lower-cased and values trimmed, as web `Headers` has them.
      expect(request.headers).toEqual({ "content-type": "application/json", "x-custom": "yes" })
      expect(await Effect.runPromise(request.text)).toBe("{\"hello\":\"world\"}")
      expect(await Effect.runPromise(request.json)).toEqual({ hello: "world" })
      const streamed = await Effect.runPromise(Stream.runCollect(request.stream))
      expect(Buffer.concat([...streamed]).toString("utf8")).toBe("{\"hello\":\"world\"}")
      expect(errors).toEqual([])
    })

    it("decodes a base64 body and joins cookies", async () => {
      const bytes = Buffer.from([0, 1, 2, 254, 255])
      const { request } = await adapt(event({ body: bytes.toString("base64"), isBase64Encoded: true, cookies: ["a=1", "b=2"] }))
      expect(Buffer.from(await Effect.runPromise(request.arrayBuffer))).toEqual(bytes)
      expect(request.headers["cookie"]).toBe("a=1; b=2")
      expect(request.cookies).toEqual({ a: "1", b: "2" })
    })

    it("has no body for GET, and the host header stands in for a missing domain name", async () => {
      const { request } = await adapt({
        rawPath: "/sse",
        headers: { host: "localhost:9000" },
        body: "ignored",
        requestContext: { http: { method: "GET" } }
      })
      expect(request.originalUrl).toBe("https://localhost:9000/sse")
      const twice = await adapt({ rawPath: "/", headers: { Host: "first:1", host: "second:2" }, requestContext: { http: { method: "GET" } } })
      // The last one, as the request's own host header is.
      expect(twice.request.originalUrl).toBe("https://second:2/")
      expect(twice.request.headers["host"]).toBe("second:2")
      expect(await Effect.runPromise(request.text)).toBe("")
      expect(Exit.isFailure(await Effect.runPromiseExit(Stream.runCollect(request.stream)))).toBe(true)
    })

    it("carries the caller's IAM identity and the invocation deadline", async () => {
      const { services } = await adapt(event())
      expect(Context.unsafeGet(services!, Caller)).toEqual({ principal: ALICE, accountId: "123456789012" })
      expect(Context.unsafeGet(services!, InvocationDeadline).remainingMillis()).toBe(42_000)
    })

    it("without an IAM authorizer, the caller is anonymous", async () => {
      const { services } = await adapt(event({ requestContext: { http: { method: "GET" } } }))
      expect(Context.unsafeGet(services!, Caller)).toEqual({ principal: ANONYMOUS })
    })
  })

  it("answers any event 200 (the app ran) or 400 (it did not), and never throws", async () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("", " ", "\r\n", "\u0000", "é", "\u0100", "a\u0001b"))
    const events = fc.record({
      version: fc.option(fc.constantFrom("2.0", "1.0"), { nil: undefined }),
      rawPath: fc.oneof(fc.constant("/mcp"), text.map((path) => `/${path}`), text),
      rawQueryString: fc.option(text, { nil: undefined }),
      headers: fc.option(fc.dictionary(fc.oneof(text, fc.constantFrom("host", "Host", "cookie", "content-type")), text, { maxKeys: 4 }), { nil: undefined }),
      cookies: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
      body: fc.option(text, { nil: undefined }),
      isBase64Encoded: fc.option(fc.boolean(), { nil: undefined }),
      requestContext: fc.record({
        domainName: fc.option(fc.oneof(text, fc.constant("abc.lambda-url.eu-west-1.on.aws")), { nil: undefined }),
        http: fc.record({ method: fc.oneof(fc.constantFrom("GET", "post", "HEAD", "DELETE", "TRACE", "CONNECT", ""), text) })
      })
    })
    await fc.assert(
      fc.asyncProperty(events, async (input) => {
        const app = recordingApp()
        const result = await bufferedHandler(app.run)(input, lambdaContext)
        expect(result.statusCode === 200 ? app.calls.length : result.statusCode).toBe(result.statusCode === 200 ? 1 : 400)
        if (result.statusCode === 200) {
          const { request } = app.calls[0]!
          // What the app sees is well formed: a path, lower-case header names, text it can read.
          expect(request.url.startsWith("/")).toBe(true)
          for (const name of Object.keys(request.headers)) expect(name).toBe(name.toLowerCase())
          await Effect.runPromise(request.text)
        }
      }),
      { numRuns: 400 }
    )
  })

  describe("writeResponse", () => {
    it("fixes status and headers first, then passes each chunk on as it comes", async () => {
      const fake = fakeLambda()
      const source = manualBody()
      const written = writeResponse(reply(source.body, 201, { "content-type": "text/event-stream" }, ["a=1", "b=2"]), fake.stream, fake.lambda)
      expect(fake.recorded.metadata).toEqual({
        statusCode: 201,
        headers: { "content-type": "text/event-stream" },
        cookies: ["a=1", "b=2"]
      })
      source.push("data: one\n\n")
      await vi.waitFor(() => expect(fake.chunks).toEqual(["data: one\n\n"]))
      source.push("data: two\n\n")
      await vi.waitFor(() => expect(fake.chunks).toEqual(["data: one\n\n", "data: two\n\n"]))
      expect(fake.stream.writableEnded).toBe(false)
      source.close()
      await written
      expect(fake.stream.writableFinished).toBe(true)
    })

    it("cancels the body when the client goes away, and ends quietly", async () => {
      const fake = fakeLambda()
      const source = manualBody()
      const written = writeResponse(reply(source.body), fake.stream, fake.lambda)
      source.push("data: one\n\n")
      await vi.waitFor(() => expect(fake.chunks).toHaveLength(1))
      fake.stream.destroy()
      await expect(written).resolves.toBeUndefined()
      expect(source.state.cancelled).toBe(true)
    })

    it("cancels the body when the stream fails, and ends quietly", async () => {
      const fake = fakeLambda()
      const source = manualBody()
      const written = writeResponse(reply(source.body), fake.stream, fake.lambda)
      fake.stream.destroy(new Error("the connection was reset"))
      await expect(written).resolves.toBeUndefined()
      expect(source.state.cancelled).toBe(true)
    })

    it("does not hang on a stream that is already destroyed", async () => {
      const fake = fakeLambda()
      fake.stream.destroy()
      await setImmediate()
      const source = manualBody()
      await expect(writeResponse(reply(source.body), fake.stream, fake.lambda)).resolves.toBeUndefined()
      expect(source.state.cancelled).toBe(true)
      await expect(writeResponse(reply(undefined, 204), fake.stream, fake.lambda)).resolves.toBeUndefined()
    })

    it("just ends the stream when the response has no body", async () => {
      const fake = fakeLambda()
      await writeResponse(reply(undefined, 204), fake.stream, fake.lambda)
      expect(fake.recorded.metadata?.statusCode).toBe(204)
      expect(fake.chunks).toEqual([])
      expect(fake.stream.writableFinished).toBe(true)
    })

    it("rethrows a failure of the body itself", async () => {
      const fake = fakeLambda()
      const failing = new ReadableStream<Uint8Array>({
        start: (controller) => controller.error(new Error("the app failed"))
      })
      await expect(writeResponse(reply(failing), fake.stream, fake.lambda)).rejects.toThrow("the app failed")
    })
  })
})
