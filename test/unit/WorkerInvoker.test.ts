/**
 * `dev`'s local functions in worker threads: each in environments of its own, as on Lambda.
 * What a function does wrong (loop, exhaust its memory, throw where nobody catches) fails its
 * own invocation, and the server's event loop, the other functions and the next invocation go on.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import type { LambdaArn } from "../../src/domain/LambdaArn.js"
import { type FunctionOutputLine, listFunctions, makeWorkers, type WorkerInvokerOptions } from "../../src/layers/WorkerInvoker.js"
import { ToolInvoker } from "../../src/services/ToolInvoker.js"
import { toolInvokerContract } from "../contracts/ToolInvokerContract.js"
import { arn, tempFiles } from "../support/fixtures.js"

const FUNCTIONS = {
  "echo.mjs": "export const handler = async (event) => event",
  "counter.mjs": "let calls = 0\nexport const handler = async () => ++calls",
  "context.cjs": "exports.handler = (event, context, callback) => callback(null, { name: context.functionName, arn: context.invokedFunctionArn, memory: context.memoryLimitInMB, left: context.getRemainingTimeInMillis() })",
  "throws.mjs": "export const handler = async () => { throw new TypeError('bad input') }",
  "hog.mjs": "export const handler = async () => { const kept = []; for (;;) kept.push(`${kept.length}`.repeat(100)) }",
  "spin.mjs": "export const handler = async () => { for (;;) {} }",
  "crash.mjs": "export const handler = () => new Promise(() => { setTimeout(() => { throw new Error('boom later') }, 1) })",
  "bigint.mjs": "export const handler = async () => ({ big: 1n })",
  "stream.mjs": [
    "export const handler = awslambda.streamifyResponse(async (event, stream) => {",
    "  stream.write('{\"a\":')",
    "  await new Promise((resolve) => setTimeout(resolve, 5))",
    "  stream.write('1}')",
    "  stream.end()",
    "})"
  ].join("\n"),
  "stream-destroys.mjs": "export const handler = awslambda.streamifyResponse(async (event, stream) => { stream.write('part'); stream.destroy(new RangeError('broken pipe')) })",
  "slow-start.mjs": "await new Promise((resolve) => setTimeout(resolve, 200))\nlet calls = 0\nexport const handler = async () => ++calls",
  "stream-fails.mjs": "export const handler = awslambda.streamifyResponse(async (event, stream) => { stream.write('part'); throw new RangeError('half way') })",
  "ticker.mjs": [
    "let closed = 0",
    "export const handler = awslambda.streamifyResponse(async (event, stream) => {",
    "  if (event.report) { stream.end(JSON.stringify({ closed })); return }",
    "  while (!stream.destroyed) { stream.write('tick\\n'); await new Promise((resolve) => setTimeout(resolve, 5)) }",
    "  closed++",
    "})"
  ].join("\n"),
  "chatty.mjs": "export const handler = async (event) => { console.log('asked for', event.n); console.error('a warning\\nover two lines'); return event.n }",
  "README.md": "not a function"
}

const withFunctions = (files: Record<string, string>) => tempFiles(files, "workers-")

const workers = (options: WorkerInvokerOptions = {}, files: Record<string, string> = FUNCTIONS) =>
  Effect.flatMap(withFunctions(files), (dir) => Effect.flatMap(listFunctions(dir), (functions) => makeWorkers(functions, options)))

const call = (name: string, payload: unknown = {}, timeout?: number) => ({
  lambdaArn: arn(name, "eu-west-3") as LambdaArn,
  payload,
  ...(timeout === undefined ? {} : { timeout: `${timeout} millis` as const })
})

/** How often a 5 ms interval fired while `effect` ran: the server's event loop was free. */
const ticksDuring = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    let ticks = 0
    const interval = setInterval(() => ticks++, 5)
    const exit = yield* Effect.exit(effect)
    clearInterval(interval)
    return { exit, ticks }
  })

toolInvokerContract("worker threads", {
  layer: () => Layer.scoped(ToolInvoker, workers({}, { "echo.mjs": FUNCTIONS["echo.mjs"] })).pipe(Layer.orDie),
  echoArn: arn("echo"),
  missingArn: arn("missing")
})

