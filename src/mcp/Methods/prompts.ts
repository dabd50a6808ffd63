/** `prompts/list` and `prompts/get`. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { GetPromptParams, GetPromptResult, ListPromptsResult, PaginatedParams } from "../../domain/Mcp.js"
import { InternalError, InvalidParams } from "../Errors.js"
import { asInternalErrors, invoke } from "../Invoke.js"
import { listResult, lookup, page } from "../Lookup.js"
import { method } from "../Method.js"
import { ModernInputRequired, withRounds } from "../ModernRounds.js"
import { toGetPromptResult } from "../Results.js"
import { lazySchema } from "../../domain/Decode.js"

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
  result: lazySchema(() => Schema.Union(GetPromptResult.built(), ModernInputRequired.built())),
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
      const round = yield* withRounds(params, `prompts/get:${prompt.name}`, (input) => invoke(prompt, { args, ...input })).pipe(
        Effect.catchTags(asInternalErrors(`Prompt '${prompt.name}'`))
      )
      if (round._tag === "InputRequired") return round.result
      return yield* Either.mapLeft(
        toGetPromptResult(round.answer),
        (error) => new InternalError({ message: `Prompt '${prompt.name}' answered unusably: ${error.message}` })
      )
    })
})
