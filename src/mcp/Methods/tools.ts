/** `tools/list` and `tools/call`. */
import { Effect, Option, Schema } from "effect"
import { decodeHeaderValue } from "../../domain/Modern.js"
import type { InvocationError } from "../../domain/errors.js"
import { formatIssues, validate } from "../../domain/JsonSchema.js"
import { CallToolParams, CallToolResult, ListToolsResult, PaginatedParams } from "../../domain/Mcp.js"
import { HeaderMismatch, MissingRequiredClientCapability, type ProtocolError } from "../Errors.js"
import type { StreamProblem } from "../FunctionStream.js"
import { isPlainObject, type ToolRegistration } from "../../domain/Registration.js"
import { describeInvocationError, invoke, invokeStreaming } from "../Invoke.js"
import { listResult, lookup, page } from "../Lookup.js"
import type { InputProblem } from "../InputRounds.js"
import { isModern, log, McpRequest } from "../McpRequest.js"
import { method, type MethodServices } from "../Method.js"
import { ModernInputRequired, withRounds } from "../ModernRounds.js"
import { toCallToolResult, toolError } from "../Results.js"
import { resourceUpdated } from "./resources.js"

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

/** Whether a failure is the tool's (an isError result) rather than the request's (a JSON-RPC error). */
const isToolFailure = (error: { readonly _tag: string }): error is ToolFailure =>
  !["InvalidParams", "MissingRequiredClientCapability", "HeaderMismatch", "InternalError", "InvalidRequest", "MethodNotFound", "ResourceNotFound"]
    .includes(error._tag)

type ToolFailure = InvocationError | StreamProblem | InputProblem

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
      const decoded = decodeHeaderValue(sent.replace(/^[ \t]+|[ \t]+$/g, ""))
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

export const call = method("tools/call", {
  params: CallToolParams,
  result: Schema.Union(CallToolResult, ModernInputRequired),
  handle: (params) =>
    Effect.gen(function* () {
      const tool = yield* lookup("tool", params.name)
      const args = params.arguments ?? {}
      const issues = validate(tool.inputSchema, args)
      if (issues.length > 0) {
        return toolError(`Invalid arguments for tool '${tool.name}': ${formatIssues(issues)}`)
      }
      yield* requireCapabilities(tool)
      yield* checkParamHeaders(tool, args)
      yield* log("debug", `Calling tool '${tool.name}'`)
      const invokeWith = (input: Record<string, unknown>) =>
        tool.streaming === true ? invokeStreaming(tool, { args, ...input }, resourceUpdated) : invoke(tool, { args, ...input })
      const answer: Effect.Effect<CallToolResult | typeof ModernInputRequired.Type, ProtocolError | ToolFailure, McpRequest | MethodServices> =
        Effect.map(withRounds(params, `tools/call:${tool.name}`, invokeWith), (round) =>
          round._tag === "InputRequired" ? round.result : toCallToolResult(tool, round.answer))
      // Tool execution errors are results (isError), not protocol errors.
      return yield* answer.pipe(
        Effect.catchIf(isToolFailure, (error) =>
          Effect.flatMap(
            error._tag === "StreamProblem" || error._tag === "InputProblem"
              ? Effect.succeed(`Tool '${tool.name}' ${error.message}`)
              : describeInvocationError(`Tool '${tool.name}'`, error),
            (message) => Effect.as(log("error", message), toolError(message))
          ))
      )
    })
})
