/**
 * Turns a function's JSON answer into MCP results, following the payload contract:
 * `{ statusCode, body }` (body as JSON text or a value) or a bare MCP result; anything else
 * becomes text (and structured content when it is an object).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { JsonSchema } from "../domain/LazyModules.js"
import {
  type CallToolResult,
  CallToolResult as CallToolResultSchema,
  type GetPromptResult,
  GetPromptResult as GetPromptResultSchema,
  type ListedResource,
  ListResourcesAnswer,
  type ReadResourceResult,
  ReadResourceResult as ReadResourceResultSchema
} from "../domain/Mcp.js"
import { isPlainObject, type ToolRegistration } from "../domain/Registration.js"
import { decodeUnknownEither, describeParseError } from "../domain/Decode.js"

export interface Unwrapped {
  readonly statusCode: number | undefined
  readonly body: unknown
}

const parseIfJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Opens the `{ statusCode, body }` envelope of the original contract, if the answer has one. */
export const unwrap = (answer: unknown): Unwrapped => {
  if (isPlainObject(answer) && typeof answer["statusCode"] === "number" && "body" in answer) {
    const body = answer["body"]
    return { statusCode: answer["statusCode"], body: typeof body === "string" ? parseIfJson(body) : body }
  }
  return { statusCode: undefined, body: answer }
}

/** A readable message from an error body: its text, its `error`/`message` field, or its JSON. */
export const describeBody = (body: unknown): string => {
  if (typeof body === "string") return body
  if (isPlainObject(body)) {
    for (const key of ["error", "message", "errorMessage"]) {
      const value = body[key]
      if (typeof value === "string") return value
      if (isPlainObject(value) && typeof value["message"] === "string") return value["message"]
    }
  }
  return JSON.stringify(body) ?? String(body)
}

const text = (value: string) => ({ type: "text" as const, text: value })

export const toolError = (message: string): CallToolResult => ({ content: [text(message)], isError: true })


const decodeCallToolResult = decodeUnknownEither(CallToolResultSchema)
const decodeReadResourceResult = decodeUnknownEither(ReadResourceResultSchema)
const decodeGetPromptResult = decodeUnknownEither(GetPromptResultSchema)
const decodeListedResources = decodeUnknownEither(ListResourcesAnswer)

/** What reading a tool's answer needs of its registration (a task keeps just this). */
export interface ToolShape {
  readonly name: string
  readonly outputSchema?: ToolRegistration["outputSchema"]
}

/** The tool's answer as a result, checked against its outputSchema (with the JSON Schema module, loaded on first use). */
export const toCallToolResult = (tool: ToolShape, answer: unknown): Effect.Effect<CallToolResult> => {
  const result = readCallToolResult(tool, answer)
  if (tool.outputSchema === undefined || result.isError === true) return Effect.succeed(result)
  if (result.structuredContent === undefined) {
    return Effect.succeed(toolError(`Tool '${tool.name}' declares an outputSchema but returned no structured content`))
  }
  const outputSchema = tool.outputSchema
  const structuredContent = result.structuredContent
  return Effect.map(JsonSchema, ({ formatIssues, validate }) => {
    const issues = validate(outputSchema, structuredContent)
    return issues.length > 0
      ? toolError(`Tool '${tool.name}' returned structured content that does not match its outputSchema: ${formatIssues(issues)}`)
      : result
  })
}

const readCallToolResult = (tool: ToolShape, answer: unknown): CallToolResult => {
  const { statusCode, body } = unwrap(answer)
  if (statusCode !== undefined && statusCode >= 400) {
    return toolError(`Tool '${tool.name}' failed (status ${statusCode}): ${describeBody(body)}`)
  }
  let result: CallToolResult
  if (isPlainObject(body) && Array.isArray(body["content"])) {
    const decoded = decodeCallToolResult(body)
    if (Either.isLeft(decoded)) {
      return toolError(`Tool '${tool.name}' returned an invalid result: ${describeParseError(decoded.left)}`)
    }
    result = decoded.right
  } else if (typeof body === "string") {
    result = { content: [text(body)] }
  } else if (isPlainObject(body)) {
    result = { content: [text(JSON.stringify(body))], structuredContent: body }
  } else {
    result = { content: [text(JSON.stringify(body) ?? "null")] }
  }
  return result
}

/** Why an answer cannot be used (the message names the problem, for the JSON-RPC error). */
export class UnusableAnswer {
  /** `notFound`: the function answered 404, saying that what was asked for does not exist. */
  constructor(readonly message: string, readonly notFound = false) {}
}

const errorStatus = (statusCode: number | undefined, body: unknown): UnusableAnswer | undefined =>
  statusCode !== undefined && statusCode >= 400
    ? new UnusableAnswer(`status ${statusCode}: ${describeBody(body)}`, statusCode === 404)
    : undefined

export const toReadResourceResult = (
  uri: string,
  mimeType: string | undefined,
  answer: unknown
): Either.Either<ReadResourceResult, UnusableAnswer> => {
  const { statusCode, body } = unwrap(answer)
  const failed = errorStatus(statusCode, body)
  if (failed !== undefined) return Either.left(failed)
  if (isPlainObject(body) && Array.isArray(body["contents"])) {
    return Either.mapLeft(
      decodeReadResourceResult(body),
      (error) => new UnusableAnswer(`invalid contents: ${describeParseError(error)}`)
    )
  }
  const contentsOf = (text: string, type: string | undefined) => ({
    contents: [type === undefined ? { uri, text } : { uri, mimeType: type, text }]
  })
  if (typeof body === "string") return Either.right(contentsOf(body, mimeType))
  return Either.right(contentsOf(JSON.stringify(body) ?? "null", mimeType ?? "application/json"))
}

export const toListedResources = (answer: unknown): Either.Either<ReadonlyArray<ListedResource>, UnusableAnswer> => {
  const { statusCode, body } = unwrap(answer)
  const failed = errorStatus(statusCode, body)
  if (failed !== undefined) return Either.left(failed)
  return Either.mapBoth(decodeListedResources(body), {
    onLeft: (error) => new UnusableAnswer(`invalid resource list: ${describeParseError(error)}`),
    onRight: (answer) => answer.resources
  })
}

export const toGetPromptResult = (answer: unknown): Either.Either<GetPromptResult, UnusableAnswer> => {
  const { statusCode, body } = unwrap(answer)
  const failed = errorStatus(statusCode, body)
  if (failed !== undefined) return Either.left(failed)
  if (typeof body === "string") {
    return Either.right({ messages: [{ role: "user", content: text(body) }] })
  }
  return Either.mapLeft(
    decodeGetPromptResult(body),
    (error) => new UnusableAnswer(`invalid prompt result: ${describeParseError(error)}`)
  )
}
