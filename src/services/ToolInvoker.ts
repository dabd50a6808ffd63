/** Runs the function behind a registration. */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { InvocationError } from "../domain/errors.js"
import type { LambdaArn } from "../domain/LambdaArn.js"

export interface Invocation {
  readonly lambdaArn: LambdaArn
  /** The event the function receives (JSON). */
  readonly payload: unknown
  /** Overrides the invoker's default timeout. */
  readonly timeout?: Duration.DurationInput | undefined
}

export interface ToolInvokerShape {
  /** The function's JSON answer, or why there is none. */
  readonly invoke: (invocation: Invocation) => Effect.Effect<unknown, InvocationError>
  /**
   * The bytes a streaming function writes (Lambda `InvokeWithResponseStream`), as they come;
   * the stream fails with the function's error, or when it outlives the timeout. Interrupting
   * the stream abandons the invocation.
   */
  readonly invokeStream: (invocation: Invocation) => Stream.Stream<Uint8Array, InvocationError>
}

export class ToolInvoker extends Context.Tag("mcp-lambda-sam/ToolInvoker")<ToolInvoker, ToolInvokerShape>() {}
