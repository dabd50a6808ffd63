/**
 * Invoking the function behind a registration (each invocation an audit line naming the
 * caller), and saying why an invocation failed: a fixed sentence and a correlation id for the
 * client, the cause in the log under the same id.
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import { audit } from "../Audit.js"
import type { InvocationError } from "../domain/errors.js"
import type { Registration } from "../domain/Registration.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import { readAnswer, type StreamProblem } from "./FunctionStream.js"
import { InternalError } from "./Errors.js"
import type { InputProblem } from "./InputRounds.js"
import { extra, log, McpRequest, progress } from "./McpRequest.js"
import { EngineSettings } from "./Method.js"

const invocationOf = (registration: Registration, payload: Record<string, unknown>, more: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const { invokeTimeout } = yield* EngineSettings
    const request = yield* McpRequest
    yield* audit({
      audit: "function.invoke",
      principal: request.principal ?? "unknown",
      method: request.method,
      registration: registration.id,
      lambdaArn: registration.lambdaArn,
      session: request.sessionId
    })
    return { lambdaArn: registration.lambdaArn, payload: { ...payload, extra: { ...(yield* extra), ...more } }, timeout: invokeTimeout }
  })

/** Runs the registration's function with `payload` plus the request's `extra` (and `more` in it). */
export const invoke = (registration: Registration, payload: Record<string, unknown>, more?: Record<string, unknown>) =>
  Effect.flatMap(Effect.zip(ToolInvoker, invocationOf(registration, payload, more)), ([invoker, invocation]) =>
    invoker.invoke(invocation))

/**
 * Runs a streaming function: its progress and log lines become notifications of this request
 * while it runs (resource updates go to `onResourceUpdated`); its result line is the answer.
 */
export const invokeStreaming = <R>(
  registration: Registration,
  payload: Record<string, unknown>,
  onResourceUpdated: (uri: string) => Effect.Effect<void, never, R>,
  more?: Record<string, unknown>
) =>
  Effect.gen(function* () {
    const invoker = yield* ToolInvoker
    const invocation = yield* invocationOf(registration, payload, more)
    return yield* readAnswer(invoker.invokeStream(invocation), (event): Effect.Effect<void, never, McpRequest | R> => {
      switch (event.type) {
        case "progress":
          return progress(event)
        case "log":
          return log(event.level, event.data, event.logger)
        case "resource_updated":
          return onResourceUpdated(event.uri)
      }
    })
  })

/** The sentence a client gets for each failure the server (not the function) is behind. */
const sentenceFor = (what: string, error: Exclude<InvocationError, { readonly _tag: "FunctionError" }>) => {
  switch (error._tag) {
    case "InvocationTimeout":
      return `${what} timed out after ${Math.round(error.timeoutMillis / 100) / 10} s`
    case "InvocationThrottled":
      return `${what} is throttled; try again shortly`
    case "FunctionNotFound":
      return `${what} is unavailable: its function was not found`
    case "InvocationDenied":
      return `${what} is unavailable: this server may not invoke its function`
    case "InvocationFailed":
      return `${what} failed: its function could not be invoked`
  }
}

/**
 * A readable sentence for an invocation failure. A function's own error is its answer and is
 * passed on; anything else is one fixed sentence and a correlation id, and the log line with
 * that id holds the function, the reason and the cause (AWS error texts name roles and accounts).
 */
export const describeInvocationError = (what: string, error: InvocationError): Effect.Effect<string> => {
  if (error._tag === "FunctionError") return Effect.succeed(`${what} failed: ${error.errorMessage}`)
  return Effect.gen(function* () {
    const correlationId = randomUUID()
    const details = { correlationId, what, functionName: error.functionName, error: error._tag, reason: error.message }
    yield* error._tag === "InvocationFailed" || error._tag === "InvocationDenied"
      ? Effect.logError("Invocation failed", details, error.cause)
      : Effect.logWarning("Invocation failed", details)
    return `${sentenceFor(what, error)} (correlation id ${correlationId})`
  })
}

/**
 * For methods whose failures are protocol errors (prompts, resource reads): an invocation's
 * failure, or a question round that could not finish, as a -32603 naming `what`.
 */
export const failAsInternalError = (what: string) => (error: InvocationError | InputProblem | StreamProblem) =>
  error._tag === "InputProblem" || error._tag === "StreamProblem"
    ? Effect.fail(new InternalError({ message: `${what} ${error.message}` }))
    : Effect.flatMap(describeInvocationError(what, error), (message) => Effect.fail(new InternalError({ message })))

const FUNCTION_FAILURES: ReadonlySet<string> = new Set([
  "FunctionError",
  "InvocationTimeout",
  "InvocationThrottled",
  "FunctionNotFound",
  "InvocationDenied",
  "InvocationFailed",
  "InputProblem",
  "StreamProblem"
])

/** Whether a failure is the function's (or its question round's), not the request's. */
export const isFunctionFailure = (error: { readonly _tag: string }): error is InvocationError | InputProblem | StreamProblem =>
  FUNCTION_FAILURES.has(error._tag)

/** `catchTags` handlers turning every invocation failure and an unfinished question round into a -32603. */
export const asInternalErrors = (what: string) => {
  const fail = failAsInternalError(what)
  return {
    InputProblem: fail,
    FunctionError: fail,
    InvocationTimeout: fail,
    InvocationThrottled: fail,
    FunctionNotFound: fail,
    InvocationDenied: fail,
    InvocationFailed: fail
  }
}
