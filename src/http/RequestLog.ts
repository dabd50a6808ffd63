/** One log line per request: HTTP method, path, MCP method(s), status and duration. */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { pathOf } from "./Routes.js"

/** Set by the MCP handlers once they know which JSON-RPC methods a request carries. */
export const currentMcpMethod = FiberRef.unsafeMake<string | undefined>(undefined)

/** A log line names at most this much of a method (a client chooses it, up to the body's size). */
const MAX_METHOD_LENGTH = 100

/** What the log says of one message's method: only a string is one (`String` of `{"toString": null}` throws). */
const methodOf = (message: unknown) => {
  if (typeof message !== "object" || message === null || !("method" in message)) return "response"
  return typeof message.method === "string" ? message.method.slice(0, MAX_METHOD_LENGTH) : "(not a string)"
}

export const noteMcpMethod = (parsed: unknown) =>
  FiberRef.set(currentMcpMethod, (Array.isArray(parsed) ? parsed : [parsed]).map(methodOf).join(","))

export const withRequestLog = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const start = yield* Clock.currentTimeMillis
    const logLine = (status: number) =>
      Effect.gen(function* () {
        const elapsed = (yield* Clock.currentTimeMillis) - start
        const method = yield* FiberRef.get(currentMcpMethod)
        yield* Effect.logInfo(
          `${request.method} ${pathOf(request)}${method === undefined ? "" : ` ${method}`} ${status} ${elapsed}ms`
        )
      })
    return yield* app.pipe(
      Effect.tap((response: HttpServerResponse.HttpServerResponse) => logLine(response.status)),
      Effect.tapErrorCause(() => logLine(500))
    )
  })
