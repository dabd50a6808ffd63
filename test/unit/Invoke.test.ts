/**
 * What a client is told when the server could not run a function: one fixed sentence per
 * failure and a correlation id (never the AWS reason, which names roles and accounts), with
 * the reason in the log under the same id; and the audit line each invocation writes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Stream } from "effect"
import {
  FunctionError,
  FunctionNotFound,
  InvocationDenied,
  InvocationFailed,
  type InvocationError,
  InvocationThrottled,
  InvocationTimeout
} from "../../src/domain/errors.js"
import { ErrorCode } from "../../src/domain/JsonRpc.js"
import type { SessionId } from "../../src/domain/Session.js"
import { engine as engineLayer } from "../../src/hosts/Core.js"
import { layerMemory } from "../../src/layers/MemoryRegistry.js"
import type { RequestContext } from "../../src/mcp/Engine.js"
import { ToolInvoker } from "../../src/services/ToolInvoker.js"
import { context, result, rpcError, seeded, sessionStores } from "../support/engine.js"
import { promptSpec, resourceSpec, toolSpec } from "../support/fixtures.js"

const SECRET = "arn:aws:iam::123456789012:role/secret-role"
const failures: Record<string, (name: string) => InvocationError> = {
  throttled: (name) => new InvocationThrottled({ functionName: name }),
  denied: (name) => new InvocationDenied({ functionName: name, reason: `${SECRET} is not authorized`, cause: new Error("AccessDenied") }),
  failed: (name) => new InvocationFailed({ functionName: name, reason: `payload too large for ${SECRET}`, cause: new Error("413") }),
  slow: (name) => new InvocationTimeout({ functionName: name, timeoutMillis: 1500 }),
  missing: (name) => new FunctionNotFound({ functionName: name }),
  throwing: (name) => new FunctionError({ functionName: name, errorType: "TypeError", errorMessage: "x is undefined" })
}
const nameOf = (lambdaArn: string) => lambdaArn.slice(lambdaArn.lastIndexOf(":") + 1)
const invocations: Array<{ lambdaArn: string; payload: unknown; timeout: unknown }> = []

/** Fails each function as its name says; any other answers "ok". */
const invoker = Layer.succeed(ToolInvoker, {
  invoke: (invocation) => {
    invocations.push(invocation as (typeof invocations)[number])
    const failure = failures[nameOf(invocation.lambdaArn).replace(/^streamed-/, "")]
    return failure === undefined ? Effect.succeed("ok") : Effect.fail(failure(nameOf(invocation.lambdaArn)))
  },
  invokeStream: (invocation) => {
    const failure = failures[nameOf(invocation.lambdaArn).replace(/^streamed-/, "")]
    return failure === undefined ? Stream.empty : Stream.fail(failure(nameOf(invocation.lambdaArn)))
  }
})

const logged: Array<{ level: string; message: string }> = []
const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => {
  logged.push({ level: logLevel.label, message: JSON.stringify(message) })
}))

const specs = [
  ...Object.keys(failures).map((name) => toolSpec(name)),
  toolSpec("streamed-throttled", { streaming: true }),
  toolSpec("fine"),
  promptSpec("throttled"),
  promptSpec("denied"),
  resourceSpec("failed", { uri: "f://1" }),
  resourceSpec("slow", { uri: "s://1" })
]
const engine = Layer.provideMerge(
  engineLayer({ invokeTimeout: "1500 millis" }),
  Layer.mergeAll(Layer.provideMerge(seeded(specs), layerMemory), invoker, sessionStores)
).pipe(Layer.provideMerge(Layer.mergeAll(capture, Logger.minimumLogLevel(LogLevel.All))))

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
const toolText = (name: string) =>
  Effect.map(result("tools/call", { name, arguments: {} }), (answer) => {
    expect(answer["isError"]).toBe(true)
    return answer["content"][0].text as string
  })

