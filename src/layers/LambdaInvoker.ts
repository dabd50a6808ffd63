/**
 * Invokes registered functions through the Lambda API (`Invoke`, `RequestResponse`, and
 * `InvokeWithResponseStream` for streaming functions).
 * The function's answer is JSON; a `FunctionError` becomes a FunctionError with the function's
 * own `errorType` and `errorMessage`; throttling is retried with backoff, then reported; a
 * payload over Lambda's 6 MB limit is refused before any call; each call has a timeout.
 */
import type { InvokeWithResponseStreamResponseEvent, LambdaClientConfig } from "@aws-sdk/client-lambda"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import {
  FunctionError,
  FunctionNotFound,
  InvocationDenied,
  type InvocationError,
  InvocationFailed,
  InvocationThrottled,
  InvocationTimeout
} from "../domain/errors.js"
import { allows, describePatterns } from "../domain/FunctionPattern.js"
import { functionNameOf, type LambdaArn } from "../domain/LambdaArn.js"
import { toolFunctionPatterns } from "../services/RegistrationPolicy.js"
import { type Invocation, ToolInvoker, type ToolInvokerShape } from "../services/ToolInvoker.js"
import * as Settings from "../Settings.js"
import { LambdaApi, lazyLambdaClient, type LambdaSend } from "./LambdaApi.js"

/** Lambda's limit for a synchronous invocation's request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024

export interface LambdaInvokerOptions {
  readonly client?: LambdaClientConfig | undefined
  /** Per invocation, unless the call names its own. Default `INVOKE_TIMEOUT_SECONDS`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Attempts for a throttled invocation (default 4), with jittered exponential backoff from `backoff`. */
  readonly attempts?: number | undefined
  readonly backoff?: Duration.DurationInput | undefined
}

const THROTTLED = new Set(["TooManyRequestsException", "EC2ThrottledException", "ThrottlingException"])
const NOT_FOUND = new Set(["ResourceNotFoundException"])
/** IAM (or a KMS key policy) refused this role the call. */
const DENIED = new Set(["AccessDeniedException", "AccessDenied", "KMSAccessDeniedException"])

const decoder = new TextDecoder()

class Throttled {
  readonly _tag = "Throttled"
}

const describeCause = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))

export type { LambdaSend }

