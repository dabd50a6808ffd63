/**
 * The Lambda Node.js runtime's `awslambda` global, for functions run in this process: a
 * handler wrapped with `awslambda.streamifyResponse` is a streaming function (it writes its
 * answer to a response stream), marked the way the runtime marks it.
 */
import type { Writable } from "node:stream"

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming")
const STREAM_RESPONSE = "response"

export type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => unknown

export const isStreamingHandler = (handler: unknown): handler is StreamingHandler =>
  typeof handler === "function" && (handler as unknown as Record<symbol, unknown>)[STREAMING] === STREAM_RESPONSE

/** Marks a handler as streaming, as `awslambda.streamifyResponse` does. */
export const streamifyResponse = <H extends StreamingHandler>(handler: H): H => Object.assign(handler, { [STREAMING]: STREAM_RESPONSE })

const localAwsLambda = {
  streamifyResponse,
  // Tool functions answer the MCP server, not an HTTP client: status and headers are not used.
  HttpResponseStream: { from: (stream: Writable) => stream }
}

/**
 * Gives functions loaded from now on an `awslambda` global with `streamifyResponse`, unless
 * one has it already (a real runtime, lambda-local). The AWS SDK may have created an empty
 * `awslambda` object first: that one is completed, not replaced.
 */
export const installAwsLambdaGlobal = () => {
  const global = globalThis as { awslambda?: Record<string, unknown> }
  if (typeof global.awslambda?.["streamifyResponse"] === "function") return
  global.awslambda = Object.assign(global.awslambda ?? {}, localAwsLambda)
}
