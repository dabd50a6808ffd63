/**
 * Lambda Function URLs ↔ the HTTP apps (`LambdaExchange.ts`: the platform's request made from
 * the event, the app's response sent as it is): the one adapter between the apps and the Lambda
 * Node.js runtime, for both invoke modes.
 *
 * - RESPONSE_STREAM: `awslambda.streamifyResponse`; the first write (through
 *   `awslambda.HttpResponseStream.from`) fixes status and headers, then each body chunk is
 *   written as it comes, so SSE frames leave at once.
 * - BUFFERED (required inside a VPC): `{ statusCode, headers, body }`.
 *
 * Events are decoded, not trusted: one that is not a Function URL request is answered 400
 * (and logged) instead of failing the invocation.
 */
import { Readable, type Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Context from "effect/Context"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { BackgroundWork, Caller, type CallerIdentity, InvocationDeadline } from "./HostContext.js"
import { type AppRunner, type Reply, serverRequest } from "./LambdaExchange.js"
import { decodeUnknownEither, describeParseError } from "../domain/Decode.js"

/** The parts of a Function URL event (payload format 2.0) the adapter reads; other fields are ignored. */
export const FunctionUrlEvent = Schema.Struct({
  version: Schema.optional(Schema.Literal("2.0")),
  // The path is appended to the host: anything else would name another host.
  rawPath: Schema.String.pipe(Schema.startsWith("/")),
  rawQueryString: Schema.optional(Schema.String),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.UndefinedOr(Schema.String) })),
  cookies: Schema.optional(Schema.Array(Schema.String)),
  body: Schema.optional(Schema.String),
  isBase64Encoded: Schema.optional(Schema.Boolean),
  requestContext: Schema.Struct({
    domainName: Schema.optional(Schema.String),
    http: Schema.Struct({ method: Schema.NonEmptyString }),
    authorizer: Schema.optional(Schema.Struct({
      iam: Schema.optional(Schema.Struct({
        userArn: Schema.optional(Schema.String),
        accountId: Schema.optional(Schema.String)
      }))
    }))
  }).annotations({ identifier: "RequestContext" })
}).annotations({ identifier: "FunctionUrlEvent" })

export type FunctionUrlEvent = typeof FunctionUrlEvent.Type

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


/** Principal of an anonymous caller (a Function URL with `AuthType: NONE`). */
export const ANONYMOUS = "anonymous"

export const callerOf = (event: FunctionUrlEvent): CallerIdentity => {
  const iam = event.requestContext.authorizer?.iam
  return iam?.userArn === undefined ? { principal: ANONYMOUS } : { principal: iam.userArn, accountId: iam.accountId }
}

/** The request an event stands for (throws a `TypeError` for one HTTP forbids, as a web `Request` would). */
export const toRequest = (event: FunctionUrlEvent): HttpServerRequest.HttpServerRequest => {
  const headers: Record<string, string | undefined> = { ...event.headers }
  if (event.cookies !== undefined && event.cookies.length > 0) headers["cookie"] = event.cookies.join("; ")
  const query = event.rawQueryString === undefined || event.rawQueryString === "" ? "" : `?${event.rawQueryString}`
  return serverRequest({
    method: event.requestContext.http.method,
    host: event.requestContext.domainName,
    pathAndQuery: `${event.rawPath}${query}`,
    headers,
    body: event.body === undefined ? undefined : event.isBase64Encoded === true ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8")
  })
}

/**
 * The per-request services a host gives the apps: who calls, when the invocation ends, and
 * where work that outlives the response is kept (`background`, awaited before returning).
 */
export const requestContext = (
  event: FunctionUrlEvent,
  context: LambdaInvocationContext,
  background: Set<Promise<unknown>> = new Set()
) =>
  Context.make(Caller, callerOf(event)).pipe(
    Context.add(InvocationDeadline, { remainingMillis: () => context.getRemainingTimeInMillis() }),
    Context.add(BackgroundWork, {
      keep: (work) => {
        background.add(work)
        void work.finally(() => background.delete(work))
      }
    })
  ) as Context.Context<never>

/** Waits for the request's background work, but not past the invocation's last second. */
const settle = async (background: Set<Promise<unknown>>, context: LambdaInvocationContext) => {
  if (background.size === 0) return
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, context.getRemainingTimeInMillis() - 1000))
  })
  await Promise.race([Promise.allSettled([...background]), deadline])
  clearTimeout(timer)
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
    handler: (event: unknown, responseStream: Writable, context: LambdaInvocationContext) => Promise<void>
  ) => unknown
  readonly HttpResponseStream: { readonly from: (stream: Writable, metadata: ResponseStreamMetadata) => Writable }
}

