/**
 * The HTTP apps run over a Function URL event directly: the platform's `HttpServerRequest` made
 * from the event, the app's `HttpServerResponse` turned into what the Lambda handlers send — no
 * web `Request`, `Headers` or `Response` in between. Node builds those from undici, which it
 * loads on first use, and loading it was about 80 M instructions of every cold start
 * (`bench/results.md`, lever 11); Node's `URL` and the same header checks are enough here.
 */
import { validateHeaderName } from "node:http"
import * as Cookies from "@effect/platform/Cookies"
import type * as Headers from "@effect/platform/Headers"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import * as Multipart from "@effect/platform/Multipart"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { InMemoryBody, type InMemoryBodyRequest } from "./Body.js"

/** The request as the Function URL delivered it. */
export interface RequestParts {
  readonly method: string
  /** The host the URL names (the Function URL's domain); without one, the `Host` header's. */
  readonly host: string | undefined
  /** `/path?query`. */
  readonly pathAndQuery: string
  /** Header name (any case) to value; `undefined` values are left out. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array | undefined
}

/** Methods a web `Request` refuses (and a Function URL should never deliver). */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** What web `Headers` refuse in a value: NUL, CR, LF, and anything past one byte. */
const BAD_VALUE = /[\0\r\n]|[^\0-\xff]/

class LambdaServerRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest, InMemoryBodyRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId

  constructor(
    readonly source: RequestParts,
    readonly originalUrl: string,
    readonly url: string,
    readonly method: HttpMethod.HttpMethod,
    readonly headers: Headers.Headers,
    private readonly bytes: Uint8Array | undefined,
    private readonly remote: string | undefined
  ) {
    super()
  }

  toJSON(): unknown {
    return { _id: "@effect/platform/HttpServerRequest", method: this.method, url: this.originalUrl }
  }

  modify(options: { readonly url?: string; readonly headers?: Headers.Headers; readonly remoteAddress?: string }) {
    return new LambdaServerRequest(
      this.source,
      this.originalUrl,
      options.url ?? this.url,
      this.method,
      options.headers ?? this.headers,
      this.bytes,
      options.remoteAddress ?? this.remote
    )
  }

  get [InMemoryBody]() {
    return this.bytes
  }

  get remoteAddress() {
    return Option.fromNullable(this.remote)
  }

  private parsedCookies: Record<string, string> | undefined
  get cookies() {
    return (this.parsedCookies ??= Cookies.parseHeader(this.headers["cookie"] ?? ""))
  }

  private fail(description: string) {
    return new HttpServerError.RequestError({ request: this, reason: "Decode", description })
  }

  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    // As the platform's web request does: a request without a body has no stream.
    return this.bytes === undefined ? Stream.fail(this.fail("can not create stream from empty body")) : Stream.succeed(this.bytes)
  }

  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return Effect.succeed(this.bytes === undefined ? "" : Buffer.from(this.bytes).toString("utf8"))
  }

  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) => new HttpServerError.RequestError({ request: this, reason: "Decode", cause })
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    const bytes = this.bytes ?? new Uint8Array(0)
    return Effect.succeed(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  }

  get multipart(): Effect.Effect<Multipart.Persisted, Multipart.MultipartError> {
    return Effect.fail(new Multipart.MultipartError({ reason: "Parse", cause: new Error("multipart bodies are not read here") }))
  }

  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return Stream.fail(new Multipart.MultipartError({ reason: "Parse", cause: new Error("multipart bodies are not read here") }))
  }

  get upgrade(): Effect.Effect<never, HttpServerError.RequestError> {
    return Effect.fail(this.fail("a Function URL request cannot be upgraded"))
  }
}

/**
 * The platform's request for `parts`. Throws a `TypeError` for what a web `Request` refuses too:
 * a method that is not a token (or CONNECT, TRACE, TRACK), a header name that is not a token
 * (`node:http`'s check), a header value with NUL, CR, LF or a character past one byte (as
 * `Headers` checks), a URL that does not parse.
 */