export const make = (client: LambdaSend, options: LambdaInvokerOptions = {}): ToolInvokerShape => {
  const defaultTimeout = Duration.decode(options.timeout ?? Duration.seconds(Settings.DEFAULTS.INVOKE_TIMEOUT_SECONDS))
  const attempts = options.attempts ?? 4
  const backoff = options.backoff ?? Duration.millis(100)

  /** The request body, refused before any call when it is over Lambda's limit. */
  const bodyOf = (functionName: string, invocation: Invocation) => {
    const body = Buffer.from(JSON.stringify(invocation.payload ?? null), "utf8")
    return body.byteLength > MAX_PAYLOAD_BYTES
      ? Effect.fail(
        new InvocationFailed({
          functionName,
          reason: `the request is ${body.byteLength} bytes, over Lambda's ${MAX_PAYLOAD_BYTES}-byte limit`,
          cause: null
        })
      )
      : Effect.succeed(body)
  }

  const timeoutOf = (invocation: Invocation) =>
    invocation.timeout === undefined ? defaultTimeout : Duration.decode(invocation.timeout)

  const timedOut = (functionName: string, timeout: Duration.Duration) =>
    new InvocationTimeout({ functionName, timeoutMillis: Duration.toMillis(timeout) })

  const classify = (functionName: string) => (cause: unknown): Throttled | FunctionNotFound | InvocationDenied | InvocationFailed => {
    const name = cause instanceof Error ? cause.name : ""
    if (THROTTLED.has(name)) return new Throttled()
    if (NOT_FOUND.has(name)) return new FunctionNotFound({ functionName })
    if (DENIED.has(name)) return new InvocationDenied({ functionName, reason: describeCause(cause), cause })
    if (name === "RequestEntityTooLargeException") {
      return new InvocationFailed({ functionName, reason: "the request is too large for Lambda", cause })
    }
    return new InvocationFailed({ functionName, reason: describeCause(cause), cause })
  }

  /** One call to the Lambda API, throttling retried with backoff. */
  const send = <A>(functionName: string, call: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: call, catch: classify(functionName) }).pipe(
      Effect.retry({
        schedule: Schedule.exponential(backoff).pipe(Schedule.jittered),
        times: attempts - 1,
        while: (error) => error instanceof Throttled
      }),
      Effect.catchIf((error): error is Throttled => error instanceof Throttled, () => Effect.fail(new InvocationThrottled({ functionName })))
    )

  const invoke = Effect.fn("ToolInvoker.invoke")(function* (invocation: Invocation) {
    const functionName = functionNameOf(invocation.lambdaArn)
    yield* Effect.annotateCurrentSpan("functionName", functionName)
    const body = yield* bodyOf(functionName, invocation)
    const timeout = timeoutOf(invocation)
    const { InvokeCommand } = yield* LambdaApi
    const output = yield* send(functionName, (signal) =>
      client.send(
        new InvokeCommand({ FunctionName: invocation.lambdaArn, InvocationType: "RequestResponse", Payload: body }),
        { abortSignal: signal }
      )).pipe(Effect.timeoutFail({ duration: timeout, onTimeout: () => timedOut(functionName, timeout) }))

    const text = output.Payload === undefined ? "" : decoder.decode(output.Payload)
    const answer = yield* Effect.try({
      try: () => (text === "" ? null : JSON.parse(text) as unknown),
      catch: (cause) => new InvocationFailed({ functionName, reason: "the function's answer is not JSON", cause })
    })
    if (output.FunctionError !== undefined) {
      const error = typeof answer === "object" && answer !== null ? answer as Record<string, unknown> : {}
      return yield* new FunctionError({
        functionName,
        errorType: typeof error["errorType"] === "string" ? error["errorType"] : output.FunctionError,
        errorMessage: typeof error["errorMessage"] === "string" ? error["errorMessage"] : text
      })
    }
    return answer
  })

  /** A chunk of the function's stream, or the function's error that ends it. */
  const chunkOf = (functionName: string) => (event: InvokeWithResponseStreamResponseEvent) => {
    if (event.PayloadChunk?.Payload !== undefined) return Effect.succeed(Option.some(event.PayloadChunk.Payload))
    const code = event.InvokeComplete?.ErrorCode
    if (code !== undefined && code !== "") {
      const details = event.InvokeComplete?.ErrorDetails ?? ""
      const parsed = Option.getOrUndefined(Option.liftThrowable(() => JSON.parse(details) as unknown)())
      const fields = typeof parsed === "object" && parsed !== null ? parsed as Record<string, unknown> : {}
      return Effect.fail(
        new FunctionError({
          functionName,
          errorType: typeof fields["errorType"] === "string" ? fields["errorType"] : code,
          errorMessage: typeof fields["errorMessage"] === "string" ? fields["errorMessage"] : details || code
        })
      )
    }
    return Effect.succeed(Option.none<Uint8Array>())
  }

  const invokeStream = (invocation: Invocation): Stream.Stream<Uint8Array, InvocationError> => {
    const functionName = functionNameOf(invocation.lambdaArn)
    const timeout = timeoutOf(invocation)
    return Stream.unwrapScoped(Effect.gen(function* () {
      const body = yield* bodyOf(functionName, invocation)
      // Aborted when the stream is dropped (a cancelled call), so the connection closes.
      const abort = yield* Effect.acquireRelease(Effect.sync(() => new AbortController()), (controller) =>
        Effect.sync(() => controller.abort()))
      const { InvokeWithResponseStreamCommand } = yield* LambdaApi
      const output = yield* send(functionName, () =>
        client.send(
          new InvokeWithResponseStreamCommand({ FunctionName: invocation.lambdaArn, InvocationType: "RequestResponse", Payload: body }),
          { abortSignal: abort.signal }
        ))
      const events = output.EventStream
      if (events === undefined) return Stream.empty
      // Read with `next` alone, not `Stream.fromAsyncIterable`: that calls the SDK iterator's
      // `return` when the stream stops, which an async generator queues behind a pending read, so a
      // timeout or cancellation while the function is quiet would wait forever. Aborting the
      // request (above) ends the read instead.
      const iterator = events[Symbol.asyncIterator]()
      const next = Effect.tryPromise({ try: () => iterator.next(), catch: (cause) => Option.some(classify(functionName)(cause)) }).pipe(
        Effect.flatMap((result) => result.done === true ? Effect.fail(Option.none()) : Effect.succeed(result.value))
      )
      return Stream.repeatEffectOption(next).pipe(
        Stream.mapError((error) => error instanceof Throttled ? new InvocationThrottled({ functionName }) : error),
        Stream.mapEffect(chunkOf(functionName)),
        Stream.filterMap((chunk) => chunk)
      )
    })).pipe(Stream.interruptWhen(Effect.flatMap(Effect.sleep(timeout), () => Effect.fail(timedOut(functionName, timeout)))))
  }

  return { invoke, invokeStream }
}

