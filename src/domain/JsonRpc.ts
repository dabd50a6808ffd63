/** JSON-RPC 2.0 messages as MCP uses them (ids are strings or numbers, never null in requests). */
import type * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { decodeUnknownEither, lazySchema } from "./Decode.js"

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** MCP until 2025-11-25: a resource URI matches no registration. */
  ResourceNotFound: -32002,
  /** MCP 2026-07-28: a header disagrees with the body, or a required header is missing. */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the request needs a client capability its `_meta` does not declare. */
  MissingRequiredClientCapability: -32021,
  /** MCP 2026-07-28: the protocol version is not served here. */
  UnsupportedProtocolVersion: -32022
} as const

export const RequestId = Schema.Union(Schema.String, Schema.Number)
export type RequestId = typeof RequestId.Type

const Params = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const JsonRpcRequest = lazySchema(() => Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: RequestId,
  method: Schema.String,
  params: Schema.optional(Params)
}))
export type JsonRpcRequest = typeof JsonRpcRequest.Type

export const JsonRpcNotification = lazySchema(() => Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  method: Schema.String,
  params: Schema.optional(Params)
}))
export type JsonRpcNotification = typeof JsonRpcNotification.Type

export const JsonRpcSuccess = lazySchema(() => Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: RequestId,
  result: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}))
export type JsonRpcSuccess = typeof JsonRpcSuccess.Type

export const JsonRpcErrorObject = lazySchema(() => Schema.Struct({
  code: Schema.Int,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}))

export const JsonRpcFailure = lazySchema(() => Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: Schema.NullOr(RequestId),
  error: JsonRpcErrorObject.built()
}))
export type JsonRpcFailure = typeof JsonRpcFailure.Type

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure

export const JsonRpcMessage = lazySchema(() => Schema.Union(JsonRpcRequest.built(), JsonRpcNotification.built(), JsonRpcSuccess.built(), JsonRpcFailure.built()))
export type JsonRpcMessage = typeof JsonRpcMessage.Type

export const success = (id: RequestId, result: Record<string, unknown>): JsonRpcSuccess => ({
  jsonrpc: "2.0",
  id,
  result
})

export const failure = (
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown
): JsonRpcFailure => ({
  jsonrpc: "2.0",
  id,
  error: data === undefined ? { code, message } : { code, message, data }
})

export const notification = (method: string, params?: Record<string, unknown>): JsonRpcNotification =>
  params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }

export const isRequest = (message: JsonRpcMessage): message is JsonRpcRequest => "method" in message && "id" in message
export const isNotification = (message: JsonRpcMessage): message is JsonRpcNotification =>
  "method" in message && !("id" in message)

/** Whether a parsed JSON value has a request's shape (a method and an id), before decoding. */
export const looksLikeRequest = (value: unknown) =>
  typeof value === "object" && value !== null && !Array.isArray(value) && "method" in value && "id" in value

/** The kind of an already-parsed JSON value, before schema decoding: used to pick an error id. */
export const idOf = (value: unknown): RequestId | null => {
  if (typeof value !== "object" || value === null || !("id" in value)) return null
  const id = (value as { id: unknown }).id
  return typeof id === "string" || typeof id === "number" ? id : null
}

const decodeRequest = decodeUnknownEither(JsonRpcRequest)
const decodeNotification = decodeUnknownEither(JsonRpcNotification)
const decodeResponse = decodeUnknownEither(lazySchema(() => Schema.Union(JsonRpcSuccess.built(), JsonRpcFailure.built())))

/** Classifies by shape first, so that `{ "id": null, "method": … }` is a bad request, not a notification. */
export const decodeMessage = (input: unknown): Either.Either<JsonRpcMessage, ParseResult.ParseError> => {
  if (typeof input === "object" && input !== null && "method" in input) {
    return "id" in input ? decodeRequest(input) : decodeNotification(input)
  }
  return decodeResponse(input)
}
