/**
 * Protocol errors: what a method handler fails with when the answer is a JSON-RPC error.
 * Each carries its code, so dispatch renders every one of them the same way.
 */
import { Schema } from "effect"
import { ErrorCode, failure, type JsonRpcFailure, type RequestId } from "../domain/JsonRpc.js"

export class InvalidParams extends Schema.TaggedError<InvalidParams>()("InvalidParams", {
  message: Schema.String
}) {
  readonly code = ErrorCode.InvalidParams
}

export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  message: Schema.String
}) {
  readonly code = ErrorCode.InvalidRequest
}

export class MethodNotFound extends Schema.TaggedError<MethodNotFound>()("MethodNotFound", {
  method: Schema.String
}) {
  readonly code = ErrorCode.MethodNotFound
  override get message() {
    return `Method not found: ${this.method}`
  }
}

export class ResourceNotFound extends Schema.TaggedError<ResourceNotFound>()("ResourceNotFound", {
  uri: Schema.String
}) {
  readonly code = ErrorCode.ResourceNotFound
  override get message() {
    return "Resource not found"
  }
  get data() {
    return { uri: this.uri }
  }
}

/** The server could not answer; the message is safe to show (causes go to the log, not here). */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", {
  message: Schema.String
}) {
  readonly code = ErrorCode.InternalError
}

export type ProtocolError = InvalidParams | InvalidRequest | MethodNotFound | ResourceNotFound | InternalError

export const toFailure = (id: RequestId | null, error: ProtocolError): JsonRpcFailure =>
  failure(id, error.code, error.message, error._tag === "ResourceNotFound" ? error.data : undefined)
