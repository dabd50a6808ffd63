/**
 * The dev server's guard in front of every route, the Registration API's included (DNS
 * rebinding): a page on another origin may not call it, and, while it listens on loopback, a
 * request must name this machine in `Host` — a rebound name (evil.example resolving to
 * 127.0.0.1) does not.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as Effect from "effect/Effect"
import { problem } from "./Errors.js"
import { originMatcher } from "./McpApi.js"

export interface LocalGuardOptions {
  /** Origins allowed to call (the dev server's `--allowed-origins`); requests without Origin pass. */
  readonly allowedOrigins: ReadonlyArray<string>
  /** The address the server listens on: a loopback one turns on the Host check. */
  readonly listenHost: string
}

const LOOPBACK_LISTEN = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i

export const isLoopbackListen = (host: string) => LOOPBACK_LISTEN.test(host)

/** `app`, answering 403 to a foreign Origin, or a Host that is not this machine. */
export const guardLocal = (options: LocalGuardOptions) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => {
  const allowOrigin = originMatcher(options.allowedOrigins)
  const checkHost = isLoopbackListen(options.listenHost)
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const origin = request.headers["origin"]
    if (origin !== undefined && !allowOrigin(origin)) {
      return Effect.succeed(problem(403, "Forbidden", `Origin ${origin} is not allowed`))
    }
    const host = request.headers["host"]
    if (checkHost && host !== undefined && !LOOPBACK_HOST.test(host)) {
      return Effect.succeed(problem(403, "Forbidden", `Host ${host} is not this machine; the dev server answers localhost only`))
    }
    return app
  })
}
