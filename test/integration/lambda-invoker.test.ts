/**
 * The Lambda invoker: the wire path against moto server and against a loopback stand-in of the
 * Invoke API (moto echoes even for a function that does not exist), the error paths with a
 * failing client.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Stream, TestClock } from "effect"
import { afterAll, beforeAll, inject } from "vitest"
import type { LambdaArn } from "../../src/domain/LambdaArn.js"
import * as LambdaInvoker from "../../src/layers/LambdaInvoker.js"
import { toolInvokerContract } from "../contracts/ToolInvokerContract.js"
import { arn } from "../support/fixtures.js"
import { createFunction, credentials, REGION } from "../support/moto.js"

const endpoint = inject("motoEndpoint")

describe.skipIf(endpoint === "")("LambdaInvoker on moto server", () => {
  let echoArn = ""
  beforeAll(async () => {
    echoArn = await createFunction(endpoint, "echo")
  })

  describe("wire path", () => {
    // `echoArn` is read when each test runs, after beforeAll created the function.
    toolInvokerContract("Lambda API (moto)", {
      layer: () => LambdaInvoker.layer({ client: { endpoint, region: REGION, credentials } }),
      get echoArn() {
        return echoArn
      },
      // moto answers an Invoke of any name with the payload, so it cannot show a missing function.
      missingArn: undefined
    })
  })
})

/**
 * Lambda's `Invoke` API on loopback, as far as the contract needs it: `POST
 * /2015-03-31/functions/{FunctionName}/invocations` answers a known function with its payload
 * (an echo), and any other with Lambda's own 404 (`x-amzn-errortype: ResourceNotFoundException`),
 * which the real SDK client decodes.
 */