export const serverRequest = (parts: RequestParts): HttpServerRequest.HttpServerRequest => {
  const method = parts.method.toUpperCase()
  if (!TOKEN.test(method) || FORBIDDEN_METHODS.has(method)) throw new TypeError(`'${parts.method}' is not a valid HTTP method`)
  const headers: Record<string, string> = {}
  for (const [name, raw] of Object.entries(parts.headers)) {
    if (raw === undefined) continue
    // As `Headers` does: names lower-cased, values trimmed of HTTP whitespace.
    const value = raw.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "")
    validateHeaderName(name)
    if (BAD_VALUE.test(value)) throw new TypeError(`'${name}' has a value HTTP forbids`)
    headers[name.toLowerCase()] = value
  }
  const url = new URL(`https://${parts.host ?? headers["host"] ?? "lambda-url.local"}${parts.pathAndQuery}`)
  const withBody = method !== "GET" && method !== "HEAD" && parts.body !== undefined
  return new LambdaServerRequest(
    parts,
    url.href,
    `${url.pathname}${url.search}`,
    method as HttpMethod.HttpMethod,
    headers as Headers.Headers,
    withBody ? parts.body : undefined,
    undefined
  )
}

/** What a handler sends back: status, headers, cookies, and the body as bytes or as a stream of them. */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly cookies: ReadonlyArray<string>
  readonly body: Uint8Array | ReadableStream<Uint8Array> | undefined
}

const encoder = new TextEncoder()

/** The app's response as a `Reply`; a stream body runs on `runtime` as it is read. */
export const replyOf = (response: HttpServerResponse.HttpServerResponse, runtime: Runtime.Runtime<never>, withoutBody: boolean): Reply => {
  const { "set-cookie": _setCookie, ...headers } = response.headers
  const cookies = Cookies.isEmpty(response.cookies) ? [] : Cookies.toSetCookieHeaders(response.cookies)
  const reply = (body: Reply["body"]): Reply => ({ status: response.status, headers, cookies, body })
  // Before the body is touched: a stream body made into a ReadableStream would start running.
  if (withoutBody) return reply(undefined)
  const body = response.body
  switch (body._tag) {
    case "Empty":
      return reply(undefined)
    case "Uint8Array":
      return reply(body.body)
    case "Stream":
      return reply(Stream.toReadableStreamRuntime(body.stream, runtime))
    case "Raw":
      if (typeof body.body === "string") return reply(encoder.encode(body.body))
      if (body.body instanceof Uint8Array) return reply(body.body)
      if (body.body instanceof ReadableStream) return reply(body.body as ReadableStream<Uint8Array>)
      break
    case "FormData":
      break
  }
  // Nothing in the apps answers so; refuse it plainly rather than send something else.
  return { status: 500, headers: { "content-type": "application/json" }, cookies: [], body: encoder.encode(JSON.stringify({ error: "InternalServerError", message: `Unsupported response body: ${body._tag}` })) }
}

/** Runs `app` for one request with the runtime's services and the request's own (`services`). */
export type AppRunner = (request: HttpServerRequest.HttpServerRequest, services?: Context.Context<never>) => Promise<Reply>

/** Where the reply of the request being run goes (one per request). */
class Replied extends Context.Tag("mcp-lambda-sam/LambdaExchange/Replied")<Replied, (reply: Reply) => void>() {}

export const appRunner = <E, R>(runtime: Runtime.Runtime<R>, app: HttpApp.Default<E, R | Scope.Scope>): AppRunner => {
  const run = Runtime.runFork(runtime)
  const base = runtime.context as Context.Context<never>
  // Made once: each request brings only its own request, services and Replied.
  const handled = HttpApp.toHandled(app, (served, response) =>
    Effect.flatMap(Replied, (resolve) =>
      Effect.sync(() => {
        const head = served.method === "HEAD"
        // A stream body keeps the request's scope open until it is read to its end; HEAD sends none, so nothing holds it.
        resolve(replyOf(head ? response : HttpApp.unsafeEjectStreamScope(response), runtime as Runtime.Runtime<never>, head))
      })))
  return (request, services) =>
    new Promise<Reply>((resolve) => {
      const context = (services === undefined ? base : Context.merge(base, services)).pipe(
        Context.add(HttpServerRequest.HttpServerRequest, request),
        Context.add(Replied, resolve)
      )
      run(Effect.provide(handled, context) as Effect.Effect<void>)
    })
}
