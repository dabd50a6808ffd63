/**
 * The original API's shorthand for parameters, and its conversion:
 *
 *   { "city": "string" }                                   a required string
 *   { "days": { "type": "integer", "optional": true } }     an optional integer
 *   { "days": { "type": "integer", "minimum": 1, "maximum": 16 } }   within bounds
 *   { "tags": { "type": "array", "items": "string" } }      an array of strings
 *   { "where": { "type": "object", "properties": { "lat": "number", "lon": "number" } } }
 *
 * Tools get a JSON Schema (`inputSchema`); prompts get `arguments` (names, descriptions and
 * whether each is required — prompt arguments are strings).
 */
import type { PromptArgument } from "./Registration.js"

const TYPE_NAMES = ["string", "number", "integer", "boolean", "object", "array"] as const
export type ShorthandType = (typeof TYPE_NAMES)[number]

export type ParameterShorthand =
  | ShorthandType
  | {
    readonly type: ShorthandType
    readonly optional?: boolean | undefined
    readonly description?: string | undefined
    readonly enum?: ReadonlyArray<unknown> | undefined
    readonly default?: unknown
    /** Bounds of a `number` or `integer` (JSON Schema's, inclusive). */
    readonly minimum?: number | undefined
    readonly maximum?: number | undefined
    readonly items?: ParameterShorthand | undefined
    readonly properties?: { readonly [name: string]: ParameterShorthand } | undefined
  }

export type ParameterShorthandMap = { readonly [name: string]: ParameterShorthand }

export interface ShorthandProblem {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

const TYPE_LIST = TYPE_NAMES.map((name) => `"${name}"`).join(", ")
const FIELDS = new Set(["type", "optional", "description", "enum", "default", "minimum", "maximum", "items", "properties"])

const isTypeName = (u: unknown): u is ShorthandType => (TYPE_NAMES as ReadonlyArray<unknown>).includes(u)
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Checks a shorthand parameter map by hand: a schema union would report one line per
 * alternative, where a person wants one line per mistake.
 */
export const checkShorthand = (input: unknown, path: ReadonlyArray<string> = []): ReadonlyArray<ShorthandProblem> => {
  if (!isObject(input)) return [{ path, message: "must be an object mapping parameter names to types" }]
  return Object.entries(input).flatMap(([name, parameter]) => checkParameter(parameter, [...path, name]))
}

const checkParameter = (parameter: unknown, path: ReadonlyArray<string>): ReadonlyArray<ShorthandProblem> => {
  if (typeof parameter === "string") {
    return isTypeName(parameter) ? [] : [{ path, message: `must be one of ${TYPE_LIST}, not "${parameter}"` }]
  }
  if (!isObject(parameter)) {
    return [{ path, message: `must be a type name (${TYPE_LIST}) or an object such as { "type": "string", "optional": true }` }]
  }
  const problems: Array<ShorthandProblem> = []
  const at = (field: string, message: string) => problems.push({ path: [...path, field], message })
  if (!isTypeName(parameter["type"])) at("type", `must be one of ${TYPE_LIST}`)
  for (const field of Object.keys(parameter)) if (!FIELDS.has(field)) at(field, "is not a known field")
  if (parameter["optional"] !== undefined && typeof parameter["optional"] !== "boolean") at("optional", "must be true or false")
  if (parameter["description"] !== undefined && typeof parameter["description"] !== "string") {
    at("description", "must be a string")
  }
  if (parameter["enum"] !== undefined && !Array.isArray(parameter["enum"])) at("enum", "must be an array")
  for (const bound of ["minimum", "maximum"] as const) {
    if (parameter[bound] === undefined) continue
    if (parameter["type"] !== "number" && parameter["type"] !== "integer") at(bound, "is only for \"number\" and \"integer\" parameters")
    else if (typeof parameter[bound] !== "number" || !Number.isFinite(parameter[bound])) at(bound, "must be a number")
  }
  if (typeof parameter["minimum"] === "number" && typeof parameter["maximum"] === "number" && parameter["minimum"] > parameter["maximum"]) {
    at("maximum", "must not be below minimum")
  }
  if (parameter["items"] !== undefined) {
    if (parameter["type"] !== "array") at("items", "is only for \"array\" parameters")
    else problems.push(...checkParameter(parameter["items"], [...path, "items"]))
  }
  if (parameter["properties"] !== undefined) {
    if (parameter["type"] !== "object") at("properties", "is only for \"object\" parameters")
    else problems.push(...checkShorthand(parameter["properties"], [...path, "properties"]))
  }
  return problems
}

const schemaOf = (parameter: ParameterShorthand): Record<string, unknown> => {
  if (typeof parameter === "string") return parameter === "object" ? { type: "object" } : { type: parameter }
  const schema: Record<string, unknown> = { type: parameter.type }
  if (parameter.description !== undefined) schema["description"] = parameter.description
  if (parameter.enum !== undefined) schema["enum"] = parameter.enum
  if (parameter.default !== undefined) schema["default"] = parameter.default
  if (parameter.minimum !== undefined) schema["minimum"] = parameter.minimum
  if (parameter.maximum !== undefined) schema["maximum"] = parameter.maximum
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
