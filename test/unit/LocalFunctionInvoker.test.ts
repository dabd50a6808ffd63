import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import type { LambdaArn } from "../../src/domain/LambdaArn.js"
import {
  type LambdaContext,
  type LambdaHandler,
  layerLocal,
  loadDirectory,
  makeLocal
} from "../../src/layers/LocalFunctionInvoker.js"
import { ToolInvoker } from "../../src/services/ToolInvoker.js"
import { toolInvokerContract } from "../contracts/ToolInvokerContract.js"
import { arn, tempFiles } from "../support/fixtures.js"

toolInvokerContract("local functions", {
  layer: () => layerLocal(new Map([["echo", async (event: unknown) => event]])),
  echoArn: arn("echo"),
  missingArn: arn("missing")
})

describe("LocalFunctionInvoker", () => {
  const invoke = (handler: LambdaHandler, payload: unknown = {}, timeout?: Duration.DurationInput) =>
    makeLocal(new Map([["fn", handler]]), { timeout: timeout ?? Duration.seconds(5) }).invoke({
      lambdaArn: arn("fn", "eu-west-3") as LambdaArn,
      payload
    })

  it.effect("runs callback-style handlers", () =>
    Effect.gen(function* () {
      const answer = yield* invoke((event, _context, callback) => {
        setTimeout(() => callback(null, { got: event }), 1)
      }, { a: 1 })
      expect(answer).toEqual({ got: { a: 1 } })
    }))

  it.effect("a callback error and a thrown error are function errors", () =>
    Effect.gen(function* () {
      const fromCallback = yield* Effect.flip(invoke((_e, _c, callback) => callback(new TypeError("bad input"))))
      expect(fromCallback).toMatchObject({ _tag: "FunctionError", errorType: "TypeError", errorMessage: "bad input" })
      const thrown = yield* Effect.flip(invoke(() => {
        throw new RangeError("out of range")
      }))
      expect(thrown).toMatchObject({ _tag: "FunctionError", errorType: "RangeError", errorMessage: "out of range" })
      const rejected = yield* Effect.flip(invoke(async () => Promise.reject(new Error("no"))))
      expect(rejected).toMatchObject({ _tag: "FunctionError", errorType: "Error", errorMessage: "no" })
    }))

  it.effect("gives the handler a Lambda context", () =>
    Effect.gen(function* () {
      let seen: LambdaContext | undefined
      yield* invoke(async (_event, context) => {
        seen = context
        return null
      })
      expect(seen?.functionName).toBe("fn")
      expect(seen?.invokedFunctionArn).toBe(arn("fn", "eu-west-3"))
      expect(seen?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(seen?.getRemainingTimeInMillis()).toBeGreaterThan(4000)
      expect(seen?.getRemainingTimeInMillis()).toBeLessThanOrEqual(5000)
    }))

  it.effect("passes JSON, not live objects, in and out", () =>
    Effect.gen(function* () {
      const payload = { when: new Date(0), skip: undefined }
      const answer = yield* invoke(async (event) => ({ event, at: new Date(1000) }), payload)
      expect(answer).toEqual({ event: { when: "1970-01-01T00:00:00.000Z" }, at: "1970-01-01T00:00:01.000Z" })
      const circular: Record<string, unknown> = {}
      circular["self"] = circular
      const error = yield* Effect.flip(invoke(async () => circular))
      expect(error).toMatchObject({ _tag: "FunctionError", errorType: "Runtime.MarshalError" })
    }))

  it.effect("an answer of undefined is null", () =>
    Effect.gen(function* () {
      expect(yield* invoke(async () => undefined)).toBeNull()
    }))

  it.effect("a handler that never answers times out", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.flip(invoke(() => new Promise(() => {}), {}, Duration.seconds(3))))
      yield* TestClock.adjust(Duration.seconds(3))
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "InvocationTimeout", functionName: "fn", timeoutMillis: 3000 })
    }))

  it.effect("unknown functions go to the fallback invoker when there is one", () =>
    Effect.gen(function* () {
      const fallback = makeLocal(new Map([["remote", async () => "from fallback"]]))
      const invoker = makeLocal(new Map(), { fallback })
      expect(yield* invoker.invoke({ lambdaArn: arn("remote") as LambdaArn, payload: {} })).toBe("from fallback")
    }))

  it.effect("is a ToolInvoker layer", () =>
    Effect.gen(function* () {
      const invoker = yield* ToolInvoker
      expect(yield* invoker.invoke({ lambdaArn: arn("one") as LambdaArn, payload: 1 })).toBe(2)
    }).pipe(Effect.provide(layerLocal(new Map([["one", async (n: unknown) => (n as number) + 1]])))))
})

describe("loadDirectory", () => {
  const withFiles = (files: Record<string, string>) => tempFiles(files)

  it.scoped("loads ES module, CommonJS and callback handlers by file name", () =>
    Effect.gen(function* () {
      const dir = yield* withFiles({
        "esm.mjs": "export const handler = async (event) => ({ esm: event.n })",
        "common.cjs": "exports.handler = (event, context, callback) => callback(null, { cjs: context.functionName })",
        "README.md": "not a function",
        "bad name.js": "export const handler = async () => 1"
      })
      const functions = yield* loadDirectory(dir)
      expect([...functions.keys()].sort()).toEqual(["common", "esm"])
      const invoker = makeLocal(functions)
      expect(yield* invoker.invoke({ lambdaArn: arn("esm") as LambdaArn, payload: { n: 1 } })).toEqual({ esm: 1 })
      expect(yield* invoker.invoke({ lambdaArn: arn("common") as LambdaArn, payload: {} })).toEqual({ cjs: "common" })
    }))

  it.scoped("a file without a handler is an error naming the file", () =>
    Effect.gen(function* () {
      const dir = yield* withFiles({ "nothing.mjs": "export const other = 1" })
      const error = yield* Effect.flip(loadDirectory(dir))
      expect(error.message).toMatch(/nothing\.mjs: exports no function named 'handler'/)
    }))

  it.effect("a missing directory is an error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(loadDirectory("/nonexistent/functions"))
      expect(error._tag).toBe("FunctionsDirectoryError")
    }))

  it.effect("the examples load", () =>
    Effect.gen(function* () {
      const functions = yield* loadDirectory("examples/functions")
      expect([...functions.keys()].sort()).toEqual(["code-review", "countdown", "failing", "notes", "onboarding", "statistics", "summarize", "touch-note", "trip-plan", "weather"])
    }))
})