describe("invocation failures", () => {
  it.effect("are one sentence per kind for a tool, with a correlation id and no AWS reason", () =>
    Effect.gen(function* () {
      const sentences: Array<[string, string]> = [
        ["throttled", "Tool 'throttled' is throttled; try again shortly"],
        ["denied", "Tool 'denied' is unavailable: this server may not invoke its function"],
        ["failed", "Tool 'failed' failed: its function could not be invoked"],
        ["slow", "Tool 'slow' timed out after 1.5 s"],
        ["missing", "Tool 'missing' is unavailable: its function was not found"],
        ["streamed-throttled", "Tool 'streamed-throttled' is throttled; try again shortly"]
      ]
      for (const [name, sentence] of sentences) {
        const text = yield* toolText(name)
        expect(text).toMatch(new RegExp(`^${sentence.replace(/[().]/g, "\\$&")} \\(correlation id ${UUID}\\)$`))
        expect(text).not.toContain(SECRET)
      }
    }).pipe(Effect.provide(engine)))

  it.effect("a function's own error is its message, with no correlation id", () =>
    Effect.gen(function* () {
      expect(yield* toolText("throwing")).toBe("Tool 'throwing' failed: x is undefined")
    }).pipe(Effect.provide(engine)))

  it.effect("the log holds the reason under the client's correlation id: an error when the server may be at fault, else a warning", () =>
    Effect.gen(function* () {
      for (const [name, level] of [["denied", "ERROR"], ["failed", "ERROR"], ["throttled", "WARN"], ["slow", "WARN"]] as const) {
        logged.length = 0
        const id = (yield* toolText(name)).match(new RegExp(UUID))![0]
        const line = logged.find((entry) => entry.message.includes(id))
        expect(line?.level).toBe(level)
        expect(line?.message).toContain(`"functionName":"${name}"`)
        expect(line?.message).toContain(name === "throttled" ? "is throttled" : name === "slow" ? "1500 ms" : SECRET)
      }
    }).pipe(Effect.provide(engine)))

  it.effect("are -32603 with the same sentence for prompts and resource reads", () =>
    Effect.gen(function* () {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ["prompts/get", { name: "throttled" }, "Prompt 'throttled' is throttled; try again shortly"],
        ["prompts/get", { name: "denied" }, "Prompt 'denied' is unavailable: this server may not invoke its function"],
        ["resources/read", { uri: "f://1" }, "Reading 'f://1' failed: its function could not be invoked"],
        ["resources/read", { uri: "s://1" }, "Reading 's://1' timed out after 1.5 s"]
      ]
      for (const [method, params, sentence] of cases) {
        const error = yield* rpcError(method, params)
        expect(error.code).toBe(ErrorCode.InternalError)
        expect(error.message.startsWith(`${sentence} (correlation id `)).toBe(true)
      }
    }).pipe(Effect.provide(engine)))
})

describe("each invocation", () => {
  it.effect("writes an audit line naming the caller, the method, the registration, the function and the session", () =>
    Effect.gen(function* () {
      logged.length = 0
      const session: RequestContext = { ...context, sessionId: "session-audit-0123456789" as SessionId, principal: "arn:aws:iam::1:user/ada" }
      yield* result("tools/call", { name: "fine", arguments: {} }, session)
      yield* result("tools/call", { name: "fine", arguments: {} })
      const audits = logged.filter((entry) => entry.message.includes("function.invoke")).map((entry) => [entry.level, (JSON.parse(entry.message) as Array<unknown>)[0]])
      expect(audits).toEqual([
        ["INFO", {
          audit: "function.invoke",
          principal: "arn:aws:iam::1:user/ada",
          method: "tools/call",
          registration: "tool-fine",
          lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:fine",
          session: "session-audit-0123456789"
        }],
        ["INFO", {
          audit: "function.invoke",
          principal: "unknown",
          method: "tools/call",
          registration: "tool-fine",
          lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:fine"
        }]
      ])
    }).pipe(Effect.provide(engine)))

  it.effect("is given the engine's invoke timeout", () =>
    Effect.gen(function* () {
      invocations.length = 0
      yield* result("tools/call", { name: "fine", arguments: {} })
      expect(invocations.map((invocation) => invocation.timeout)).toEqual(["1500 millis"])
    }).pipe(Effect.provide(engine)))
})
