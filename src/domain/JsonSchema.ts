/**
 * JSON Schema checks with Ajv: draft 2020-12 (MCP's default dialect) and draft-07, chosen by
 * the schema's `$schema`. Compiled validators are cached by the schema's JSON text, so a warm
 * Lambda container compiles each registration's schema once.
 */
import { Ajv2020 } from "ajv/dist/2020.js"
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv"
import addFormatsModule from "ajv-formats"

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/

// ajv-formats is CommonJS whose `module.exports` is the plugin; TypeScript sees the namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv | Ajv2020
) => void

const options = { allErrors: true, strict: false, validateFormats: true } as const

/** Made on first use: building Ajv compiles its meta-schemas, which a cold start should not pay for. */
const lazy = <A>(make: () => A) => {
  let value: A | undefined
  return () => (value ??= make())
}
const draft2020 = lazy(() => {
  const ajv = new Ajv2020(options)
  addFormats(ajv)
  return ajv
})
const draft07 = lazy(() => {
  const ajv = new Ajv(options)
  addFormats(ajv)
  return ajv
})

export interface SchemaIssue {
  readonly path: string
  readonly message: string
}

const engineFor = (schema: Record<string, unknown>): Ajv | Ajv2020 | undefined => {
  const dialect = schema["$schema"]
  if (dialect === undefined) return draft2020()
  if (typeof dialect !== "string") return undefined
  if (DRAFT_2020.test(dialect)) return draft2020()
  if (DRAFT_07.test(dialect)) return draft07()
  return undefined
}

const describe = (errors: ReadonlyArray<ErrorObject> | null | undefined): ReadonlyArray<SchemaIssue> =>
  (errors ?? []).map((error) => {
    const path = error.instancePath === "" ? "" : error.instancePath.slice(1).replaceAll("/", ".")
    if (error.keyword === "required") {
      const missing = (error.params as { missingProperty: string }).missingProperty
      return { path: path === "" ? missing : `${path}.${missing}`, message: "is required" }
    }
    if (error.keyword === "additionalProperties") {
      const extra = (error.params as { additionalProperty: string }).additionalProperty
      return { path: path === "" ? extra : `${path}.${extra}`, message: "is not allowed" }
    }
    return { path, message: error.message ?? error.keyword }
  })

/** Problems with a schema itself: an unknown dialect, or a violation of the dialect's meta-schema. */
export const checkSchema = (schema: Record<string, unknown>): ReadonlyArray<SchemaIssue> => {
  const engine = engineFor(schema)
  if (engine === undefined) {
    return [{ path: "$schema", message: "must be the draft 2020-12 or draft-07 meta-schema URI" }]
  }
  const valid = engine.validateSchema(schema as AnySchema)
  if (valid === true) {
    // Compiling also catches unresolvable `$ref`s, which the meta-schema cannot.
    try {
      compile(schema)
      return []
    } catch (error) {
      return [{ path: "", message: error instanceof Error ? error.message : String(error) }]
    }
  }
  // The meta-schema's anyOf branches each report; the first per path reads best.
  const seen = new Set<string>()
  return describe(engine.errors)
    .filter((issue) => !seen.has(issue.path) && seen.add(issue.path))
    .map((issue) => ({ path: issue.path, message: `is not a valid JSON Schema: ${issue.message}` }))
}

const cache = new Map<string, ValidateFunction>()
const CACHE_LIMIT = 1_000

const compile = (schema: Record<string, unknown>): ValidateFunction => {
  const key = JSON.stringify(schema)
  const cached = cache.get(key)
  if (cached !== undefined) return cached
  const engine = engineFor(schema) ?? draft2020()
  // `$id`s would collide in Ajv's registry across registrations; compile an anonymous copy.
  const { $id: _id, ...anonymous } = schema
  const validate = engine.compile(anonymous)
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
  cache.set(key, validate)
  return validate
}

/** Validates a value; an empty list means it conforms. The schema must have passed `checkSchema`. */
export const validate = (schema: Record<string, unknown>, value: unknown): ReadonlyArray<SchemaIssue> => {
  const fn = compile(schema)
  return fn(value) ? [] : describe(fn.errors)
}

export const formatIssues = (issues: ReadonlyArray<SchemaIssue>): string =>
  issues.map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`)).join("; ")
