/**
 * `completion/complete`: values from the registration's `completions` by prefix, or — when it
 * says `"function"` — from its function, asked `{ action: "complete", argument, context }`.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { CompleteParams, CompleteResult } from "../../domain/Mcp.js"
import type { Registration } from "../../domain/Registration.js"
import { InternalError, InvalidParams } from "../Errors.js"
import { describeInvocationError, invoke } from "../Invoke.js"
import { lookup } from "../Lookup.js"
import { method } from "../Method.js"
import { unwrap } from "../Results.js"
import { allResources } from "./resources.js"
import { decodeUnknownEither, describeParseError, lazySchema } from "../../domain/Decode.js"

const MAX_VALUES = 100

/** What a completing function answers (inside the usual `{ statusCode, body }` envelope or bare). */
const FunctionCompletion = lazySchema(() => Schema.Struct({
  values: Schema.Array(Schema.String),
  total: Schema.optional(Schema.Number),
  hasMore: Schema.optional(Schema.Boolean)
}))
const decodeCompletion = decodeUnknownEither(FunctionCompletion)

const byFunction = (registration: Registration, params: typeof CompleteParams.Type) =>
  Effect.gen(function* () {
    const what = `Completing for '${registration.name}'`
    const answer = yield* invoke(registration, {
      action: "complete",
      argument: params.argument,
      context: { arguments: params.context?.arguments ?? {} }
    }).pipe(
      Effect.catchAll((error) =>
        Effect.flatMap(describeInvocationError(what, error), (message) => Effect.fail(new InternalError({ message }))))
    )
    const { body, statusCode } = unwrap(answer)
    if (statusCode !== undefined && statusCode >= 400) {
      return yield* new InternalError({ message: `${what} failed (status ${statusCode})` })
    }
    const completion = yield* Either.mapLeft(decodeCompletion(body), (error) =>
      new InternalError({ message: `${what} answered unusably: ${describeParseError(error)}` }))
    const values = completion.values.slice(0, MAX_VALUES)
    return {
      completion: {
        values,
        total: completion.total ?? completion.values.length,
        hasMore: completion.hasMore ?? completion.values.length > MAX_VALUES
      }
    }
  })

export const complete = method("completion/complete", {
  params: CompleteParams,
  result: CompleteResult,
  handle: (params) =>
    Effect.gen(function* () {
      const { argument, ref } = params
      let registration: Extract<Registration, { readonly type: "prompt" | "resource" }>
      if (ref.type === "ref/prompt") {
        registration = yield* lookup("prompt", ref.name)
      } else {
        const resource = (yield* allResources).find((r) => r.uriTemplate === ref.uri || r.uri === ref.uri)
        if (resource === undefined) return yield* new InvalidParams({ message: `Unknown resource: ${ref.uri}` })
        registration = resource
      }
      const completions = registration.completions
      if (completions === "function") return yield* byFunction(registration, params)
      const prefix = argument.value.toLowerCase()
      const values = (completions?.[argument.name] ?? []).filter((value) => value.toLowerCase().startsWith(prefix))
      return { completion: { values: values.slice(0, MAX_VALUES), total: values.length, hasMore: values.length > MAX_VALUES } }
    })
})