describe("WorkerInvoker", () => {
  it.scoped("runs ES module and CommonJS callback handlers, each with its Lambda context", () =>
    Effect.gen(function* () {
      const invoker = yield* workers({ memoryLimitMb: 64 })
      expect(yield* invoker.invoke(call("echo", { city: "Oslo", days: [1, 2] }))).toEqual({ city: "Oslo", days: [1, 2] })
      const context = (yield* invoker.invoke(call("context", {}, 2_000))) as { name: string; arn: string; memory: string; left: number }
      expect(context).toMatchObject({ name: "context", arn: arn("context", "eu-west-3"), memory: "64" })
      expect(context.left).toBeGreaterThan(0)
      expect(context.left).toBeLessThanOrEqual(2_000)
    }))

  it.scoped("keeps an environment warm: the module's state lasts from one invocation to the next", () =>
    Effect.gen(function* () {
      const invoker = yield* workers()
      expect(yield* invoker.invoke(call("counter"))).toBe(1)
      expect(yield* invoker.invoke(call("counter"))).toBe(2)
      // Two at once need two environments: the second is new.
      const both = yield* Effect.all([invoker.invoke(call("counter")), invoker.invoke(call("counter"))], { concurrency: 2 })
      expect([...both].sort()).toEqual([1, 3])
    }))

  it.live("an environment idle for idleTimeout is stopped, but each function keeps its last one warm", () =>
    Effect.scoped(Effect.gen(function* () {
      const invoker = yield* workers({ idleTimeout: "300 millis" })
      // Two at once: two environments, each counting its own calls.
      const first = yield* Effect.all([invoker.invoke(call("counter")), invoker.invoke(call("counter"))], { concurrency: 2 })
      expect([...first].sort()).toEqual([1, 1])
      yield* Effect.sleep("700 millis")
      // One was stopped; the one kept answers, warm, whichever it is.
      const next = yield* Effect.all([invoker.invoke(call("counter")), invoker.invoke(call("counter"))], { concurrency: 2 })
      expect([...next].sort()).toEqual([1, 2])
    })), 30_000)

  it.scoped("a function's console output arrives a line at a time, named by its function and stream", () =>
    Effect.gen(function* () {
      const lines: Array<FunctionOutputLine> = []
      const invoker = yield* workers({ output: (line) => lines.push(line) })
      expect(yield* invoker.invoke(call("chatty", { n: 7 }))).toBe(7)
      // The output travels apart from the answer: wait for its lines.
      while (lines.length < 3) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      expect(lines.filter((line) => line.stream === "stdout")).toEqual([{ functionName: "chatty", stream: "stdout", text: "asked for 7" }])
      expect(lines.filter((line) => line.stream === "stderr").map((line) => line.text)).toEqual(["a warning", "over two lines"])
    }))

  it.scoped("a thrown error and an answer that is not JSON are function errors", () =>
    Effect.gen(function* () {
      const invoker = yield* workers()
      expect(yield* Effect.flip(invoker.invoke(call("throws")))).toMatchObject({ _tag: "FunctionError", functionName: "throws", errorType: "TypeError", errorMessage: "bad input" })
      expect(yield* Effect.flip(invoker.invoke(call("bigint")))).toMatchObject({ _tag: "FunctionError", errorType: "Runtime.MarshalError" })
    }))

  it.live("a function that exhausts its memory fails with Runtime.OutOfMemory; the event loop runs meanwhile and its next invocation starts afresh", () =>
    Effect.scoped(Effect.gen(function* () {
      // One environment at a time: a slot the stopped one kept would wedge the next call.
      const invoker = yield* workers({ memoryLimitMb: 32, concurrency: 1 })
      const { exit, ticks } = yield* ticksDuring(invoker.invoke(call("hog")))
      expect(exit).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "FunctionError", functionName: "hog", errorType: "Runtime.OutOfMemory" } } })
      expect(ticks).toBeGreaterThan(3)
      expect(yield* invoker.invoke(call("echo", { still: "here" }))).toEqual({ still: "here" })
      expect(yield* Effect.flip(invoker.invoke(call("hog")))).toMatchObject({ errorType: "Runtime.OutOfMemory" })
    })), 30_000)

  it.live("a function that never yields is stopped at its timeout (InvocationTimeout), without stalling the event loop", () =>
    Effect.scoped(Effect.gen(function* () {
      const invoker = yield* workers({ concurrency: 1 })
      const { exit, ticks } = yield* ticksDuring(invoker.invoke(call("spin", {}, 300)))
      expect(exit).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "InvocationTimeout", functionName: "spin", timeoutMillis: 300 } } })
      expect(ticks).toBeGreaterThan(10)
      // The stopped environment is gone; a new one answers.
      expect(yield* Effect.flip(invoker.invoke(call("spin", {}, 100)))).toMatchObject({ _tag: "InvocationTimeout" })
      expect(yield* invoker.invoke(call("counter"))).toBe(1)
      expect(yield* Effect.flip(invoker.invoke(call("spin", {}, 100)))).toMatchObject({ _tag: "InvocationTimeout" })
    })), 30_000)

  it.scoped("an exception nobody catches stops the environment and fails the invocation with Runtime.ExitError", () =>
    Effect.gen(function* () {
      const invoker = yield* workers()
      const error = yield* Effect.flip(invoker.invoke(call("crash")))
      expect(error).toMatchObject({ _tag: "FunctionError", functionName: "crash", errorType: "Runtime.ExitError" })
      expect((error as { errorMessage: string }).errorMessage).toContain("boom later")
    }))

  it.scoped("a streaming function's bytes arrive as written; called without streaming, the whole stream is the answer", () =>
    Effect.gen(function* () {
      const invoker = yield* workers()
      const chunks = yield* Stream.runCollect(invoker.invokeStream(call("stream")))
      expect(Chunk.size(chunks)).toBe(2)
      expect(Buffer.concat([...chunks]).toString()).toBe("{\"a\":1}")
      expect(yield* invoker.invoke(call("stream"))).toEqual({ a: 1 })
      // A buffered function streams its whole answer at once.
      expect(Buffer.concat([...yield* Stream.runCollect(invoker.invokeStream(call("echo", { n: 1 })))]).toString()).toBe("{\"n\":1}")
    }))

  it.scoped("a streaming function that fails after writing: its bytes, then its error", () =>
    Effect.gen(function* () {
      const invoker = yield* workers()
      const seen: Array<string> = []
      const error = yield* Effect.flip(Stream.runForEach(invoker.invokeStream(call("stream-fails")), (bytes) => Effect.sync(() => seen.push(Buffer.from(bytes).toString()))))
      expect(seen).toEqual(["part"])
      expect(error).toMatchObject({ _tag: "FunctionError", errorType: "RangeError", errorMessage: "half way" })
    }))

  it.scoped("a streaming function that destroys its stream with an error and returns: the error is its answer", () =>
    Effect.gen(function* () {
      const invoker = yield* workers()
      expect(yield* Effect.flip(Stream.runDrain(invoker.invokeStream(call("stream-destroys"))))).toMatchObject({ _tag: "FunctionError", errorType: "RangeError", errorMessage: "broken pipe" })
    }))

  it.live("a caller that leaves while its environment starts, or while it waits for one: the pool keeps its count", () =>
    Effect.scoped(Effect.gen(function* () {
      const invoker = yield* workers({ concurrency: 1 })
      // Left while the environment loads (slow-start waits 200 ms at its top level).
      const starting = yield* Effect.fork(invoker.invoke(call("slow-start")))
      yield* Effect.sleep("50 millis")
      // Waiting behind it, then leaving too.
      const waiting = yield* Effect.fork(invoker.invoke(call("slow-start")))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(waiting)
      yield* Fiber.interrupt(starting)
      // The one environment came free, warm and unused: the next caller gets it.
      expect(yield* invoker.invoke(call("slow-start"))).toBe(1)
      expect(yield* invoker.invoke(call("slow-start"))).toBe(2)
    })), 30_000)

  it.live("callers waiting when the scope closes are told the server is stopping", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const invoker = yield* Scope.extend(workers({ concurrency: 1 }), scope)
      const running = yield* Effect.fork(Effect.exit(invoker.invoke(call("spin", {}, 5_000))))
      yield* Effect.sleep("100 millis")
      const waiting = yield* Effect.fork(Effect.exit(invoker.invoke(call("spin", {}, 5_000))))
      yield* Effect.sleep("20 millis")
      yield* Scope.close(scope, Exit.void)
      expect(yield* Fiber.join(running)).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "FunctionError", errorType: "Runtime.ExitError" } } })
      expect(yield* Fiber.join(waiting)).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "FunctionError", errorType: "Runtime.ExitError", errorMessage: "The server is stopping" } } })
    }), 30_000)

  it.live("a caller that leaves a stream: the function sees its stream destroyed, and its environment serves the next call", () =>
    Effect.scoped(Effect.gen(function* () {
      const invoker = yield* workers({ concurrency: 1 })
      const fiber = yield* Effect.fork(Stream.runDrain(Stream.take(invoker.invokeStream(call("ticker")), 3)))
      yield* Fiber.join(fiber)
      // Same environment (one at a time): it saw the close once the caller left.
      const report = yield* invoker.invoke(call("ticker", { report: true }))
      expect(report).toEqual({ closed: 1 })
    })), 30_000)

  it.scoped("unknown functions go to the fallback, or fail with FunctionNotFound", () =>
    Effect.gen(function* () {
      const fallback = yield* workers({}, { "remote.mjs": "export const handler = async () => 'from fallback'" })
      const invoker = yield* workers({ fallback })
      expect(yield* invoker.invoke(call("remote"))).toBe("from fallback")
      const alone = yield* workers()
      expect(yield* Effect.flip(alone.invoke(call("remote")))).toMatchObject({ _tag: "FunctionNotFound", functionName: "remote" })
      expect(yield* Effect.flip(Stream.runDrain(alone.invokeStream(call("remote"))))).toMatchObject({ _tag: "FunctionNotFound" })
    }))
})

