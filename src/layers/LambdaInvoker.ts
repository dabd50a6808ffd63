/**
 * Invokes registered functions through the Lambda API (`Invoke`, `RequestResponse`).
 * The function's answer is JSON; a `FunctionError` becomes a FunctionError with the function's
 * own `errorType` and `errorMessage`; throttling is retried with backoff, then reported; a
 * payload over Lambda's 6 MB limit is refused before any call; each call has a timeout.
 */
import { InvokeCommand, LambdaClient, type LambdaClientConfig } from "@aws-sdk/client-lambda"
import { Config, Duration, Effect, Layer, Option, Schedule } from "effect"
import {
  FunctionError,
  FunctionNotFound,
  InvocationFailed,
  InvocationThrottled,
  InvocationTimeout
} from "../domain/errors.js"
import { functionNameOf } from "../domain/LambdaArn.js"
import { type Invocation, ToolInvoker, type ToolInvokerShape } from "../services/ToolInvoker.js"
import * as Settings from "../Settings.js"

/** Lambda's limit for a synchronous invocation's request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024

export interface LambdaInvokerOptions {
  readonly client?: LambdaClientConfig | undefined
  /** Per invocation, unless the call names its own. Default 60 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Attempts for a throttled invocation (default 4), with jittered exponential backoff from `backoff`. */
  readonly attempts?: number | undefined
  readonly backoff?: Duration.DurationInput | undefined
}

const THROTTLED = new Set(["TooManyRequestsException", "EC2ThrottledException", "ThrottlingException"])
const NOT_FOUND = new Set(["ResourceNotFoundException"])

const decoder = new TextDecoder()

class Throttled {
  readonly _tag = "Throttled"
}

const describeCause = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))

/** Only `send` is used, so tests can hand in a client that fails on purpose. */
export type LambdaSend = Pick<LambdaClient, "send">

export const make = (client: LambdaSend, options: LambdaInvokerOptions = {}): ToolInvokerShape => {
  const defaultTimeout = Duration.decode(options.timeout ?? Duration.seconds(60))
  const attempts = options.attempts ?? 4
  const backoff = options.backoff ?? Duration.millis(100)

  const invoke = Effect.fn("ToolInvoker.invoke")(function* (invocation: Invocation) {
    const functionName = functionNameOf(invocation.lambdaArn)
    yield* Effect.annotateCurrentSpan("functionName", functionName)
    const body = Buffer.from(JSON.stringify(invocation.payload ?? null), "utf8")
    if (body.byteLength > MAX_PAYLOAD_BYTES) {
      return yield* new InvocationFailed({
        functionName,
        reason: `the request is ${body.byteLength} bytes, over Lambda's ${MAX_PAYLOAD_BYTES}-byte limit`,
        cause: null
      })
    }
    const timeout = invocation.timeout === undefined ? defaultTimeout : Duration.decode(invocation.timeout)

    const classify = (cause: unknown): Throttled | FunctionNotFound | InvocationFailed => {
      const name = cause instanceof Error ? cause.name : ""
      if (THROTTLED.has(name)) return new Throttled()
      if (NOT_FOUND.has(name)) return new FunctionNotFound({ functionName })
      if (name === "RequestEntityTooLargeException") {
        return new InvocationFailed({ functionName, reason: "the request is too large for Lambda", cause })
      }
      return new InvocationFailed({ functionName, reason: describeCause(cause), cause })
    }

    const once = Effect.tryPromise({
      try: (signal) =>
        client.send(
          new InvokeCommand({ FunctionName: invocation.lambdaArn, InvocationType: "RequestResponse", Payload: body }),
          { abortSignal: signal }
        ),
      catch: classify
    })

    const output = yield* once.pipe(
      Effect.retry({
        schedule: Schedule.exponential(backoff).pipe(Schedule.jittered),
        times: attempts - 1,
        while: (error) => error instanceof Throttled
      }),
      Effect.catchIf((error): error is Throttled => error instanceof Throttled, () => Effect.fail(new InvocationThrottled({ functionName }))),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new InvocationTimeout({ functionName, timeoutMillis: Duration.toMillis(timeout) })
      })
    )

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

  return { invoke }
}

/** An invoker with its own client, released with the scope. */
export const makeScoped = (options: LambdaInvokerOptions = {}) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new LambdaClient({ ...options.client, maxAttempts: 1 })),
      (client) => Effect.sync(() => client.destroy())
    ),
    (client) => make(client, options)
  )

export const layer = (options: LambdaInvokerOptions = {}): Layer.Layer<ToolInvoker> =>
  Layer.scoped(ToolInvoker, makeScoped(options))

/** `AWS_REGION`, `LAMBDA_ENDPOINT` (for local tests) and `INVOKE_TIMEOUT_SECONDS`. */
export const layerConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const region = yield* Config.option(Config.string("AWS_REGION"))
    const endpoint = yield* Config.option(Config.string("LAMBDA_ENDPOINT"))
    const timeoutSeconds = yield* Settings.integer("INVOKE_TIMEOUT_SECONDS")
    return layer({
      client: {
        ...(Option.isSome(region) ? { region: region.value } : {}),
        ...(Option.isSome(endpoint) ? { endpoint: endpoint.value } : {})
      },
      timeout: Duration.seconds(timeoutSeconds)
    })
  })
)
