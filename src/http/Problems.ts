/** JSON error bodies for the HTTP APIs: `{ "error": code, "message": text, "problems"?: [...] }`. */
import { HttpServerResponse } from "@effect/platform"
import type { Headers } from "@effect/platform"

export interface ProblemDetail {
  readonly path: string
  readonly message: string
}

export const problem = (
  status: number,
  error: string,
  message: string,
  options: { readonly problems?: ReadonlyArray<ProblemDetail>; readonly headers?: Headers.Input } = {}
) =>
  HttpServerResponse.unsafeJson(
    { error, message, ...(options.problems === undefined ? {} : { problems: options.problems }) },
    { status, ...(options.headers === undefined ? {} : { headers: options.headers }) }
  )

export const json = (body: unknown, status = 200, headers?: Headers.Input) =>
  HttpServerResponse.unsafeJson(body, { status, ...(headers === undefined ? {} : { headers }) })
