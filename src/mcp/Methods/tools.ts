/** `tools/list` and `tools/call`. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { decodeHeaderValue, trimHeaderValue } from "../../domain/Modern.js"
import { audit } from "../../Audit.js"
import type { InvocationError } from "../../domain/errors.js"
import { JsonSchema } from "../../domain/LazyModules.js"
import { CallToolParams, CallToolResult, ListToolsResult, PaginatedParams } from "../../domain/Mcp.js"
import { CreateTaskResult } from "../../domain/Task.js"
import { HeaderMismatch, MissingRequiredClientCapability, type ProtocolError } from "../Errors.js"
import type { StreamProblem } from "../FunctionStream.js"
import { isPlainObject, type ToolRegistration } from "../../domain/Registration.js"
import { describeInvocationError, invoke, invokeStreaming, isFunctionFailure } from "../Invoke.js"
import { listResult, lookup, page } from "../Lookup.js"
import type { InputProblem } from "../InputRounds.js"
import { isModern, log, McpRequest } from "../McpRequest.js"
import { method, type MethodServices } from "../Method.js"
import { inputOf, ModernInputRequired, withRounds } from "../ModernRounds.js"
import { toCallToolResult, toolError, unwrap } from "../Results.js"
import { isTaskAnswer } from "../TaskRun.js"
import { startTask, taskModeOf } from "../Tasks.js"
import { resourceUpdated } from "./resources.js"
import { lazySchema } from "../../domain/Decode.js"

const toolOf = (tool: ToolRegistration) => ({
  name: tool.name,
  title: tool.title,
  description: tool.description,
  inputSchema: tool.inputSchema,
  outputSchema: tool.outputSchema,
  annotations: tool.annotations,
  icons: tool.icons
})

export const list = method("tools/list", {
  params: PaginatedParams,
  result: ListToolsResult,
  handle: ({ cursor }) =>
    Effect.map(page("tool", cursor, (tool) => Effect.succeed([toolOf(tool)])), (result) => listResult("tools", result))
})


/**
 * 2026-07-28: arguments a tool's schema marks `x-mcp-header` travel in `Mcp-Param-<Name>` too,
 * so intermediaries can route on them; the header must be there when the argument is, and agree.
 */
const checkParamHeaders = (tool: ToolRegistration, args: Readonly<Record<string, unknown>>) =>
  Effect.flatMap(McpRequest, (request) => {
    if (!isModern(request)) return Effect.void
    const properties = isPlainObject(tool.inputSchema["properties"]) ? tool.inputSchema["properties"] : {}
    for (const [property, schema] of Object.entries(properties)) {
      const header = isPlainObject(schema) ? schema["x-mcp-header"] : undefined
      const value = args[property]
      if (typeof header !== "string" || value === undefined || value === null) continue
      const name = `Mcp-Param-${header}`
      const sent = request.paramHeaders?.[name.toLowerCase()]
      if (sent === undefined) return Effect.fail(new HeaderMismatch({ message: `Header mismatch: the ${name} header is required` }))
      const decoded = decodeHeaderValue(trimHeaderValue(sent))
      if (Option.isNone(decoded)) return Effect.fail(new HeaderMismatch({ message: `Header mismatch: the ${name} header is malformed` }))
      const agrees = typeof value === "number" ? Number(decoded.value) === value : decoded.value === String(value)
      if (!agrees) return Effect.fail(new HeaderMismatch({ message: `Header mismatch: ${name} does not match the argument '${property}'` }))
    }
    return Effect.void
  })

/** 2026-07-28: a tool that needs a client capability the request does not declare is refused (-32021). */
const requireCapabilities = (tool: ToolRegistration) =>
  Effect.flatMap(McpRequest, (request) => {
    if (!isModern(request) || tool.requiredCapabilities === undefined) return Effect.void
    const declared = request.clientCapabilities ?? {}
    const missing = Object.fromEntries(Object.entries(tool.requiredCapabilities).filter(([name]) => declared[name] === undefined))
    return Object.keys(missing).length === 0 ? Effect.void : Effect.fail(new MissingRequiredClientCapability({ requiredCapabilities: missing }))
  })

