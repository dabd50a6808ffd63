/** `completion/complete`: values from the registration's `completions`, by prefix. */
import { Effect } from "effect"
import { CompleteParams, CompleteResult } from "../../domain/Mcp.js"
import { InvalidParams } from "../Errors.js"
import { lookup } from "../Lookup.js"
import { method } from "../Method.js"
import { allResources } from "./resources.js"

const MAX_VALUES = 100

export const complete = method("completion/complete", {
  params: CompleteParams,
  result: CompleteResult,
  handle: ({ argument, ref }) =>
    Effect.gen(function* () {
      let completions: Readonly<Record<string, ReadonlyArray<string>>> | undefined
      if (ref.type === "ref/prompt") {
        completions = (yield* lookup("prompt", ref.name)).completions
      } else {
        const resource = (yield* allResources).find((r) => r.uriTemplate === ref.uri || r.uri === ref.uri)
        if (resource === undefined) return yield* new InvalidParams({ message: `Unknown resource: ${ref.uri}` })
        completions = resource.completions
      }
      const prefix = argument.value.toLowerCase()
      const values = (completions?.[argument.name] ?? []).filter((value) => value.toLowerCase().startsWith(prefix))
      return { completion: { values: values.slice(0, MAX_VALUES), total: values.length, hasMore: values.length > MAX_VALUES } }
    })
})
