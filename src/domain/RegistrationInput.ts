/**
 * What the Registration API accepts: the full registration schema, or the original API's body
 * with its shorthand `parameters` (converted to JSON Schema or prompt arguments), decoded into
 * a `RegistrationSpec` with every problem named by its path.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidRegistration, Problem } from "./errors.js"
import { JsonSchema } from "./LazyModules.js"
import { checkShorthand, type ParameterShorthandMap, toJsonSchema, toPromptArguments } from "./Parameters.js"
import { isPlainObject, RegistrationSpec, RegistrationType } from "./Registration.js"
import { decodeUnknownEither, issuesOf } from "./Decode.js"

const Kind = Schema.Struct({ type: RegistrationType })

/** Every problem of a decode, by path. */
const problemsOf = (error: ParseResult.ParseError): ReadonlyArray<Problem> =>
  issuesOf(error).map((issue) => new Problem({ path: issue.path.map(String).join("."), message: messageOf(issue) }))

const messageOf = (issue: ParseResult.ArrayFormatterIssue): string => {
  if (issue._tag === "Missing") return "is required"
  if (issue._tag === "Unexpected") return "is not a known field"
  return issue.message
}

const invalid = (path: string, message: string) => new InvalidRegistration({ problems: [new Problem({ path, message })] })

const decodeSpec = decodeUnknownEither(RegistrationSpec, { errors: "all", onExcessProperty: "error" })

/**
 * A tool's `inputSchema` and `outputSchema` against their dialect's meta-schema, and their
 * patterns against RE2. Ajv and re2js are loaded here, on the first tool written, not at init:
 * listing, reading or deleting registrations never needs them.
 */
const schemaProblems = (input: Record<string, unknown>): Effect.Effect<ReadonlyArray<Problem>> => {
  const schemas = ["inputSchema", "outputSchema"].flatMap((field) => {
    const schema = input[field]
    return isPlainObject(schema) && schema["type"] === "object" ? [{ field, schema }] : []
  })
  if (schemas.length === 0) return Effect.succeed([])
  return Effect.map(JsonSchema, ({ checkSchema }) =>
    schemas.flatMap(({ field, schema }) =>
      checkSchema(schema).map((issue) => new Problem({ path: issue.path === "" ? field : `${field}.${issue.path}`, message: issue.message }))
    ))
}

/**
 * Turns an API body into a normalised spec: the shorthand `parameters` becomes `inputSchema`
 * (tools) or `arguments` (prompts); every problem is reported with its path.
 */
export const decodeRegistrationInput = (input: unknown): Effect.Effect<RegistrationSpec, InvalidRegistration> =>
  Effect.gen(function* () {
    if (!isPlainObject(input)) return yield* invalid("", "a registration must be a JSON object")
    const kind = decodeUnknownEither(Kind)(input)
    if (Either.isLeft(kind)) {
      return yield* invalid("type", "must be one of \"tool\", \"resource\", \"prompt\"")
    }
    const normalised = yield* normalise(kind.right.type, input)
    const decoded = decodeSpec(normalised)
    const schemas = kind.right.type === "tool" ? yield* schemaProblems(normalised) : []
    if (Either.isRight(decoded) && schemas.length === 0) return decoded.right
    return yield* new InvalidRegistration({ problems: [...(Either.isLeft(decoded) ? problemsOf(decoded.left) : []), ...schemas] })
  })

const decodeParameters = (parameters: unknown): Either.Either<ParameterShorthandMap, InvalidRegistration> => {
  const problems = checkShorthand(parameters, ["parameters"])
  return problems.length === 0
    ? Either.right(parameters as ParameterShorthandMap)
    : Either.left(
      new InvalidRegistration({
        problems: problems.map((problem) => new Problem({ path: problem.path.join("."), message: problem.message }))
      })
    )
}

const normalise = (
  type: RegistrationType,
  input: Record<string, unknown>
): Effect.Effect<Record<string, unknown>, InvalidRegistration> =>
  Effect.gen(function* () {
    const { parameters, ...rest } = input
    if (type === "tool") {
      if (parameters === undefined) {
        return rest["inputSchema"] === undefined ? { ...rest, inputSchema: { type: "object", properties: {} } } : rest
      }
      if (rest["inputSchema"] !== undefined) {
        return yield* invalid("parameters", "give inputSchema or parameters, not both")
      }
      return { ...rest, inputSchema: toJsonSchema(yield* decodeParameters(parameters)) }
    }
    if (type === "prompt") {
      if (parameters === undefined) return rest["arguments"] === undefined ? { ...rest, arguments: [] } : rest
      if (rest["arguments"] !== undefined) {
        return yield* invalid("parameters", "give arguments or parameters, not both")
      }
      return { ...rest, arguments: toPromptArguments(yield* decodeParameters(parameters)) }
    }
    if (parameters !== undefined) return yield* invalid("parameters", "is not a known field for a resource")
    return rest
  })

/** Decodes a stored item (e.g. from DynamoDB); a failure means the store holds something unexpected. */

