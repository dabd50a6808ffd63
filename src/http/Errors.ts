/**
 * Errors an HTTP handler fails with. Each renders itself (`HttpServerRespondable`), so
 * handlers fail with typed errors (tags and spans intact) and the router renders them once.
 */
import { HttpServerRespondable, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { failure } from "../domain/JsonRpc.js"

const Headers = Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))

/** `{ "error": code, "message": text, "problems"?: [...] }` with a status. */
export class HttpProblem extends Schema.TaggedError<HttpProblem>()("HttpProblem", {
  status: Schema.Number,
  error: Schema.String,
  message: Schema.String,
  problems: Schema.optional(Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))),
  headers: Headers
}) {
  [HttpServerRespondable.symbol]() {
    return Effect.succeed(problem(this.status, this.error, this.message, this))
  }
}

/** An HTTP error whose body is a JSON-RPC error (Streamable HTTP's convention). */
export class RpcHttpError extends Schema.TaggedError<RpcHttpError>()("RpcHttpError", {
  status: Schema.Number,
  code: Schema.Number,
  message: Schema.String,
  headers: Headers,
  /** The request's id when it could be read (2026-07-28 requires it echoed). */
  id: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Number))),
  data: Schema.optional(Schema.Unknown)
}) {
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
