/**
 * A loopback stand-in for Lambda's `InvokeWithResponseStream` (moto has none), speaking its wire
 * format so the real SDK client decodes it: `POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations`
 * answers 200 `application/vnd.amazon.eventstream` with AWS event-stream messages — `PayloadChunk`
 * (the body is the function's raw bytes) and a final `InvokeComplete` (a JSON body with
 * `ErrorCode`, `ErrorDetails`, `LogResult`). A failure before streaming is a JSON error with
 * `x-amzn-errortype`, as Lambda sends it. A function without a script is not found.
 */
import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"
import { randomUUID } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** What the stand-in does next while answering one invocation. */
export type Step =
  | { readonly _tag: "Chunk"; readonly bytes: Uint8Array }
  | { readonly _tag: "Complete"; readonly fields: CompleteFields }
  | { readonly _tag: "Reject"; readonly status: number; readonly errorType: string; readonly message: string }
  /** Destroys the socket: the connection breaks mid-stream. */
  | { readonly _tag: "Drop" }
  /** Sends nothing more and never ends the response. */
  | { readonly _tag: "Stall" }

/** `InvokeWithResponseStreamCompleteEvent`'s members. */
export interface CompleteFields {
  readonly ErrorCode?: string
  readonly ErrorDetails?: string
  readonly LogResult?: string
}

export const chunk = (data: string | Uint8Array): Step => ({
  _tag: "Chunk",
  bytes: typeof data === "string" ? fromUtf8(data) : data
})
export const complete = (fields: CompleteFields = {}): Step => ({ _tag: "Complete", fields })
export const reject = (status: number, errorType: string, message: string): Step => ({ _tag: "Reject", status, errorType, message })
export const drop: Step = { _tag: "Drop" }
export const stall: Step = { _tag: "Stall" }

/** The steps for a function's `attempt`th invocation (from 1). */
export type Script = ReadonlyArray<Step> | ((attempt: number) => ReadonlyArray<Step>)

export interface ReceivedInvocation {
  /** As the request path names it (an ARN or a name), decoded. */
  readonly functionName: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** Settles when the connection behind this invocation closes; `ended` if the stand-in ended the response itself. */
  readonly closed: Promise<{ readonly ended: boolean }>
}

export interface LambdaStreamStandIn {
  readonly endpoint: string
  readonly invocations: ReadonlyArray<ReceivedInvocation>
  /** Settles with the `count`th invocation once its steps up to a `Stall` (if any) are sent. */
  readonly invoked: (count: number) => Promise<ReceivedInvocation>
  readonly close: () => Promise<void>
}

const PATH = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or a bare name → the name. */
const functionNameOf = (named: string) => (named.startsWith("arn:") ? (named.split(":")[6] ?? named) : named)

const codec = new EventStreamCodec(toUtf8, fromUtf8)

const eventHeaders = (eventType: string, contentType: string): MessageHeaders => ({
  ":event-type": { type: "string", value: eventType },
  ":message-type": { type: "string", value: "event" },
  ":content-type": { type: "string", value: contentType }
})

const messageOf = (step: Step & { readonly _tag: "Chunk" | "Complete" }) =>
  step._tag === "Chunk"
    ? codec.encode({ headers: eventHeaders("PayloadChunk", "application/octet-stream"), body: step.bytes })
    : codec.encode({ headers: eventHeaders("InvokeComplete", "application/json"), body: fromUtf8(JSON.stringify(step.fields)) })

/** Resolves once the bytes are handed to the socket, so a following `Drop` cannot discard them. */
const write = (response: ServerResponse, bytes: Uint8Array) =>
  new Promise<void>((resolve, reject) => response.write(bytes, (error) => (error ? reject(error) : resolve())))

const sendError = (response: ServerResponse, status: number, errorType: string, message: string) => {
  response.writeHead(status, {
    "Content-Type": "application/json",
    "x-amzn-errortype": errorType,
    "x-amzn-RequestId": randomUUID()
  })
  response.end(JSON.stringify({ Type: "User", message }))
}

export const serveLambdaStream = async (scripts: Readonly<Record<string, Script>>): Promise<LambdaStreamStandIn> => {
  const invocations: Array<ReceivedInvocation> = []
  const attempts = new Map<string, number>()
  const waiting = new Set<{ readonly count: number; readonly resolve: (invocation: ReceivedInvocation) => void }>()
  let ready = 0

  const markReady = () => {
    ready++
    for (const waiter of waiting) {
      if (waiter.count > ready) continue
      waiting.delete(waiter)
      waiter.resolve(invocations[waiter.count - 1]!)
    }
  }

  const answer = async (response: ServerResponse, steps: ReadonlyArray<Step>) => {
    for (const step of steps) {
      if (response.destroyed) return
      switch (step._tag) {
        case "Reject":
          sendError(response, step.status, step.errorType, step.message)
          markReady()
          return
        case "Drop":
          markReady()
          response.socket?.destroy()
          return
        case "Stall":
          markReady()
          return
        case "Chunk":
        case "Complete":
          if (!response.headersSent) {
            response.writeHead(200, {
              "Content-Type": "application/vnd.amazon.eventstream",
              "X-Amz-Executed-Version": "$LATEST",
              "x-amzn-RequestId": randomUUID()
            })
          }
          await write(response, messageOf(step))
      }
    }
    response.end()
    markReady()
  }

  const server = createServer(async (request, response) => {
    const closed = new Promise<{ readonly ended: boolean }>((resolve) =>
      response.once("close", () => resolve({ ended: response.writableEnded })))
    const chunks: Array<Buffer> = []
    for await (const part of request) chunks.push(part as Buffer)
    const match = PATH.exec(new URL(request.url ?? "/", "http://lambda").pathname)
    if (request.method !== "POST" || match === null) {
      sendError(response, 404, "UnknownOperationException", `no such operation: ${request.method} ${request.url}`)
      return
    }
    const functionName = decodeURIComponent(match[1]!)
    const invocation: ReceivedInvocation = { functionName, headers: request.headers, body: Buffer.concat(chunks), closed }
    invocations.push(invocation)
    const script = scripts[functionNameOf(functionName)]
    if (script === undefined) {
      sendError(response, 404, "ResourceNotFoundException", `Function not found: ${functionName}`)
      markReady()
      return
    }
    const attempt = (attempts.get(functionName) ?? 0) + 1
    attempts.set(functionName, attempt)
    await answer(response, typeof script === "function" ? script(attempt) : script).catch(() => {
      // The client went away mid-answer; `closed` reports it.
    })
  })

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    invoked: (count) =>
      new Promise((resolve) => {
        if (ready >= count) resolve(invocations[count - 1]!)
        else waiting.add({ count, resolve })
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}
