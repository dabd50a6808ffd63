/**
 * Lambda Function URLs ↔ web `Request`/`Response`: the one adapter between the HTTP apps and
 * the Lambda Node.js runtime, for both invoke modes.
 *
 * - RESPONSE_STREAM: `awslambda.streamifyResponse`; the first write (through
 *   `awslambda.HttpResponseStream.from`) fixes status and headers, then each body chunk is
 *   written as it comes, so SSE frames leave at once.
 * - BUFFERED (required inside a VPC): `{ statusCode, headers, body }`.
 */
import type { Writable } from "node:stream"
import { Context } from "effect"
import { Caller, type CallerIdentity, InvocationDeadline } from "./HostContext.js"

/** The parts of a Function URL event (payload format 2.0) the adapter reads. */
export interface FunctionUrlEvent {
  readonly version?: string
  readonly rawPath: string
  readonly rawQueryString?: string
  readonly headers?: Readonly<Record<string, string | undefined>>
  readonly cookies?: ReadonlyArray<string>
  readonly body?: string
  readonly isBase64Encoded?: boolean
  readonly requestContext: {
    readonly domainName?: string
    readonly http: { readonly method: string }
    readonly authorizer?: {
      readonly iam?: { readonly userArn?: string; readonly accountId?: string }
    }
  }
}

/** The parts of the Lambda context the adapter reads. */
export interface LambdaInvocationContext {
  readonly getRemainingTimeInMillis: () => number
}

export interface BufferedResult {
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly body: string
  readonly isBase64Encoded: boolean
}

/** What a web handler from `HttpApp.toWebHandler…` is. */
export type WebHandler = (request: Request, context?: Context.Context<never>) => Promise<Response>

/** Principal of an anonymous caller (a Function URL with `AuthType: NONE`). */
export const ANONYMOUS = "anonymous"

export const callerOf = (event: FunctionUrlEvent): CallerIdentity => {
  const iam = event.requestContext.authorizer?.iam
  return iam?.userArn === undefined ? { principal: ANONYMOUS } : { principal: iam.userArn, accountId: iam.accountId }
}

export const toRequest = (event: FunctionUrlEvent): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name, value)
  }
  if (event.cookies !== undefined && event.cookies.length > 0) headers.set("cookie", event.cookies.join("; "))
  const host = event.requestContext.domainName ?? headers.get("host") ?? "lambda-url.local"
  const query = event.rawQueryString === undefined || event.rawQueryString === "" ? "" : `?${event.rawQueryString}`
  const method = event.requestContext.http.method.toUpperCase()
  const hasBody = method !== "GET" && method !== "HEAD" && event.body !== undefined
  return new Request(`https://${host}${event.rawPath}${query}`, {
    method,
    headers,
    ...(hasBody
      ? { body: event.isBase64Encoded === true ? Buffer.from(event.body!, "base64") : event.body! }
      : {})
  })
}

/** The per-request services a host gives the apps: who calls, and when the invocation ends. */
export const requestContext = (event: FunctionUrlEvent, context: LambdaInvocationContext) =>
  Context.make(Caller, callerOf(event)).pipe(
    Context.add(InvocationDeadline, { remainingMillis: () => context.getRemainingTimeInMillis() })
  ) as Context.Context<never>

const headersOf = (response: Response) => {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value
  })
  return headers
}

// ---------------------------------------------------------------------------
// The Lambda runtime's streaming globals

export interface ResponseStreamMetadata {
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly cookies?: ReadonlyArray<string>
}

export interface AwsLambdaGlobal {
  readonly streamifyResponse: (
    handler: (event: FunctionUrlEvent, responseStream: Writable, context: LambdaInvocationContext) => Promise<void>
  ) => unknown
  readonly HttpResponseStream: { readonly from: (stream: Writable, metadata: ResponseStreamMetadata) => Writable }
}

export const awslambda = (): AwsLambdaGlobal | undefined =>
  (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda

const waitForDrain = (stream: Writable) =>
  new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done)
      stream.off("close", done)
      resolve()
    }
    stream.once("drain", done)
    stream.once("close", done)
  })

/**
 * Writes a web Response to a Lambda response stream, chunk by chunk. When the client goes
 * away (the stream closes or errors), the body is cancelled, which ends the app's stream.
 */
export const writeResponse = async (response: Response, responseStream: Writable, lambda: AwsLambdaGlobal) => {
  const cookies = response.headers.getSetCookie()
  const stream = lambda.HttpResponseStream.from(responseStream, {
    statusCode: response.status,
    headers: headersOf(response),
    ...(cookies.length > 0 ? { cookies } : {})
  })
  const reader = response.body?.getReader()
  if (reader !== undefined) {
    let gone = false
    const cancel = () => {
      gone = true
      void reader.cancel().catch(() => undefined)
    }
    stream.once("close", cancel)
    stream.once("error", cancel)
    try {
      for (;;) {
        const next = await reader.read()
        if (next.done || gone) break
        if (!stream.write(next.value)) await waitForDrain(stream)
      }
    } finally {
      stream.off("close", cancel)
      stream.off("error", cancel)
    }
  }
  // A destroyed stream (the client left) never calls back from end(): nothing is left to flush.
  if (stream.destroyed) return
  await new Promise<void>((resolve) => {
    stream.once("close", () => resolve())
    stream.end(() => resolve())
  })
}

/** A RESPONSE_STREAM handler. Needs the runtime's `awslambda` global (lambda-local provides one too). */
export const streamingHandler = (run: WebHandler) => {
  const lambda = awslambda()
  if (lambda === undefined) {
    throw new Error("awslambda.streamifyResponse is not available: run under the Lambda Node.js runtime or set INVOKE_MODE=BUFFERED")
  }
  return lambda.streamifyResponse(async (event, responseStream, context) => {
    const response = await run(toRequest(event), requestContext(event, context))
    await writeResponse(response, responseStream, lambda)
  })
}

const TEXTUAL = /^(text\/|application\/(json|problem\+json|javascript|xml))/

/** A BUFFERED handler: the whole response at once. */
export const bufferedHandler = (run: WebHandler) =>
async (event: FunctionUrlEvent, context: LambdaInvocationContext): Promise<BufferedResult> => {
  const response = await run(toRequest(event), requestContext(event, context))
  const body = Buffer.from(await response.arrayBuffer())
  const textual = TEXTUAL.test(response.headers.get("content-type") ?? "text/plain")
  return {
    statusCode: response.status,
    headers: headersOf(response),
    body: textual ? body.toString("utf8") : body.toString("base64"),
    isBase64Encoded: !textual
  }
}
