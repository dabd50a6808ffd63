/**
 * Errors an HTTP handler fails with. Each renders itself (`HttpServerRespondable`), so
 * handlers fail with typed errors (tags and spans intact) and the router renders them once.
 */
import * as HttpServerRespondable from "@effect/platform/HttpServerRespondable"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { failure } from "../domain/JsonRpc.js"

/** `{ "error": code, "message": text, "problems"?: [...] }` with a status. */
export class HttpProblem extends Data.TaggedError("HttpProblem")<{
  readonly status: number
  readonly error: string
  readonly message: string
  readonly problems?: ReadonlyArray<ProblemDetail> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}> {
  [HttpServerRespondable.symbol]() {
    return Effect.succeed(problem(this.status, this.error, this.message, this))
  }
}

/** An HTTP error whose body is a JSON-RPC error (Streamable HTTP's convention). */
export class RpcHttpError extends Data.TaggedError("RpcHttpError")<{
  readonly status: number
  readonly code: number
  readonly message: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The request's id when it could be read (2026-07-28 requires it echoed). */
  readonly id?: string | number | null | undefined
  readonly data?: unknown
}> {
  [HttpServerRespondable.symbol]() {
    return Effect.succeed(json(failure(this.id ?? null, this.code, this.message, this.data), this.status, this.headers))
  }
}

export interface ProblemDetail {
  readonly path: string
  readonly message: string
}

export const problem = (
  status: number,
  error: string,
  message: string,
  options: { readonly problems?: ReadonlyArray<ProblemDetail> | undefined; readonly headers?: Record<string, string> | undefined } =
    {}
) =>
  HttpServerResponse.unsafeJson(
    { error, message, ...(options.problems === undefined ? {} : { problems: options.problems }) },
    { status, ...(options.headers === undefined ? {} : { headers: options.headers }) }
  )

export const json = (body: unknown, status = 200, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson(body, { status, ...(headers === undefined ? {} : { headers }) })

/** The one place a store outage becomes an answer: 503, the cause in the log only. */
export const STORE_UNAVAILABLE = problem(503, "ServiceUnavailable", "The store is unavailable; try again", {
  headers: { "retry-after": "1" }
})
