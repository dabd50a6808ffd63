/** What both MCP transports share over HTTP: headers, body reading, session lookup. */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import { ErrorCode } from "../domain/JsonRpc.js"
import type { Transport } from "../domain/Session.js"
import { Sessions } from "../mcp/Sessions.js"
import { readJsonBody } from "./Body.js"
import { RpcHttpError } from "./Errors.js"
import { currentPrincipal } from "./HostContext.js"
import { noteMcpMethod } from "./RequestLog.js"

export const SESSION_HEADER = "mcp-session-id"
export const VERSION_HEADER = "mcp-protocol-version"

export const rpcHttpError = (status: number, message: string, headers?: Record<string, string>) =>
  new RpcHttpError({ status, code: ErrorCode.InvalidRequest, message, headers })

/** Whether the Accept header allows every one of `types` (wildcards count). MCP clients must send one. */
export const accepts = (request: HttpServerRequest.HttpServerRequest, types: ReadonlyArray<string>) => {
  const header = request.headers["accept"]
  if (header === undefined) return false
  const accepted = header.split(",").map((part) => part.split(";")[0]!.trim().toLowerCase())
  return types.every((type) =>
    accepted.some((range) => range === type || range === "*/*" || range === `${type.split("/")[0]}/*`)
  )
}

// One instance for every request, not one per request: an error captures a stack when built,
// and almost every body is JSON. (Failing with it does not change it: Effect wraps it for spans.)
const NOT_JSON = new RpcHttpError({ status: 400, code: ErrorCode.ParseError, message: "Parse error: the body is not JSON" })

/** The request's JSON body (noted for the request log). */
export const readJson = (request: HttpServerRequest.HttpServerRequest, maxBodyBytes: number) =>
  readJsonBody(request, maxBodyBytes, NOT_JSON).pipe(Effect.tap(noteMcpMethod))

/** The caller's live session of this transport; anything else is 404, as both transports answer. */
export const resolveSession = (rawId: string, transport: Transport, gone = "it may have expired or ended") =>
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const principal = yield* currentPrincipal
    const session = yield* sessions.resolve(rawId, transport, principal).pipe(
      Effect.catchTag("SessionNotFound", () => rpcHttpError(404, `Session not found: ${gone}`))
    )
    return { session, principal, sessions }
  })
