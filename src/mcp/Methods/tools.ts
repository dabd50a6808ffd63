/** `tools/list` and `tools/call`. */
import { Effect } from "effect"
import { formatIssues, validate } from "../../domain/JsonSchema.js"
import { CallToolParams, CallToolResult, ListToolsResult, PaginatedParams } from "../../domain/Mcp.js"
import type { ToolRegistration } from "../../domain/Registration.js"
import { describeInvocationError, invoke, invokeStreaming } from "../Invoke.js"
import { listResult, lookup, page } from "../Lookup.js"
import { withInputRounds } from "../InputRounds.js"
import { log } from "../McpRequest.js"
import { method } from "../Method.js"
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

export const call = method("tools/call", {
  params: CallToolParams,
  result: CallToolResult,
  handle: (params) =>
    Effect.gen(function* () {
      const tool = yield* lookup("tool", params.name)
      const args = params.arguments ?? {}
      const issues = validate(tool.inputSchema, args)
      if (issues.length > 0) {
        return toolError(`Invalid arguments for tool '${tool.name}': ${formatIssues(issues)}`)
      }
      yield* log("debug", `Calling tool '${tool.name}'`)
      const answer = withInputRounds((input) =>
        tool.streaming === true ? invokeStreaming(tool, { args, ...input }, resourceUpdated) : invoke(tool, { args, ...input })
      )
      // Tool execution errors are results (isError), not protocol errors.
      return yield* answer.pipe(
        Effect.map((answer) => toCallToolResult(tool, answer)),
        Effect.catchAll((error) =>
          Effect.flatMap(
            error._tag === "StreamProblem" || error._tag === "InputProblem"
              ? Effect.succeed(`Tool '${tool.name}' ${error.message}`)
              : describeInvocationError(`Tool '${tool.name}'`, error),
            (message) => Effect.as(log("error", message), toolError(message))
          ))
      )
    })
})
