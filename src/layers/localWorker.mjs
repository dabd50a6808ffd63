// @ts-check
/**
 * One local function's worker thread in `dev`, as a Lambda execution environment is one
 * function's: it loads the function file once, then runs one invocation at a time, keeping
 * the module's state between them. The server (`WorkerInvoker.ts`) gives it a heap limit and
 * ends it when an invocation overstays its timeout, so no function can take the server's
 * memory or stall its event loop.
 *
 * Started with `check` (a list of files) instead, it loads each and reports which fail to load or
 * export no handler, then ends: `dev` checks its directory at start without running function
 * code in its own process.
 *
 * Messages in: `invoke` (an event, its context, an id), `abort` (the caller went away: a
 * streaming handler sees its response stream destroyed). Out: `ready` or `failed` once, then
 * per invocation any `chunk`s (a streaming handler's bytes) and one `done`, with the answer as
 * JSON text (a buffered handler) or the function's error.
 */
import { PassThrough } from "node:stream"
import { parentPort, workerData } from "node:worker_threads"
import { callHandler, installAwsLambdaGlobal, isStreamingHandler, loadHandler, makeContext } from "./localRuntime.mjs"

const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort)
const { check, memoryLimitInMB, path } = /** @type {{ path: string, memoryLimitInMB: number, check?: ReadonlyArray<string> }} */ (workerData)

/** @param {unknown} error */
const describe = (error) => ({
  errorType: error instanceof Error ? error.name : "Error",
  errorMessage: error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error) ?? String(error)
})

/** The response streams of streaming invocations still running, by id. */
const streams = new Map()

/**
 * @param {Function} handler
 * @param {{ id: number, event: unknown, context: { awsRequestId: string, deadline: number, functionName: string, invokedFunctionArn: string } }} request
 */
const invoke = async (handler, { context, event, id }) => {
  const lambdaContext = makeContext({ ...context, memoryLimitInMB })
  if (!isStreamingHandler(handler)) {
    try {
      const result = await callHandler(handler, event, lambdaContext)
      let json
      try {
        // A value JSON has no text for (a function, a symbol) is null, as the runtime sends it.
        json = JSON.stringify(result ?? null) ?? "null"
      } catch (error) {
        port.postMessage({ type: "done", id, error: { errorType: "Runtime.MarshalError", errorMessage: `The result is not JSON: ${describe(error).errorMessage}` } })
        return
      }
      port.postMessage({ type: "done", id, json })
    } catch (error) {
      port.postMessage({ type: "done", id, error: describe(error) })
    }
    return
  }
  const body = new PassThrough()
  streams.set(id, body)
  body.on("data", (/** @type {Buffer} */ chunk) => port.postMessage({ type: "chunk", id, bytes: new Uint8Array(chunk) }))
  /** @type {unknown} */
  let failure
  const drained = new Promise((resolve) => {
    body.on("end", () => resolve(undefined))
    body.on("close", () => resolve(undefined))
    // A handler may fail by destroying its stream with an error, and return: the error is its answer.
    body.on("error", (error) => {
      failure ??= error
      resolve(undefined)
    })
  })
  try {
    await handler(event, body, lambdaContext)
  } catch (error) {
    failure ??= error
  }
  body.end()
  await drained
  streams.delete(id)
  port.postMessage(failure === undefined ? { type: "done", id } : { type: "done", id, error: describe(failure) })
}

/**
 * @param {Function} handler
 * @param {unknown} message
 */
const receive = (handler, message) => {
  const { id, type } = /** @type {{ type: string, id: number }} */ (message)
  if (type === "abort") streams.get(id)?.destroy()
  else if (type === "invoke") {
    const { context, event } = /** @type {{ event: string, context: { awsRequestId: string, deadline: number, functionName: string, invokedFunctionArn: string } }} */ (message)
    void invoke(handler, { id, event: JSON.parse(event), context })
  }
}

installAwsLambdaGlobal()
if (check !== undefined) {
  const problems = []
  for (const file of check) {
    try {
      await loadHandler(file)
    } catch (error) {
      problems.push({ path: file, reason: describe(error).errorMessage })
    }
  }
  port.postMessage({ type: "checked", problems })
} else loadHandler(path).then(
  (handler) => {
    port.on("message", (message) => receive(handler, message))
    port.postMessage({ type: "ready" })
  },
  (error) => port.postMessage({ type: "failed", reason: describe(error).errorMessage })
)
