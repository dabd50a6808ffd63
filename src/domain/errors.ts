/**
 * Domain errors. Each is a `Schema.TaggedError` so it can cross a process boundary
 * (logs, HTTP problem bodies) without losing its shape. Infrastructure failures carry
 * the original `cause` as a defect; it is logged, never shown to MCP clients.
 */
import { Schema } from "effect"

export class Problem extends Schema.Class<Problem>("Problem")({
  path: Schema.String,
  message: Schema.String
}) {}

export class InvalidRegistration extends Schema.TaggedError<InvalidRegistration>()("InvalidRegistration", {
  problems: Schema.Array(Problem)
}) {
  override get message() {
    return this.problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; ")
  }
}

export class RegistrationNotFound extends Schema.TaggedError<RegistrationNotFound>()("RegistrationNotFound", {
  id: Schema.String
}) {
  override get message() {
    return `No registration with id '${this.id}'`
  }
}

export class RegistrationConflict extends Schema.TaggedError<RegistrationConflict>()("RegistrationConflict", {
  id: Schema.String
}) {
  override get message() {
    return `A registration with id '${this.id}' already exists`
  }
}

export class RegistrationVersionMismatch extends Schema.TaggedError<RegistrationVersionMismatch>()(
  "RegistrationVersionMismatch",
  {
    id: Schema.String,
    expected: Schema.Number,
    actual: Schema.Number
  }
) {
  override get message() {
    return `Registration '${this.id}' is at version ${this.actual}, not ${this.expected}`
  }
}

/** Owner-only updates are on, and the caller did not create this registration. */
export class RegistrationForbidden extends Schema.TaggedError<RegistrationForbidden>()("RegistrationForbidden", {
  id: Schema.String
}) {
  override get message() {
    return `Registration '${this.id}' may be changed only by the principal that created it`
  }
}

/** A registration must fit in one DynamoDB item (400 KB) with room for its bookkeeping. */
export const MAX_REGISTRATION_BYTES = 350_000

export class RegistrationTooLarge extends Schema.TaggedError<RegistrationTooLarge>()("RegistrationTooLarge", {
  id: Schema.String,
  bytes: Schema.Number
}) {
  override get message() {
    return `Registration '${this.id}' is ${this.bytes} bytes as JSON; the limit is ${MAX_REGISTRATION_BYTES}`
  }
}

export class InvalidCursor extends Schema.TaggedError<InvalidCursor>()("InvalidCursor", {
  cursor: Schema.String
}) {
  override get message() {
    return "Invalid pagination cursor"
  }
}

export class SessionNotFound extends Schema.TaggedError<SessionNotFound>()("SessionNotFound", {
  sessionId: Schema.String
}) {
  override get message() {
    return "Session not found or expired"
  }
}

export class SessionAlreadyExists extends Schema.TaggedError<SessionAlreadyExists>()("SessionAlreadyExists", {
  sessionId: Schema.String
}) {}

/** A storage backend failed (network, throttling after retries, a corrupt item). */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  cause: Schema.Defect
}) {
  override get message() {
    return `Store operation '${this.operation}' failed`
  }
}

// ---------------------------------------------------------------------------
// Invocation of a registered function

/** The function ran and reported an error (Lambda's `FunctionError`, or a thrown error locally). */
export class FunctionError extends Schema.TaggedError<FunctionError>()("FunctionError", {
  functionName: Schema.String,
  errorType: Schema.String,
  errorMessage: Schema.String
}) {
  override get message() {
    return `${this.errorType}: ${this.errorMessage}`
  }
}

export class InvocationTimeout extends Schema.TaggedError<InvocationTimeout>()("InvocationTimeout", {
  functionName: Schema.String,
  timeoutMillis: Schema.Number
}) {
  override get message() {
    return `Function '${this.functionName}' did not answer within ${this.timeoutMillis} ms`
  }
}

export class InvocationThrottled extends Schema.TaggedError<InvocationThrottled>()("InvocationThrottled", {
  functionName: Schema.String
}) {
  override get message() {
    return `Function '${this.functionName}' is throttled`
  }
}

export class FunctionNotFound extends Schema.TaggedError<FunctionNotFound>()("FunctionNotFound", {
  functionName: Schema.String
}) {
  override get message() {
    return `Function '${this.functionName}' was not found`
  }
}

/** The call itself failed (network, permissions, payload too large); the cause is for logs only. */
export class InvocationFailed extends Schema.TaggedError<InvocationFailed>()("InvocationFailed", {
  functionName: Schema.String,
  reason: Schema.String,
  cause: Schema.Defect
}) {
  override get message() {
    return `Function '${this.functionName}' could not be invoked: ${this.reason}`
  }
}

/** This server may not invoke the function (outside its allowlist, or refused by IAM); the cause is for logs only. */
export class InvocationDenied extends Schema.TaggedError<InvocationDenied>()("InvocationDenied", {
  functionName: Schema.String,
  reason: Schema.String,
  cause: Schema.Defect
}) {
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
export class TaskChanged extends Schema.TaggedError<TaskChanged>()("TaskChanged", {
  taskId: Schema.String,
  version: Schema.Number
}) {
  override get message() {
    return `Task '${this.taskId}' is no longer at version ${this.version}`
  }
}

/** A task's run could not be set off (the task runner could not be invoked); the cause is for logs only. */
export class TaskStartFailed extends Schema.TaggedError<TaskStartFailed>()("TaskStartFailed", {
  taskId: Schema.String,
  cause: Schema.Defect
}) {
  override get message() {
    return `Task '${this.taskId}' could not be started`
  }
}
