/**
 * The original API's shorthand for parameters, and its conversion:
 *
 *   { "city": "string" }                                   a required string
 *   { "days": { "type": "integer", "optional": true } }     an optional integer
 *   { "tags": { "type": "array", "items": "string" } }      an array of strings
 *   { "where": { "type": "object", "properties": { "lat": "number", "lon": "number" } } }
 *
 * Tools get a JSON Schema (`inputSchema`); prompts get `arguments` (names, descriptions and
 * whether each is required — prompt arguments are strings).
 */
import { Schema } from "effect"
import type { PromptArgument } from "./Registration.js"

export const ShorthandType = Schema.Literal("string", "number", "integer", "boolean", "object", "array")
export type ShorthandType = typeof ShorthandType.Type

export type ParameterShorthand =
  | ShorthandType
  | {
    readonly type: ShorthandType
    readonly optional?: boolean | undefined
    readonly description?: string | undefined
    readonly enum?: ReadonlyArray<unknown> | undefined
    readonly default?: unknown
    readonly items?: ParameterShorthand | undefined
    readonly properties?: { readonly [name: string]: ParameterShorthand } | undefined
  }

export const ParameterShorthand: Schema.Schema<ParameterShorthand> = Schema.Union(
  ShorthandType,
  Schema.Struct({
    type: ShorthandType,
    optional: Schema.optional(Schema.Boolean),
    description: Schema.optional(Schema.String),
    enum: Schema.optional(Schema.Array(Schema.Unknown)),
    default: Schema.optional(Schema.Unknown),
    items: Schema.optional(Schema.suspend(() => ParameterShorthand)),
    properties: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.suspend(() => ParameterShorthand) }))
  })
)

export const ParameterShorthandMap = Schema.Record({ key: Schema.String, value: ParameterShorthand })
export type ParameterShorthandMap = typeof ParameterShorthandMap.Type

const schemaOf = (parameter: ParameterShorthand): Record<string, unknown> => {
  if (typeof parameter === "string") return parameter === "object" ? { type: "object" } : { type: parameter }
  const schema: Record<string, unknown> = { type: parameter.type }
  if (parameter.description !== undefined) schema["description"] = parameter.description
  if (parameter.enum !== undefined) schema["enum"] = parameter.enum
  if (parameter.default !== undefined) schema["default"] = parameter.default
  if (parameter.type === "array" && parameter.items !== undefined) schema["items"] = schemaOf(parameter.items)
  if (parameter.type === "object" && parameter.properties !== undefined) {
    Object.assign(schema, toJsonSchema(parameter.properties))
  }
  return schema
}

const isRequired = (parameter: ParameterShorthand) => typeof parameter === "string" || parameter.optional !== true

/** `{ type: "object", properties, required }` for a map of shorthand parameters. */
export const toJsonSchema = (parameters: ParameterShorthandMap): Record<string, unknown> => {
  const entries = Object.entries(parameters)
  const required = entries.filter(([, parameter]) => isRequired(parameter)).map(([name]) => name)
  return {
    type: "object",
    properties: Object.fromEntries(entries.map(([name, parameter]) => [name, schemaOf(parameter)])),
    ...(required.length > 0 ? { required } : {})
  }
}

export const toPromptArguments = (parameters: ParameterShorthandMap): Array<PromptArgument> =>
  Object.entries(parameters).map(([name, parameter]) => ({
    name,
    ...(typeof parameter !== "string" && parameter.description !== undefined
      ? { description: parameter.description }
      : {}),
    required: isRequired(parameter)
  }))
