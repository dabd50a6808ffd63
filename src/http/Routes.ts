/**
 * A small path-and-method table: 404 for an unknown path, 405 with `Allow` for a known path
 * and another method. (A router that declares `all` next to `get` refuses the pair.)
 * Handlers fail with typed errors; the router renders them, here and nowhere else.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerRespondable from "@effect/platform/HttpServerRespondable"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { StoreError } from "../domain/errors.js"
import { type HttpProblem, problem, type RpcHttpError, STORE_UNAVAILABLE } from "./Errors.js"

/** What a handler may fail with: an error that renders itself, or a store outage (503). */
export type HttpError = HttpProblem | RpcHttpError | StoreError

export type Handler<R> = (
  params: Readonly<Record<string, string>>
) => Effect.Effect<HttpServerResponse.HttpServerResponse, HttpError, R | HttpServerRequest.HttpServerRequest>

/** The response for a handler's error; a store failure is logged with its cause. */
export const render = (error: HttpError): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  error._tag === "StoreError"
    ? Effect.as(Effect.logError(`Store failure in ${error.operation}`, Cause.die(error.cause)), STORE_UNAVAILABLE)
    : HttpServerRespondable.toResponse(error)

export interface Route<R> {
  /** `/register/:id` style: each `:name` matches one non-empty path segment. */
  readonly path: string
  readonly methods: Readonly<Partial<Record<"GET" | "POST" | "PUT" | "DELETE", Handler<R>>>>
}

const compile = (path: string) => {
  const names: Array<string> = []
  const source = path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name)
    return "([^/]+)"
  })
  return { regex: new RegExp(`^${source}/?$`), names }
}

export const pathOf = (request: HttpServerRequest.HttpServerRequest) => {
  const url = request.url
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

export const route = <R>(routes: ReadonlyArray<Route<R>>) => {
  const compiled = routes.map((r) => ({ ...r, ...compile(r.path) }))
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = pathOf(request)
    for (const entry of compiled) {
      const match = entry.regex.exec(path)
      if (match === null) continue
      const handler = entry.methods[request.method as keyof Route<R>["methods"]]
      if (handler === undefined) {
        const allow = [...Object.keys(entry.methods), "OPTIONS"].join(", ")
        return problem(405, "MethodNotAllowed", `${request.method} is not allowed on ${entry.path}`, { headers: { allow } })
      }
      const params: Record<string, string> = {}
      for (const [index, name] of entry.names.entries()) {
        const decoded = Either.try(() => decodeURIComponent(match[index + 1] ?? ""))
        if (Either.isLeft(decoded)) {
          yield* Effect.logWarning(`Malformed percent-encoding in ${path}`, Cause.fail(decoded.left))
          return problem(400, "BadRequest", `The path's ${name} is not valid percent-encoding (UTF-8 bytes as %XX)`)
        }
        params[name] = decoded.right
      }
      // HTTP hosts run the app uninterruptibly; a handler must be interruptible for its races and
      // timeouts to stop their losers, and for a departed client to stop its work.
      return yield* handler(params).pipe(
        Effect.withSpan(`${request.method} ${entry.path}`),
        Effect.catchAll(render),
        // A defect is a bug: logged with its cause, answered with a 500 that says nothing more.
        Effect.catchAllDefect((defect) =>
          Effect.as(
            Effect.logError(`Defect in ${request.method} ${entry.path}`, Cause.die(defect)),
            problem(500, "InternalServerError", "The server failed to answer this request")
          )),
        Effect.interruptible
      )
    }
    return problem(404, "NotFound", `No route for ${path}`)
  })
}