describe("listFunctions", () => {
  it.scoped("finds function files by name and checks each loads and exports a handler, outside this process", () =>
    Effect.gen(function* () {
      const dir = yield* withFunctions({ "esm.mjs": "globalThis.loadedHere = true\nexport const handler = async () => 1", "common.cjs": "exports.handler = async () => 2", "bad name.js": "", "README.md": "" })
      const functions = yield* listFunctions(dir)
      expect((globalThis as { loadedHere?: boolean }).loadedHere).toBeUndefined()
      expect([...functions.keys()].sort()).toEqual(["common", "esm"])
      expect(functions.get("esm")).toBe(join(dir, "esm.mjs"))
    }))

  it.scoped("a file without a handler, or one that fails to load, is an error naming the file", () =>
    Effect.gen(function* () {
      const dir = yield* withFunctions({ "nothing.mjs": "export const other = 1" })
      expect((yield* Effect.flip(listFunctions(dir))).message).toBe(`${join(dir, "nothing.mjs")}: exports no function named 'handler'`)
      const broken = yield* withFunctions({ "broken.mjs": "export const handler = (" })
      expect((yield* Effect.flip(listFunctions(broken))).message).toMatch(/broken\.mjs: failed to load: /)
      const exits = yield* withFunctions({ "exits.mjs": "process.exit(3)" })
      expect((yield* Effect.flip(listFunctions(exits))).message).toContain("a function file ended the check (exit code 3)")
    }))

  it.effect("a missing directory is an error", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(listFunctions("/nonexistent/functions")))._tag).toBe("FunctionsDirectoryError")
    }))

  it.scoped("the examples check their own numbers, schema or not: weather's days, countdown's steps", () =>
    Effect.gen(function* () {
      const invoker = yield* makeWorkers(yield* listFunctions("examples/functions"))
      expect(yield* invoker.invoke(call("weather", { args: { city: "Oslo", days: 2 ** 31 - 1 }, extra: {} }))).toEqual({
        statusCode: 400,
        body: JSON.stringify({ message: "days must be a whole number from 1 to 16" })
      })
      expect(yield* invoker.invoke(call("countdown", { args: { steps: 2 ** 31 - 1 }, extra: {} }))).toEqual({
        type: "result",
        result: { isError: true, content: [{ type: "text", text: "steps must be a whole number from 0 to 300" }] }
      })
    }))

  it.effect("the examples load", () =>
    Effect.gen(function* () {
      const functions = yield* listFunctions("examples/functions")
      expect([...functions.keys()].sort()).toEqual(["code-review", "countdown", "failing", "notes", "onboarding", "statistics", "summarize", "touch-note", "trip-plan", "weather"])
    }))
})