export const awslambda = (): AwsLambdaGlobal | undefined =>
  (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda

/**
 * Writes a reply to a Lambda response stream, chunk by chunk. When the client goes away (the
 * stream closes or errors), a streamed body is cancelled, which ends the app's stream, and the
 * write ends quietly; a failure of the body itself is rethrown.
 */
export const writeResponse = async (response: Reply, responseStream: Writable, lambda: AwsLambdaGlobal) => {
  const stream = lambda.HttpResponseStream.from(responseStream, {
    statusCode: response.status,
    headers: { ...response.headers },
    ...(response.cookies.length > 0 ? { cookies: response.cookies } : {})
  })
  // Destroying this source (pipeline does when the stream goes first) cancels a streamed body.
  const body = response.body === undefined
    ? Readable.from([])
    : response.body instanceof Uint8Array
    ? Readable.from([response.body])
    : Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
  // The body failed before the stream did: the app's error, not a departed client.
  let bodyFailed = false
  body.once("error", () => {
    if (!stream.destroyed) bodyFailed = true
  })
  await pipeline(body, stream).catch((error: unknown) => {
    if (bodyFailed) throw error
  })
}

// ---------------------------------------------------------------------------
// Handlers

const decodeEvent = decodeUnknownEither(FunctionUrlEvent, { errors: "all" })


interface Invocation {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly services: Context.Context<never>
  readonly background: Set<Promise<unknown>>
}

/** The request an event stands for, with its per-request services, or why there is none. */
const invocationOf = (event: unknown, context: LambdaInvocationContext): Either.Either<Invocation, string> =>
  decodeEvent(event).pipe(
    Either.mapLeft((error) => describeParseError(error, "event")),
    Either.flatMap((decoded) =>
      Either.try({
        // `toRequest` rejects what the schema lets through, e.g. an invalid method or header.
        try: () => {
          const background = new Set<Promise<unknown>>()
          return { request: toRequest(decoded), services: requestContext(decoded, context, background), background }
        },
        catch: (cause) => `event: not a valid request (${cause instanceof Error ? cause.message : String(cause)})`
      })
    )
  )

const badRequest = (reason: string) => {
  console.error(JSON.stringify({ message: "Rejected a malformed Function URL event", logLevel: "ERROR", reason }))
  const reply: Reply = {
    status: 400,
    headers: { "content-type": "application/json" },
    cookies: [],
    body: Buffer.from(JSON.stringify({ error: "BadRequest", message: reason }))
  }
  return reply
}

/** A reply's whole body (a streamed one read to its end). */
const bytesOf = async (body: Reply["body"]): Promise<Buffer> => {
  if (body === undefined) return Buffer.alloc(0)
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const chunks: Array<Uint8Array> = []
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** The app's response, and a promise of the work it left running. */
const respond = (run: AppRunner, event: unknown, context: LambdaInvocationContext) =>
  Either.match(invocationOf(event, context), {
    onLeft: (reason) => ({ response: Promise.resolve(badRequest(reason)), settled: () => Promise.resolve() }),
    onRight: ({ background, request, services }) => ({ response: run(request, services), settled: () => settle(background, context) })
  })

/** A RESPONSE_STREAM handler. Needs the runtime's `awslambda` global (lambda-local provides one too). */
export const streamingHandler = (run: AppRunner) => {
  const lambda = awslambda()
  if (lambda === undefined) {
    throw new Error("awslambda.streamifyResponse is not available: run under the Lambda Node.js runtime or set INVOKE_MODE=BUFFERED")
  }
  return lambda.streamifyResponse(async (event, responseStream, context) => {
    const { response, settled } = respond(run, event, context)
    await writeResponse(await response, responseStream, lambda)
    await settled()
  })
}

const TEXTUAL = /^(text\/|application\/(json|problem\+json|javascript|xml))/

/** A BUFFERED handler: the whole response at once. */
export const bufferedHandler = (run: AppRunner) =>
async (event: unknown, context: LambdaInvocationContext): Promise<BufferedResult> => {
  const { response: pending, settled } = respond(run, event, context)
  const response = await pending
  const body = await bytesOf(response.body)
  await settled()
  const textual = TEXTUAL.test(response.headers["content-type"] ?? "text/plain")
  return {
    statusCode: response.status,
    headers: { ...response.headers },
    body: textual ? body.toString("utf8") : body.toString("base64"),
    isBase64Encoded: !textual
  }
}
