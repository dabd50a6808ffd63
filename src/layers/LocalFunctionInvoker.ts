/**
 * Runs Lambda handlers in this process, the way the Lambda Node.js runtime calls them:
 * `handler(event, context, callback)`, async or callback style, JSON in and out, under a
 * timeout. Functions are keyed by function name, so a registration's `lambdaArn` in any
 * region or account reaches the local function of that name. Other ARNs go to `fallback`.
 * A handler wrapped with `awslambda.streamifyResponse` streams its answer (`invokeStream`).
 * `dev` runs its directory's functions in worker threads instead (`WorkerInvoker.ts`); this
 * in-process invoker serves handlers given as values (tests, library users).
 */
import { randomUUID } from "node:crypto"
import { readdir } from "node:fs/promises"
import { join, resolve } from "node:path"
import { PassThrough } from "node:stream"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { FunctionError, FunctionNotFound, type InvocationError, InvocationTimeout } from "../domain/errors.js"
import { functionNameOf } from "../domain/LambdaArn.js"
import { type Invocation, ToolInvoker, type ToolInvokerShape } from "../services/ToolInvoker.js"
import { callHandler, HANDLER_FILE, installAwsLambdaGlobal, isStreamingHandler, loadHandler, type LocalContext, makeContext, type StreamingHandler } from "./localRuntime.mjs"
import { DEFAULTS } from "../Settings.js"

export type LambdaContext = LocalContext

export type LambdaCallback = (error?: unknown, result?: unknown) => void

export type LambdaHandler = (event: unknown, context: LambdaContext, callback: LambdaCallback) => unknown

export type LocalFunctions = ReadonlyMap<string, LambdaHandler>

export interface LocalInvokerOptions {
  /** Per invocation, unless the call names its own. Default `INVOKE_TIMEOUT_SECONDS`, as on Lambda. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Where ARNs without a local function go; by default they fail with FunctionNotFound. */
  readonly fallback?: ToolInvokerShape | undefined
}

const toFunctionError = (functionName: string, error: unknown) =>
  new FunctionError({
    functionName,
    errorType: error instanceof Error ? error.name : "Error",
    errorMessage: error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)
  })

/** JSON round trip, as the runtime serialises events and results. */
const marshal = (functionName: string, value: unknown) =>
  Effect.try({
    try: () => JSON.parse(JSON.stringify(value ?? null)) as unknown,
    catch: (error) =>
      new FunctionError({
        functionName,
        errorType: "Runtime.MarshalError",
        errorMessage: `The result is not JSON: ${error instanceof Error ? error.message : String(error)}`
      })
  })

const run = (handler: LambdaHandler, functionName: string, event: unknown, context: LambdaContext) =>
  Effect.async<unknown, FunctionError>((resume) => {
    callHandler(handler, event, context).then(
      (result) => resume(Effect.succeed(result)),
      (error: unknown) => resume(Effect.fail(toFunctionError(functionName, error)))
    )
  })

/** A streaming handler's response stream as it is written; its rejection is the stream's failure. */
const runStreaming = (handler: StreamingHandler, functionName: string, event: unknown, context: LambdaContext) =>
  Stream.unwrapScoped(Effect.gen(function* () {
    // Destroyed when the stream is dropped, so a handler still writing sees its client gone.
    const body = yield* Effect.acquireRelease(Effect.sync(() => new PassThrough()), (stream) => Effect.sync(() => stream.destroy()))
    const ran = yield* Effect.tryPromise({
      // The boundary to user code: a synchronous throw is the function's error too.
      try: async () => await handler(event, body, context),
      catch: (error) => toFunctionError(functionName, error)
    }).pipe(Effect.ensuring(Effect.sync(() => body.end())), Effect.forkScoped)
    const chunks = Stream.fromAsyncIterable(body, (error) => toFunctionError(functionName, error)).pipe(
      Stream.map((chunk: Buffer | string) => (typeof chunk === "string" ? Buffer.from(chunk) : new Uint8Array(chunk)))
    )
    return Stream.concat(chunks, Stream.drain(Stream.fromEffect(Fiber.join(ran))))
  }))

