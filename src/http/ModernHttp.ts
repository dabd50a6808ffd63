/**
 * MCP 2026-07-28 on `/mcp`: stateless requests that carry their protocol version and the
 * client's capabilities in `_meta`. The header checks come first, in the order the revision
 * fixes (envelope, version header, method header, version, required headers); then the engine
 * answers as JSON, or as an SSE stream when notifications (progress, logs) come first.
 * Closing that stream cancels the request. No session is read or written.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { ErrorCode, type RequestId } from "../domain/JsonRpc.js"
import {
  claimsModernEra,
  decodeHeaderValue,
  NAME_FIELD,
  trimHeaderValue as trimmed,
  isModernVersion,
  META,
  MODERN_PROTOCOL_VERSIONS,
  type ModernVersion,
  RequestEnvelope
} from "../domain/Modern.js"
import { isPlainObject } from "../domain/Registration.js"
import { McpEngine, type Outcome } from "../mcp/Engine.js"
import { RpcHttpError } from "./Errors.js"
import { currentPrincipal } from "./HostContext.js"
import { listen, type ListenOptions } from "./Listen.js"
import { VERSION_HEADER } from "./McpHttp.js"
import { replyLive } from "./Replies.js"
import { decodeUnknownEither, describeParseError } from "../domain/Decode.js"

const METHOD_HEADER = "mcp-method"
const NAME_HEADER = "mcp-name"

/** The headers a 2026-07-28 request may carry (for CORS). */
export const MODERN_HEADERS = [METHOD_HEADER, NAME_HEADER] as const


/**
 * Whether a POSTed message takes the 2026-07-28 path: its `_meta` claims a protocol version, or
 * (with no claim) its header names a version of that era — which the envelope check then refuses.
 */
export const isModernMessage = (parsed: unknown, request: HttpServerRequest.HttpServerRequest) => {
  if (!isPlainObject(parsed) || typeof parsed["method"] !== "string") return false
  const meta = isPlainObject(parsed["params"]) ? parsed["params"]["_meta"] : undefined
  if (isPlainObject(meta) && META.protocolVersion in meta) return true
  const header = request.headers[VERSION_HEADER]
  return header !== undefined && claimsModernEra(trimmed(header)) && parsed["method"] !== "initialize"
}



const decodeEnvelope = decodeUnknownEither(RequestEnvelope, { errors: "all" })

const mismatch = (id: RequestId | null, message: string) =>
  new RpcHttpError({ status: 400, code: ErrorCode.HeaderMismatch, message: `Header mismatch: ${message}`, id })

/** An error answer's HTTP status: unknown methods are 404, missing capabilities 400 (2026-07-28). */
const statusOf = (outcome: Outcome) => {
  const answer = outcome.responses[0]
  if (outcome.responses.length !== 1 || answer === undefined || !("error" in answer)) return 200
  if (answer.error.code === ErrorCode.MethodNotFound) return 404
  if (answer.error.code === ErrorCode.MissingRequiredClientCapability || answer.error.code === ErrorCode.HeaderMismatch) return 400
  return 200
}

export type ModernOptions = ListenOptions

export const make = (options: ModernOptions) =>
  Effect.fn("ModernHttp.post")(function* (parsed: Record<string, unknown>) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const method = parsed["method"] as string
    const id: RequestId | null = typeof parsed["id"] === "string" || typeof parsed["id"] === "number" ? parsed["id"] : null
    const isRequest = "id" in parsed
    const params = isPlainObject(parsed["params"]) ? parsed["params"] : {}

    // (a) The envelope: protocol version and client capabilities are required.
    const envelope = decodeEnvelope(params["_meta"] ?? {})
    if (Either.isLeft(envelope)) {
      return yield* new RpcHttpError({
        status: 400,
        code: ErrorCode.InvalidParams,
        message: `Invalid params: the request's _meta is incomplete or invalid: ${describeParseError(envelope.left, "_meta")}`,
        id
      })
    }
    const meta = envelope.right
    const version = meta[META.protocolVersion]
    // (b) The version header repeats the body's.
    const versionHeader = request.headers[VERSION_HEADER]
    if (versionHeader !== undefined && trimmed(versionHeader) !== version) {
      return yield* mismatch(id, `MCP-Protocol-Version header value '${versionHeader}' does not match body value '${version}'`)
    }
    // (c) The method header repeats the body's method.
    const methodHeader = request.headers[METHOD_HEADER]
    if (methodHeader !== undefined && trimmed(methodHeader) !== method) {
      return yield* mismatch(id, `Mcp-Method header value '${methodHeader}' does not match body value '${method}'`)
    }
    // (d) A version this server speaks.
    if (!isModernVersion(version)) {
      return yield* new RpcHttpError({
        status: 400,
        code: ErrorCode.UnsupportedProtocolVersion,
        message: `Unsupported protocol version: ${version}`,
        data: { supported: MODERN_PROTOCOL_VERSIONS, requested: version },
        id
      })
    }
    // (e) The headers a request must carry.
    if (versionHeader === undefined) return yield* mismatch(id, "the MCP-Protocol-Version header is required")
    // A notification (such as the client's notifications/cancelled) needs nothing more, and gets nothing.
    if (!isRequest) return HttpServerResponse.empty({ status: 202 })
    if (methodHeader === undefined) return yield* mismatch(id, "the Mcp-Method header is required")
    const nameField = NAME_FIELD[method]
    const bodyName = nameField === undefined ? undefined : params[nameField]
    if (typeof bodyName === "string") {
      const nameHeader = request.headers[NAME_HEADER]
      if (nameHeader === undefined) return yield* mismatch(id, "the Mcp-Name header is required")
      const name = decodeHeaderValue(trimmed(nameHeader))
      if (Option.isNone(name)) return yield* mismatch(id, "the Mcp-Name header is not valid base64")
      if (name.value !== bodyName) {
        return yield* mismatch(id, `Mcp-Name header value '${name.value}' does not match body value '${bodyName}'`)
      }
    }

    const principal = yield* currentPrincipal
    const context = {
      protocolVersion: version as ModernVersion,
      principal,
      clientCapabilities: meta[META.clientCapabilities],
      logLevel: meta[META.logLevel],
      paramHeaders: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith("mcp-param-")))
    }
    if (method === "subscriptions/listen" && id !== null) return yield* listen(id, params, principal, options)
    const engine = yield* McpEngine
    const outcome = (live: Parameters<typeof engine.handle>[2]) => engine.handle(context, parsed, live)
    return yield* replyLive(outcome, {}, statusOf)
  })


