/** `prompts/list` and `prompts/get`. */
import { Effect, Either } from "effect"
import { GetPromptParams, GetPromptResult, ListPromptsResult, PaginatedParams } from "../../domain/Mcp.js"
import { InternalError, InvalidParams } from "../Errors.js"
import { describeInvocationError, invoke } from "../Invoke.js"
import { listResult, lookup, page } from "../Lookup.js"
import { method } from "../Method.js"
import { toGetPromptResult } from "../Results.js"

export const list = method("prompts/list", {
  params: PaginatedParams,
  result: ListPromptsResult,
  handle: ({ cursor }) =>
    Effect.map(
      page("prompt", cursor, (prompt) =>
        Effect.succeed([{
          name: prompt.name,
          title: prompt.title,
          description: prompt.description,
          arguments: prompt.arguments,
          icons: prompt.icons
        }])),
      (result) => listResult("prompts", result)
    )
})

export const get = method("prompts/get", {
  params: GetPromptParams,
  result: GetPromptResult,
  handle: (params) =>
    Effect.gen(function* () {
      const prompt = yield* lookup("prompt", params.name)
      const args = params.arguments ?? {}
      const missing = prompt.arguments.filter((argument) => argument.required === true && args[argument.name] === undefined)
      if (missing.length > 0) {
        return yield* new InvalidParams({
          message: `Missing required arguments: ${missing.map((argument) => argument.name).join(", ")}`
        })
      }
      const answer = yield* invoke(prompt, { args }).pipe(
        Effect.catchAll((error) =>
          Effect.flatMap(describeInvocationError(`Prompt '${prompt.name}'`, error), (message) =>
            Effect.fail(new InternalError({ message }))))
      )
      return yield* Either.mapLeft(
        toGetPromptResult(answer),
        (error) => new InternalError({ message: `Prompt '${prompt.name}' answered unusably: ${error.message}` })
      )
    })
})