export const makeLocal = (functions: LocalFunctions, options: LocalInvokerOptions = {}): ToolInvokerShape => {
  const defaultTimeout = Duration.decode(options.timeout ?? Duration.seconds(DEFAULTS.INVOKE_TIMEOUT_SECONDS))

  const prepare = (invocation: Invocation) => {
    const functionName = functionNameOf(invocation.lambdaArn)
    const timeout = invocation.timeout === undefined ? defaultTimeout : Duration.decode(invocation.timeout)
    const deadline = Date.now() + Duration.toMillis(timeout)
    const context = makeContext({ awsRequestId: randomUUID(), functionName, invokedFunctionArn: invocation.lambdaArn, deadline, memoryLimitInMB: 128 })
    // Built only when the deadline passes: an error captures a stack, and most calls end in time.
    const timedOut = () => new InvocationTimeout({ functionName, timeoutMillis: Duration.toMillis(timeout) })
    return { functionName, handler: functions.get(functionName), timeout, context, timedOut }
  }

  const invoke = Effect.fn("ToolInvoker.invoke")(function* (invocation: Invocation) {
    const { context, functionName, handler, timedOut, timeout } = prepare(invocation)
    yield* Effect.annotateCurrentSpan("functionName", functionName)
    if (handler === undefined) {
      if (options.fallback !== undefined) return yield* options.fallback.invoke(invocation)
      return yield* new FunctionNotFound({ functionName })
    }
    const event = yield* marshal(functionName, invocation.payload)
    if (isStreamingHandler(handler)) {
      // Called without streaming: the whole stream is the answer, as Lambda's Invoke returns it.
      const bytes = yield* Stream.runCollect(runStreaming(handler, functionName, event, context)).pipe(
        Effect.timeoutFail({ duration: timeout, onTimeout: timedOut })
      )
      const text = Buffer.concat([...bytes]).toString("utf8")
      return yield* Effect.try({
        try: () => (text === "" ? null : JSON.parse(text) as unknown),
        catch: () => new FunctionError({ functionName, errorType: "Runtime.MarshalError", errorMessage: "The answer is not JSON" })
      })
    }
    const result = yield* run(handler, functionName, event, context).pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: timedOut })
    )
    return yield* marshal(functionName, result)
  })

  const invokeStream = (invocation: Invocation): Stream.Stream<Uint8Array, InvocationError> => {
    const { context, functionName, handler, timedOut, timeout } = prepare(invocation)
    if (handler === undefined) {
      return options.fallback !== undefined ? options.fallback.invokeStream(invocation) : Stream.fail(new FunctionNotFound({ functionName }))
    }
    const bytes: Stream.Stream<Uint8Array, InvocationError> = Stream.unwrap(Effect.map(marshal(functionName, invocation.payload), (event) =>
      isStreamingHandler(handler)
        ? runStreaming(handler, functionName, event, context)
        // A buffered function streams its whole answer at once, as Lambda does.
        : Stream.fromEffect(Effect.flatMap(run(handler, functionName, event, context), (result) =>
          Effect.map(marshal(functionName, result), (json) => new TextEncoder().encode(JSON.stringify(json)))))))
    return bytes.pipe(Stream.interruptWhen(Effect.zipRight(Effect.sleep(timeout), Effect.failSync(timedOut))))
  }

  return { invoke, invokeStream }
}

export const layerLocal = (functions: LocalFunctions, options: LocalInvokerOptions = {}): Layer.Layer<ToolInvoker> =>
  Layer.succeed(ToolInvoker, makeLocal(functions, options))

export class FunctionsDirectoryError extends Data.TaggedError("FunctionsDirectoryError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

/**
 * Every `<dir>/<name>.{js,mjs,cjs}` that exports `handler` becomes the local function `<name>`.
 * A file without a handler, or one that fails to load, is an error naming the file.
 */
export const loadDirectory = (dir: string): Effect.Effect<LocalFunctions, FunctionsDirectoryError> =>
  Effect.gen(function* () {
    const root = resolve(dir)
    // Before any function module loads: `awslambda.streamifyResponse` runs at import time.
    installAwsLambdaGlobal()
    const files = yield* Effect.tryPromise({
      try: () => readdir(root),
      catch: (error) => new FunctionsDirectoryError({ path: root, reason: describeError(error) })
    })
    const functions = new Map<string, LambdaHandler>()
    for (const file of files.sort()) {
      const match = HANDLER_FILE.exec(file)
      if (match === null) continue
      const path = join(root, file)
      const handler = yield* Effect.tryPromise({
        try: () => loadHandler(path),
        catch: (error) => new FunctionsDirectoryError({ path, reason: describeError(error) })
      })
      functions.set(match[1]!, handler as LambdaHandler)
    }
    return functions
  })

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error))

export const layerDirectory = (dir: string, options: LocalInvokerOptions = {}) =>
  Layer.effect(ToolInvoker, Effect.map(loadDirectory(dir), (functions) => makeLocal(functions, options)))