/** A function's `{ "resultType": "task" }` in a call offered to become a task: go on in the background. */
class TaskRequested {
  constructor(readonly input: Readonly<Record<string, unknown>>) {}
}

const target = (tool: ToolRegistration) => `tools/call:${tool.name}`

export const call = method("tools/call", {
  params: CallToolParams,
  result: lazySchema(() => Schema.Union(CallToolResult.built(), ModernInputRequired.built(), CreateTaskResult.built())),
  handle: (params) =>
    Effect.gen(function* () {
      const tool = yield* lookup("tool", params.name)
      const args = params.arguments ?? {}
      const { formatIssues, validate } = yield* JsonSchema
      const issues = validate(tool.inputSchema, args)
      if (issues.length > 0) {
        return toolError(`Invalid arguments for tool '${tool.name}': ${formatIssues(issues)}`)
      }
      yield* requireCapabilities(tool)
      const mode = yield* taskModeOf(tool)
      yield* checkParamHeaders(tool, args)
      if (mode === "immediate") {
        yield* log("debug", `Starting tool '${tool.name}' as a task`)
        // The task runner invokes the function later, outside this request: the audit line is written now.
        const request = yield* McpRequest
        yield* audit({
          audit: "function.invoke",
          principal: request.principal ?? "unknown",
          method: "tools/call",
          registration: tool.id,
          lambdaArn: tool.lambdaArn,
          task: true
        })
        return yield* startTask(tool, args, yield* inputOf(params, target(tool)))
      }
      yield* log("debug", `Calling tool '${tool.name}'`)
      // `function`: the function may answer { resultType: "task" } to go on as a task.
      const more = mode === "function" ? { task: { offered: true } } : undefined
      const invokeWith = (input: Record<string, unknown>) =>
        Effect.map(
          tool.streaming === true
            ? invokeStreaming(tool, { args, ...input }, resourceUpdated, more)
            : invoke(tool, { args, ...input }, more),
          (answer) => (mode === "function" && isTaskAnswer(answer) ? new TaskRequested({ ...input, ...stateOf(answer) }) : answer)
        )
      const answer: Effect.Effect<
        CallToolResult | typeof ModernInputRequired.Type | CreateTaskResult,
        ProtocolError | InvocationError | StreamProblem | InputProblem,
        McpRequest | MethodServices
      > = Effect.flatMap(withRounds(params, target(tool), invokeWith), (round): Effect.Effect<
        CallToolResult | typeof ModernInputRequired.Type | CreateTaskResult,
        ProtocolError,
        McpRequest | MethodServices
      > => {
        if (round._tag === "InputRequired") return Effect.succeed(round.result)
        if (round.answer instanceof TaskRequested) return startTask(tool, args, round.answer.input)
        if (tool.taskStart === "function" && isTaskAnswer(round.answer)) {
          return Effect.succeed(toolError(`Tool '${tool.name}' asked to continue as a task, which this call cannot become`))
        }
        return toCallToolResult(tool, round.answer)
      })
      // Tool execution errors are results (isError), not protocol errors.
      return yield* answer.pipe(
        Effect.catchIf(isFunctionFailure, (error) =>
          Effect.flatMap(
            error._tag === "StreamProblem" || error._tag === "InputProblem"
              ? Effect.succeed(`Tool '${tool.name}' ${error.message}`)
              : describeInvocationError(`Tool '${tool.name}'`, error),
            (message) => Effect.as(log("error", message), toolError(message))
          ))
      )
    })
})

/** The function's own state in its `{ "resultType": "task" }` answer, for the task's runs. */
const stateOf = (answer: unknown) => {
  const { body } = unwrap(answer)
  const state = isPlainObject(body) ? body["requestState"] : undefined
  return typeof state === "string" ? { requestState: state } : {}
}