/**
 * `invoker`, refusing before any call the functions `refuse` names a reason for (an
 * `InvocationDenied`): registrations made before the allowlist narrowed, or written to the
 * table directly, cannot reach functions outside it.
 */
export const restrict = (invoker: ToolInvokerShape, refuse: (arn: LambdaArn) => string | undefined): ToolInvokerShape => {
  const denied = (invocation: Invocation) => {
    const reason = refuse(invocation.lambdaArn)
    return reason === undefined
      ? undefined
      : new InvocationDenied({ functionName: functionNameOf(invocation.lambdaArn), reason, cause: null })
  }
  return {
    invoke: (invocation) => {
      const error = denied(invocation)
      return error === undefined ? invoker.invoke(invocation) : Effect.fail(error)
    },
    invokeStream: (invocation) => {
      const error = denied(invocation)
      return error === undefined ? invoker.invokeStream(invocation) : Stream.fail(error)
    }
  }
}

/** An invoker with its own client, released with the scope. */
export const makeScoped = (options: LambdaInvokerOptions = {}) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => lazyLambdaClient({ ...options.client, maxAttempts: 1 })),
      (client) => Effect.sync(() => client.destroy())
    ),
    (client) => make(client, options)
  )

export const layer = (options: LambdaInvokerOptions = {}): Layer.Layer<ToolInvoker> =>
  Layer.scoped(ToolInvoker, makeScoped(options))

/**
 * `AWS_REGION`, `LAMBDA_ENDPOINT` (for local tests) and `INVOKE_TIMEOUT_SECONDS`; functions
 * outside `TOOL_FUNCTION_ARNS` are refused without a call.
 */
export const makeConfig = Effect.gen(function* () {
  const region = yield* Config.option(Config.string("AWS_REGION"))
  const endpoint = yield* Config.option(Config.string("LAMBDA_ENDPOINT"))
  const timeoutSeconds = yield* Settings.integer("INVOKE_TIMEOUT_SECONDS")
  const patterns = yield* toolFunctionPatterns
  const invoker = yield* makeScoped({
    client: {
      ...(Option.isSome(region) ? { region: region.value } : {}),
      ...(Option.isSome(endpoint) ? { endpoint: endpoint.value } : {})
    },
    timeout: Duration.seconds(timeoutSeconds)
  })
  return restrict(invoker, (arn) => (allows(patterns, arn) ? undefined : describePatterns(patterns)))
})

export const layerConfig = Layer.scoped(ToolInvoker, makeConfig)
