// @ts-check
/**
 * How the Lambda Node.js runtime calls a handler, for functions run on this machine: the
 * `awslambda` global with `streamifyResponse`, loading a function file, and calling its
 * handler async or callback style. Plain JavaScript with no dependencies, because `dev`'s
 * function workers (`localWorker.mjs`) load it as it is, from the sources or the package;
 * `localRuntime.d.mts` gives its types.
 */
import { pathToFileURL } from "node:url"

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming")
const STREAM_RESPONSE = "response"

/** @param {unknown} handler */
export const isStreamingHandler = (handler) =>
  typeof handler === "function" && /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (handler))[STREAMING] === STREAM_RESPONSE

/**
 * Marks a handler as streaming, as `awslambda.streamifyResponse` does.
 * @template {Function} H
 * @param {H} handler
 * @returns {H}
 */
export const streamifyResponse = (handler) => Object.assign(handler, { [STREAMING]: STREAM_RESPONSE })

const localAwsLambda = {
  streamifyResponse,
  // Tool functions answer the MCP server, not an HTTP client: status and headers are not used.
  /** @param {unknown} stream */
  HttpResponseStream: { from: (stream) => stream }
}

/**
 * Gives functions loaded from now on an `awslambda` global with `streamifyResponse`, unless
 * one has it already (a real runtime, lambda-local). The AWS SDK may have created an empty
 * `awslambda` object first: that one is completed, not replaced.
 */
export const installAwsLambdaGlobal = () => {
  const global = /** @type {{ awslambda?: Record<string, unknown> }} */ (globalThis)
  if (typeof global.awslambda?.["streamifyResponse"] === "function") return
  global.awslambda = Object.assign(global.awslambda ?? {}, localAwsLambda)
}

/** A function file: `<name>.js`, `.mjs` or `.cjs`, the name as Lambda allows it. */
export const HANDLER_FILE = /^([A-Za-z0-9_-]{1,64})\.(js|mjs|cjs)$/

/**
 * The `handler` a function file exports (CommonJS modules arrive as `default`). Rejects with
 * a reason naming what is wrong: the file fails to load, or exports no handler.
 * @param {string} path
 */
export const loadHandler = async (path) => {
  /** @type {Record<string, unknown>} */
  let loaded
  try {
    loaded = await import(pathToFileURL(path).href)
  } catch (error) {
    throw new Error(`failed to load: ${error instanceof Error ? error.message : String(error)}`)
  }
  const fromDefault = /** @type {Record<string, unknown> | undefined} */ (loaded["default"])
  const handler = loaded["handler"] ?? fromDefault?.["handler"]
  if (typeof handler !== "function") throw new Error("exports no function named 'handler'")
  return handler
}

/** @param {unknown} value */
const isThenable = (value) =>
  typeof value === "object" && value !== null && typeof (/** @type {{ then?: unknown }} */ (value)).then === "function"

/**
 * Calls a buffered handler as the runtime does: `handler(event, context, callback)`. Its answer
 * is what it returns (a promise's value) or passes the callback, whichever comes first; a
 * handler of fewer than three parameters that returns a plain value answers with it. A throw,
 * a rejection or a callback error rejects.
 * @param {Function} handler
 * @param {unknown} event
 * @param {unknown} context
 * @returns {Promise<unknown>}
 */
export const callHandler = (handler, event, context) =>
  new Promise((resolve, reject) => {
    /** @param {unknown} error @param {unknown} [result] */
    const callback = (error, result) => (error === undefined || error === null ? resolve(result) : reject(error))
    // The boundary to user code: a synchronous throw is the function's error.
    try {
      const returned = handler(event, context, callback)
      if (isThenable(returned)) /** @type {PromiseLike<unknown>} */ (returned).then(resolve, reject)
      else if (handler.length < 3) resolve(returned)
    } catch (error) {
      reject(error)
    }
  })

/**
 * The `context` a handler gets.
 * @param {{ functionName: string, invokedFunctionArn: string, awsRequestId: string, deadline: number, memoryLimitInMB: number }} options
 */
export const makeContext = ({ awsRequestId, deadline, functionName, invokedFunctionArn, memoryLimitInMB }) => ({
  awsRequestId,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn,
  memoryLimitInMB: String(memoryLimitInMB),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: "local",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now())
})
