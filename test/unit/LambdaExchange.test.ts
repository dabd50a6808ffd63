/**
 * The apps over a Function URL event without web `Request`/`Response` (`LambdaExchange.ts`):
 * the platform's request made from the parts of an event, the app run with the runtime's and
 * the request's services, its response turned into a reply (bytes, or a stream read on demand).
 */
import { Cookies, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Context, Effect, Runtime, Stream } from "effect"
import { describe, expect, it, vi } from "vitest"
import { appRunner, type Reply, replyOf, serverRequest } from "../../src/http/LambdaExchange.js"

class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}
class Caller extends Context.Tag("test/Caller")<Caller, string>() {}

const request = (method = "POST", body: string | undefined = "{\"a\":1}") =>
  serverRequest({ method, host: "fn.example", pathAndQuery: "/mcp?x=1", headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : Buffer.from(body) })

const text = async (reply: Reply) => {
  if (reply.body === undefined) return ""
  if (reply.body instanceof Uint8Array) return Buffer.from(reply.body).toString("utf8")
  let all = ""
  for await (const chunk of reply.body as unknown as AsyncIterable<Uint8Array>) all += Buffer.from(chunk).toString("utf8")
  return all
}

describe("serverRequest", () => {
  it("refuses what a web Request refuses", () => {
    expect(() => request("GE T")).toThrow(TypeError)
    expect(() => request("CONNECT")).toThrow(TypeError)
    expect(() => serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/", headers: { "x-a": "1\n2" }, body: undefined })).toThrow()
    expect(() => serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/", headers: { "x a": "1" }, body: undefined })).toThrow()
    expect(() => serverRequest({ method: "GET", host: "[nope", pathAndQuery: "/", headers: {}, body: undefined })).toThrow()
    expect(() => serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/", headers: { "x-a": "a\u0000b" }, body: undefined })).toThrow(TypeError)
    expect(() => serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/", headers: { "x-a": "\u0100" }, body: undefined })).toThrow(TypeError)
    // Other control characters and Latin-1 pass, as web `Headers` lets them.
    expect(serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/", headers: { "x-a": "a\u0001b\u00e9" }, body: undefined }).headers["x-a"]).toBe("a\u0001b\u00e9")
  })

  it("keeps the path and query as the URL, the whole URL as the original, and a modified copy its body", async () => {
    const made = request("post")
    expect(made.method).toBe("POST")
    expect(made.url).toBe("/mcp?x=1")
    expect(made.originalUrl).toBe("https://fn.example/mcp?x=1")
    const moved = made.modify({ url: "/elsewhere", remoteAddress: "10.0.0.1" })
    expect(moved.url).toBe("/elsewhere")
    expect(moved.remoteAddress._tag).toBe("Some")
    expect(await Effect.runPromise(moved.json)).toEqual({ a: 1 })
    expect(await Effect.runPromiseExit(request("POST", "{").json)).toMatchObject({ _tag: "Failure" })
  })
})

describe("replyOf", () => {
  const runtime = Runtime.defaultRuntime

  it("sends bytes, cookies apart from the headers, and no body to HEAD", async () => {
    const response = HttpServerResponse.text("hello", { status: 201, cookies: Cookies.fromIterable([Cookies.unsafeMakeCookie("a", "1")]) })
    const sent = replyOf(response, runtime, false)
    expect(sent.status).toBe(201)
    expect(sent.headers["content-type"]).toMatch(/^text\/plain/)
    expect(sent.headers["set-cookie"]).toBeUndefined()
    expect(sent.cookies).toEqual(["a=1"])
    expect(await text(sent)).toBe("hello")
    expect(replyOf(response, runtime, true).body).toBeUndefined()
    expect(replyOf(HttpServerResponse.empty({ status: 204 }), runtime, false).body).toBeUndefined()
  })

  it("reads a stream body as it is consumed", async () => {
    const response = HttpServerResponse.stream(Stream.make("one ", "two").pipe(Stream.encodeText), { contentType: "text/event-stream" })
    const sent = replyOf(response, runtime, false)
    expect(sent.body).toBeInstanceOf(ReadableStream)
    expect(await text(sent)).toBe("one two")
  })
})

describe("appRunner", () => {
  it("answers HEAD without starting a stream body, and lets the request's scope close; GET reads it, then closes", async () => {
    const seen = { pulled: 0, released: 0 }
    const app = Effect.gen(function* () {
      yield* Effect.acquireRelease(Effect.void, () => Effect.sync(() => void seen.released++))
      const body = Stream.fromEffect(Effect.sync(() => {
        seen.pulled++
        return "data: x\n\n"
      })).pipe(Stream.encodeText)
      return HttpServerResponse.stream(body, { contentType: "text/event-stream" })
    })
    const run = appRunner(Runtime.defaultRuntime, app)
    const head = await run(serverRequest({ method: "HEAD", host: "fn.example", pathAndQuery: "/sse", headers: {}, body: undefined }))
    expect(head.body).toBeUndefined()
    expect(head.headers["content-type"]).toBe("text/event-stream")
    await vi.waitFor(() => expect(seen.released).toBe(1))
    expect(seen.pulled).toBe(0)
    const get = await run(serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/sse", headers: {}, body: undefined }))
    expect(seen.released).toBe(1)
    expect(await text(get)).toBe("data: x\n\n")
    expect(seen.pulled).toBe(1)
    await vi.waitFor(() => expect(seen.released).toBe(2))
  })

  it("runs the app with the runtime's services, the request's own and the request; a failure is a 500", async () => {
    const runtime = Runtime.make({ context: Context.make(Greeting, "hello"), fiberRefs: Runtime.defaultRuntime.fiberRefs, runtimeFlags: Runtime.defaultRuntime.runtimeFlags })
    const app = Effect.gen(function* () {
      const served = yield* HttpServerRequest.HttpServerRequest
      if (served.url.startsWith("/fail")) return yield* Effect.die("broken")
      return HttpServerResponse.text(`${yield* Greeting} ${yield* Caller} ${served.method} ${yield* served.text}`)
    })
    // The request brings Caller, as the Function URL adapter does.
    const run = appRunner(runtime as Runtime.Runtime<Greeting | Caller>, app)
    const services = Context.make(Caller, "alice") as Context.Context<never>
    expect(await text(await run(request("POST", "body"), services))).toBe("hello alice POST body")
    const failed = await run(serverRequest({ method: "GET", host: "fn.example", pathAndQuery: "/fail", headers: {}, body: undefined }), services)
    expect(failed.status).toBe(500)
  })
})
