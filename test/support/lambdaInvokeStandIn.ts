/**
 * A loopback stand-in for Lambda's `Invoke` API that runs JavaScript functions given by the test
 * (moto's Lambda only echoes payloads, so it cannot run a function that asks questions). It speaks
 * the wire format the SDK's `InvokeCommand` decodes: `POST /2015-03-31/functions/{FunctionName}/invocations`
 * with the payload as the body. `RequestResponse` answers 200 with the function's JSON as the body
 * (`null` for `undefined`); a function that throws answers 200 with `X-Amz-Function-Error: Unhandled`
 * and `{ errorType, errorMessage, trace }`, as the Node.js runtime reports an error. `Event` answers
 * 202 and runs the function without waiting; `DryRun` answers 204. An unknown function is a 404
 * `ResourceNotFoundException` (`x-amzn-errortype`, as Lambda sends it).
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** What the function sees besides its event. */
export interface StandInContext {
  /** The function's name (from a name or an ARN in the path). */
  readonly functionName: string
  /** This function's invocation count, from 1. */
  readonly attempt: number
}

export type StandInFunction = (event: unknown, context: StandInContext) => unknown

export interface InvokeRequest {
  /** As the request path names it (an ARN or a name), decoded. */
  readonly functionName: string
  readonly headers: IncomingHttpHeaders
  /** The payload, parsed (`null` when empty). */
  readonly event: unknown
}

export interface LambdaInvokeStandIn {
  readonly endpoint: string
  /** Every invocation received, in order, known functions or not. */
  readonly invocations: ReadonlyArray<InvokeRequest>
  /** The invocations of one function (by name). */
  readonly invocationsOf: (functionName: string) => ReadonlyArray<InvokeRequest>
  /** Settles once `count` invocations of `functionName` have answered. */
  readonly answered: (functionName: string, count: number) => Promise<void>
  readonly close: () => Promise<void>
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or a bare name → the name. */
const functionNameOf = (named: string) => (named.startsWith("arn:") ? (named.split(":")[6] ?? named) : named)

const requestIdHeader = () => ({ "x-amzn-RequestId": randomUUID() })

const sendError = (response: ServerResponse, status: number, errorType: string, message: string) => {
  response.writeHead(status, { "Content-Type": "application/json", "x-amzn-errortype": errorType, ...requestIdHeader() })
  response.end(JSON.stringify({ Type: "User", message }))
}

/** The Node.js runtime's report of a thrown value. */
const errorPayloadOf = (error: unknown) =>
  error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? "").split("\n") }
    : { errorType: "Error", errorMessage: String(error), trace: [] }

export const serveLambdaInvoke = async (functions: Readonly<Record<string, StandInFunction>>): Promise<LambdaInvokeStandIn> => {
  const invocations: Array<InvokeRequest> = []
  const answeredCounts = new Map<string, number>()
  const waiting = new Set<{ readonly functionName: string; readonly count: number; readonly resolve: () => void }>()

  const markAnswered = (functionName: string) => {
    answeredCounts.set(functionName, (answeredCounts.get(functionName) ?? 0) + 1)
    for (const waiter of waiting) {
      if (waiter.functionName !== functionName || (answeredCounts.get(functionName) ?? 0) < waiter.count) continue
      waiting.delete(waiter)
      waiter.resolve()
    }
  }

  const runFunction = async (fn: StandInFunction, event: unknown, context: StandInContext) => {
    try {
      return { ok: true as const, value: await fn(event, context) }
    } catch (error) {
      return { ok: false as const, error }
    }
  }

  const server = createServer(async (request, response) => {
    const chunks: Array<Buffer> = []
    for await (const part of request) chunks.push(part as Buffer)
    const match = PATH.exec(new URL(request.url ?? "/", "http://lambda").pathname)
    if (request.method !== "POST" || match === null) {
      sendError(response, 404, "UnknownOperationException", `no such operation: ${request.method} ${request.url}`)
      return
    }
    const named = decodeURIComponent(match[1]!)
    const text = Buffer.concat(chunks).toString("utf8")
    let event: unknown
    try {
      event = text === "" ? null : JSON.parse(text)
    } catch {
      sendError(response, 400, "InvalidRequestContentException", "Could not parse request body into json")
      return
    }
    invocations.push({ functionName: named, headers: request.headers, event })
    const functionName = functionNameOf(named)
    const handler = functions[functionName]
    if (handler === undefined) {
      sendError(response, 404, "ResourceNotFoundException", `Function not found: ${named}`)
      return
    }
    const invocationType = request.headers["x-amz-invocation-type"] ?? "RequestResponse"
    if (invocationType === "DryRun") {
      response.writeHead(204, requestIdHeader())
      response.end()
      return
    }
    const attempt = invocations.filter((invocation) => functionNameOf(invocation.functionName) === functionName).length
    const running = runFunction(handler, event, { functionName, attempt })
    if (invocationType === "Event") {
      response.writeHead(202, requestIdHeader())
      response.end()
      void running.then(() => markAnswered(functionName))
      return
    }
    const outcome = await running
    const headers = { "Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST", ...requestIdHeader() }
    if (outcome.ok) {
      response.writeHead(200, headers)
      response.end(JSON.stringify(outcome.value ?? null))
    } else {
      response.writeHead(200, { ...headers, "X-Amz-Function-Error": "Unhandled" })
      response.end(JSON.stringify(errorPayloadOf(outcome.error)))
    }
    markAnswered(functionName)
  })

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    invocationsOf: (functionName) => invocations.filter((invocation) => functionNameOf(invocation.functionName) === functionName),
    answered: (functionName, count) =>
      new Promise((resolve) => {
        if ((answeredCounts.get(functionName) ?? 0) >= count) resolve()
        else waiting.add({ functionName, count, resolve })
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}