const serveInvokeApi = async (known: ReadonlySet<string>) => {
  const server = createServer(async (request, response) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const path = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(request.url ?? "/", "http://invoke").pathname)
    const named = decodeURIComponent(path?.[1] ?? "")
    const name = named.startsWith("arn:") ? named.split(":")[6] ?? "" : named
    if (request.method !== "POST" || !known.has(name)) {
      response.writeHead(404, { "content-type": "application/json", "x-amzn-errortype": "ResourceNotFoundException" })
      response.end(JSON.stringify({ Type: "User", message: `Function not found: ${named}` }))
      return
    }
    response.writeHead(200, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" })
    response.end(Buffer.concat(chunks))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

describe("LambdaInvoker on a loopback Invoke API", () => {
  let api: Awaited<ReturnType<typeof serveInvokeApi>> | undefined
  beforeAll(async () => {
    api = await serveInvokeApi(new Set(["echo"]))
  })
  afterAll(() => api?.close())

  toolInvokerContract("Lambda API (loopback stand-in)", {
    layer: () => LambdaInvoker.layer({ client: { endpoint: api!.url, region: REGION, credentials } }),
    echoArn: arn("echo"),
    missingArn: arn("missing")
  })
})

/** A client whose `send` answers from a script, counting calls and keeping the abort signal. */
const scripted = (answers: Array<() => Promise<unknown>>) => {
  const state = { calls: 0, signal: undefined as AbortSignal | undefined }
  const client = {
    send: (_command: unknown, options?: { abortSignal?: AbortSignal }) => {
      state.signal = options?.abortSignal
      const answer = answers[Math.min(state.calls, answers.length - 1)]!
      state.calls++
      return answer()
    }
  } as unknown as LambdaInvoker.LambdaSend
  return { client, state }
}

const failWith = (name: string) => () => Promise.reject(Object.assign(new Error(`${name} (scripted)`), { name }))
const answer = (payload: unknown, functionError?: string) => () =>
  Promise.resolve({
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(payload)),
    ...(functionError === undefined ? {} : { FunctionError: functionError })
  })

const target = arn("tool") as LambdaArn

describe("LambdaInvoker error paths", () => {
  it.live("throttling is retried with backoff, then succeeds", () =>
    Effect.gen(function* () {
      const { client, state } = scripted([failWith("TooManyRequestsException"), failWith("TooManyRequestsException"), answer({ ok: 1 })])
      const invoker = LambdaInvoker.make(client, { backoff: "1 millis" })
      expect(yield* invoker.invoke({ lambdaArn: target, payload: {} })).toEqual({ ok: 1 })
      expect(state.calls).toBe(3)
    }))

  it.live("throttling beyond the attempts is InvocationThrottled", () =>
    Effect.gen(function* () {
      const { client, state } = scripted([failWith("TooManyRequestsException")])
      const invoker = LambdaInvoker.make(client, { backoff: "1 millis", attempts: 3 })
      expect(yield* Effect.flip(invoker.invoke({ lambdaArn: target, payload: {} }))).toMatchObject({ _tag: "InvocationThrottled" })
      expect(state.calls).toBe(3)
    }))

  it.effect("a FunctionError carries the function's own type and message", () =>
    Effect.gen(function* () {
      const { client } = scripted([answer({ errorType: "ValidationError", errorMessage: "city is unknown", stackTrace: ["at x"] }, "Unhandled")])
      const error = yield* Effect.flip(LambdaInvoker.make(client).invoke({ lambdaArn: target, payload: {} }))
      expect(error).toMatchObject({ _tag: "FunctionError", errorType: "ValidationError", errorMessage: "city is unknown" })
    }))

  it.effect("a missing function is FunctionNotFound; IAM's refusal is InvocationDenied; other failures are InvocationFailed", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(LambdaInvoker.make(scripted([failWith("ResourceNotFoundException")]).client).invoke({ lambdaArn: target, payload: {} }))
      expect(missing).toMatchObject({ _tag: "FunctionNotFound", functionName: "tool" })
      const denied = yield* Effect.flip(LambdaInvoker.make(scripted([failWith("AccessDeniedException")]).client).invoke({ lambdaArn: target, payload: {} }))
      expect(denied).toMatchObject({ _tag: "InvocationDenied" })
      expect(denied.message).toMatch(/AccessDeniedException/)
      const failed = yield* Effect.flip(LambdaInvoker.make(scripted([failWith("ServiceException")]).client).invoke({ lambdaArn: target, payload: {} }))
      expect(failed).toMatchObject({ _tag: "InvocationFailed" })
    }))

  it.effect("a restricted invoker refuses functions outside its allowlist without a call", () =>
    Effect.gen(function* () {
      const { client, state } = scripted([answer({ ok: 1 })])
      const invoker = LambdaInvoker.restrict(LambdaInvoker.make(client), (arn) => (arn.endsWith(":function:tool") ? "not this one" : undefined))
      expect(yield* Effect.flip(invoker.invoke({ lambdaArn: target, payload: {} }))).toMatchObject({ _tag: "InvocationDenied", reason: "not this one" })
      expect(yield* Effect.flip(Stream.runDrain(invoker.invokeStream({ lambdaArn: target, payload: {} })))).toMatchObject({ _tag: "InvocationDenied" })
      expect(state.calls).toBe(0)
    }))

  it.effect("a payload over 6 MB is refused before any call", () =>
    Effect.gen(function* () {
      const { client, state } = scripted([answer({})])
      const error = yield* Effect.flip(LambdaInvoker.make(client).invoke({ lambdaArn: target, payload: { blob: "x".repeat(6 * 1024 * 1024) } }))
      expect(error).toMatchObject({ _tag: "InvocationFailed" })
      expect(error.message).toMatch(/6291456-byte limit/)
      expect(state.calls).toBe(0)
    }))

  it.effect("a call that outlives its timeout is InvocationTimeout, and the request is aborted", () =>
    Effect.gen(function* () {
      const { client, state } = scripted([() => new Promise(() => {})])
      const fiber = yield* Effect.fork(Effect.flip(LambdaInvoker.make(client, { timeout: "10 seconds" }).invoke({ lambdaArn: target, payload: {} })))
      yield* TestClock.adjust(Duration.seconds(10))
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "InvocationTimeout", timeoutMillis: 10_000 })
      expect(state.signal?.aborted).toBe(true)
    }))
})
