/** Invoking the function behind a registration, and saying why an invocation failed. */
import { Effect } from "effect"
import type { InvocationError } from "../domain/errors.js"
import type { Registration } from "../domain/Registration.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import { extra } from "./McpRequest.js"
import { EngineSettings } from "./Method.js"

/** Runs the registration's function with `payload` plus the request's `extra`. */
export const invoke = (registration: Registration, payload: Record<string, unknown>) =>
  Effect.gen(function* () {
    const invoker = yield* ToolInvoker
    const { invokeTimeout } = yield* EngineSettings
    return yield* invoker.invoke({
      lambdaArn: registration.lambdaArn,
      payload: { ...payload, extra: yield* extra },
      timeout: invokeTimeout
    })
  })

/** A readable sentence for an invocation failure, without infrastructure details. */
export const describeInvocationError = (what: string, error: InvocationError): Effect.Effect<string> => {
  switch (error._tag) {
    case "FunctionError":
      return Effect.succeed(`${what} failed: ${error.errorMessage}`)
    case "InvocationTimeout":
      return Effect.succeed(`${what} timed out after ${Math.round(error.timeoutMillis / 100) / 10} s`)
    case "InvocationThrottled":
      return Effect.succeed(`${what} is throttled; try again shortly`)
    case "FunctionNotFound":
      return Effect.succeed(`${what} is unavailable: its function '${error.functionName}' was not found`)
    case "InvocationFailed":
      return Effect.logError("Invocation failed", error).pipe(Effect.as(`${what} could not be invoked: ${error.reason}`))
  }
}
