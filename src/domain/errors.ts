/**
 * Domain errors. Each is a `Data.TaggedError`: tagged, yieldable, and its JSON form (in logs,
 * HTTP problem bodies) is its fields. Not `Schema.TaggedError`: none is ever decoded, and a
 * Schema error class costs about ten times as much to define at a cold start (bench/results.md,
 * lever 13). Infrastructure failures carry the original `cause`; it is logged, never shown to
 * MCP clients.
 */
import * as Data from "effect/Data"

export class Problem extends Data.Class<{ readonly path: string; readonly message: string }> {}

export class InvalidRegistration extends Data.TaggedError("InvalidRegistration")<{
  readonly problems: ReadonlyArray<Problem>
}> {
  override get message() {
    return this.problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; ")
  }
}

export class RegistrationNotFound extends Data.TaggedError("RegistrationNotFound")<{
  readonly id: string
}> {
  override get message() {
    return `No registration with id '${this.id}'`
  }
}

export class RegistrationConflict extends Data.TaggedError("RegistrationConflict")<{
  readonly id: string
}> {
  override get message() {
    return `A registration with id '${this.id}' already exists`
  }
}

export class RegistrationVersionMismatch extends Data.TaggedError("RegistrationVersionMismatch")<{
  readonly id: string
  readonly expected: number
  readonly actual: number
}> {
  override get message() {
    return `Registration '${this.id}' is at version ${this.actual}, not ${this.expected}`
  }
}

/** Owner-only updates are on, and the caller did not create this registration. */
export class RegistrationForbidden extends Data.TaggedError("RegistrationForbidden")<{
  readonly id: string
}> {
  override get message() {
    return `Registration '${this.id}' may be changed only by the principal that created it`
  }
}

/** A registration must fit in one DynamoDB item (400 KB) with room for its bookkeeping. */
export const MAX_REGISTRATION_BYTES = 350_000

export class RegistrationTooLarge extends Data.TaggedError("RegistrationTooLarge")<{
  readonly id: string
  readonly bytes: number
}> {
  override get message() {
    return `Registration '${this.id}' is ${this.bytes} bytes as JSON; the limit is ${MAX_REGISTRATION_BYTES}`
  }
}

export class InvalidCursor extends Data.TaggedError("InvalidCursor")<{
  readonly cursor: string
}> {
  override get message() {
    return "Invalid pagination cursor"
  }
}

export class SessionNotFound extends Data.TaggedError("SessionNotFound")<{
  readonly sessionId: string
}> {
  override get message() {
    return "Session not found or expired"
  }
}

export class SessionAlreadyExists extends Data.TaggedError("SessionAlreadyExists")<{
  readonly sessionId: string
}> {
  override get message() {
    return `A session with id '${this.sessionId}' already exists`
  }
}

/** A storage backend failed (network, throttling after retries, a corrupt item). */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    return `Store operation '${this.operation}' failed`
  }
}

// ---------------------------------------------------------------------------
// Invocation of a registered function

/** The function ran and reported an error (Lambda's `FunctionError`, or a thrown error locally). */
export class FunctionError extends Data.TaggedError("FunctionError")<{
  readonly functionName: string
  readonly errorType: string
  readonly errorMessage: string
}> {
  override get message() {
    return `${this.errorType}: ${this.errorMessage}`
  }
}

export class InvocationTimeout extends Data.TaggedError("InvocationTimeout")<{
  readonly functionName: string
  readonly timeoutMillis: number
}> {
  override get message() {
    return `Function '${this.functionName}' did not answer within ${this.timeoutMillis} ms`
  }
}

export class InvocationThrottled extends Data.TaggedError("InvocationThrottled")<{
  readonly functionName: string
}> {
  override get message() {
    return `Function '${this.functionName}' is throttled`
  }
}

export class FunctionNotFound extends Data.TaggedError("FunctionNotFound")<{
  readonly functionName: string
}> {
  override get message() {
    return `Function '${this.functionName}' was not found`
  }
}

/** The call itself failed (network, permissions, payload too large); the cause is for logs only. */
export class InvocationFailed extends Data.TaggedError("InvocationFailed")<{
  readonly functionName: string
  readonly reason: string
  readonly cause: unknown
}> {
  override get message() {
    return `Function '${this.functionName}' could not be invoked: ${this.reason}`
  }
}

/** This server may not invoke the function (outside its allowlist, or refused by IAM); the cause is for logs only. */
export class InvocationDenied extends Data.TaggedError("InvocationDenied")<{
  readonly functionName: string
  readonly reason: string
  readonly cause: unknown
}> {
  override get message() {
    return `Function '${this.functionName}' may not be invoked: ${this.reason}`
  }
}

export type InvocationError =
  | FunctionError
  | InvocationDenied
  | InvocationTimeout
  | InvocationThrottled
  | FunctionNotFound
  | InvocationFailed

// ---------------------------------------------------------------------------
// Tasks

/** A task changed (or expired) since it was read: the write that assumed `version` did not happen. */
export class TaskChanged extends Data.TaggedError("TaskChanged")<{
  readonly taskId: string
  readonly version: number
}> {
  override get message() {
    return `Task '${this.taskId}' is no longer at version ${this.version}`
  }
}

/** A task's run could not be set off (the task runner could not be invoked); the cause is for logs only. */
export class TaskStartFailed extends Data.TaggedError("TaskStartFailed")<{
  readonly taskId: string
  readonly cause: unknown
}> {
  override get message() {
    return `Task '${this.taskId}' could not be started`
  }
}
