/**
 * Protocol errors: what a method handler fails with when the answer is a JSON-RPC error.
 * Each carries its code, so dispatch renders every one of them the same way.
 */
import * as Data from "effect/Data"
import { ErrorCode, failure, type JsonRpcFailure, type RequestId } from "../domain/JsonRpc.js"

export class InvalidParams extends Data.TaggedError("InvalidParams")<{ readonly message: string }> {
  readonly code = ErrorCode.InvalidParams
}

export class InvalidRequest extends Data.TaggedError("InvalidRequest")<{ readonly message: string }> {
  readonly code = ErrorCode.InvalidRequest
}

export class MethodNotFound extends Data.TaggedError("MethodNotFound")<{ readonly method: string }> {
  readonly code = ErrorCode.MethodNotFound
  override get message() {
    return `Method not found: ${this.method}`
  }
}

export class ResourceNotFound extends Data.TaggedError("ResourceNotFound")<{ readonly uri: string }> {
  /** -32002 until 2025-11-25; 2026-07-28 answers -32602 (see `toFailure`). */
  readonly code = ErrorCode.ResourceNotFound
  override get message() {
    return "Resource not found"
  }
  get data() {
    return { uri: this.uri }
  }
}

/** The server could not answer; the message is safe to show (causes go to the log, not here). */
export class InternalError extends Data.TaggedError("InternalError")<{ readonly message: string }> {
  readonly code = ErrorCode.InternalError
}

/** 2026-07-28: the request needs a client capability its `_meta` does not declare (HTTP 400). */
export class MissingRequiredClientCapability extends Data.TaggedError("MissingRequiredClientCapability")<{
  readonly requiredCapabilities: Readonly<Record<string, unknown>>
}> {
  readonly code = ErrorCode.MissingRequiredClientCapability
  override get message() {
    return `Missing required client capability: ${Object.keys(this.requiredCapabilities).join(", ")}`
  }
  get data() {
    return { requiredCapabilities: this.requiredCapabilities }
  }
}

/** 2026-07-28: a header disagrees with the body, is missing, or is malformed (HTTP 400). */
export class HeaderMismatch extends Data.TaggedError("HeaderMismatch")<{ readonly message: string }> {
  readonly code = ErrorCode.HeaderMismatch
}

export type ProtocolError =
  | HeaderMismatch
  | InvalidParams
  | InvalidRequest
  | MethodNotFound
  | ResourceNotFound
  | InternalError
  | MissingRequiredClientCapability

/** The JSON-RPC error for `error`; the modern era answers a missing resource with -32602. */
export const toFailure = (id: RequestId | null, error: ProtocolError, modern = false): JsonRpcFailure => {
  switch (error._tag) {
    case "ResourceNotFound":
      return modern ? failure(id, ErrorCode.InvalidParams, error.message, error.data) : failure(id, error.code, error.message, error.data)
    case "MissingRequiredClientCapability":
      return failure(id, error.code, error.message, error.data)
    default:
      return failure(id, error.code, error.message)
  }
}
