/**
 * JSON Schema checks with Ajv: draft 2020-12 (MCP's default dialect) and draft-07, chosen by
 * the schema's `$schema`. Bounded work: `pattern` and `patternProperties` run on RE2 (linear
 * time; a pattern RE2 cannot run is refused at registration), a schema's size is checked
 * before anything compiles it, and compiled validators are kept in an LRU keyed by a hash of
 * the schema's JSON text, so a warm Lambda container compiles each registration's schema once
 * and no more than `FIXED.limits.compiledSchemas` stay in memory.
 */
import { createHash } from "node:crypto"
import { Ajv2020 } from "ajv/dist/2020.js"
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv"
import type { RegExpEngine } from "ajv/dist/types/index.js"
import addFormatsModule from "ajv-formats"
import { FIXED } from "../Settings.js"
import { compileLinear, PatternBudgetExceeded, tryCompileLinear, withinSteps } from "./LinearRegExp.js"

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/

// ajv-formats is CommonJS whose `module.exports` is the plugin; TypeScript sees the namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv | Ajv2020
) => void

/** Ajv's engine for `pattern` and `patternProperties`: RE2 instead of the backtracking RegExp. */
const linearRegExp: RegExpEngine = Object.assign((pattern: string) => compileLinear(pattern), {
  code: "compileLinear"
})

const options = { allErrors: true, strict: false, validateFormats: true, code: { regExp: linearRegExp } } as const

/**
 * Ajv keeps something of every schema it compiles (its schema cache, and the values that
 * generated code refers to, which `removeSchema` does not release). So each Ajv instance
 * compiles at most this many schemas, then a fresh one takes over; the old one goes once the
 * LRU lets go of its last validator.
 */
const COMPILES_PER_ENGINE = 100

/** Made on first use: building Ajv compiles its meta-schemas, which a cold start should not pay for. */
const lazy = <A>(make: () => A) => {
  let value: A | undefined
  return () => (value ??= make())
}
const makeEngines = () => ({
  compiled: 0,
  draft2020: lazy(() => {
    const ajv = new Ajv2020(options)
    addFormats(ajv)
    return ajv
  }),
  draft07: lazy(() => {
    const ajv = new Ajv(options)
    addFormats(ajv)
    return ajv
  })
})
let engines = makeEngines()
const draft2020 = () => engines.draft2020()
const draft07 = () => engines.draft07()

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

/**
 * How deeply objects and arrays nest in `value`, and a lower bound of its JSON length; the walk
 * (without recursion: the value may be very deep) stops as soon as either is over its limit.
 */
const measure = (value: unknown) => {
  let depth = 0
  let length = 0
  const pending: Array<readonly [unknown, number]> = [[value, 1]]
  while (pending.length > 0 && depth <= FIXED.limits.maxSchemaDepth && length <= FIXED.limits.maxSchemaBytes) {
    const [item, level] = pending.pop()!
    if (typeof item === "string") length += item.length + 2
    else if (typeof item !== "object" || item === null) length += 1
    else {
      depth = Math.max(depth, level)
      length += 2
      if (Array.isArray(item)) {
        for (let index = 0; index < item.length && length <= FIXED.limits.maxSchemaBytes; index++) {
          length += 1
          pending.push([item[index], level + 1])
        }
      } else {
        for (const key in item) {
          length += key.length + 3
          if (length > FIXED.limits.maxSchemaBytes) break
          pending.push([(item as Record<string, unknown>)[key], level + 1])
        }
      }
    }
  }
  return { depth, length }
}

const tooLarge: SchemaIssue = {
  path: "",
  message: `is larger than ${Math.round(FIXED.limits.maxSchemaBytes / 1024)} KB (${FIXED.limits.maxSchemaBytes} bytes of JSON)`
}

/**
 * The schema's JSON text, or why nothing should compile it: nesting deeper than Ajv's
 * recursion can take, or more JSON than a registration needs.
 */
const textOf = (schema: Record<string, unknown>): string | SchemaIssue => {
  const { depth, length } = measure(schema)
  if (depth > FIXED.limits.maxSchemaDepth) {
    return { path: "", message: `nests objects and arrays more than ${FIXED.limits.maxSchemaDepth} levels deep` }
  }
  if (length > FIXED.limits.maxSchemaBytes) return tooLarge
  const text = JSON.stringify(schema)
  return Buffer.byteLength(text) > FIXED.limits.maxSchemaBytes ? tooLarge : text
}

/** Keywords whose values are data, not schemas: a `pattern` inside them is not a rule. */
const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples", "example"])

/**
 * The `pattern` and `patternProperties` rules of a schema that RE2 cannot run, each at its
 * path, and how many RE2 instructions the ones it can run take together.
 */
const patternRules = (schema: unknown) => {
  const issues: Array<SchemaIssue> = []
  let programSize = 0
  const check = (where: ReadonlyArray<string>, pattern: string) => {
    const compiled = tryCompileLinear(pattern)
    if ("reason" in compiled) {
      issues.push({
        path: where.join("."),
        message: `pattern ${JSON.stringify(pattern)} cannot run on the linear-time engine (RE2: no lookaround or backreferences): ${compiled.reason}`
      })
    } else {
      programSize += compiled.programSize
    }
  }
  const walk = (value: unknown, path: ReadonlyArray<string>): void => {
    // Past the limit, compiling more patterns would only take longer to say no.
    if (typeof value !== "object" || value === null || programSize > FIXED.limits.patternProgram) return
    for (const [key, child] of Object.entries(value)) {
      if (DATA_KEYWORDS.has(key)) continue
      if (key === "pattern" && typeof child === "string") check([...path, key], child)
      else if (key === "patternProperties" && typeof child === "object" && child !== null && !Array.isArray(child)) {
        for (const pattern of Object.keys(child)) {
          if (programSize <= FIXED.limits.patternProgram) check([...path, key, pattern], pattern)
        }
      }
      walk(child, [...path, key])
    }
  }
  walk(schema, [])
  if (issues.length === 0 && programSize > FIXED.limits.patternProgram) {
    issues.push({
      path: "",
      message: `has patterns too complex to check quickly: ${programSize} RE2 instructions (weighted) or more in all, at most ${FIXED.limits.patternProgram}`
    })
  }
  return issues
}

/**
 * Problems with a schema itself: too large, an unknown dialect, a violation of the dialect's
 * meta-schema, or a pattern RE2 cannot run. Size and depth first: nothing compiles an oversized schema.
 */
export const checkSchema = (schema: Record<string, unknown>): ReadonlyArray<SchemaIssue> => {
  const text = textOf(schema)
  if (typeof text !== "string") return [text]
  const engine = engineFor(schema)
  if (engine === undefined) {
    return [{ path: "$schema", message: "must be the draft 2020-12 or draft-07 meta-schema URI" }]
  }
  const valid = engine.validateSchema(schema as AnySchema)
  if (valid === true) {
    const patterns = patternRules(schema)
    if (patterns.length > 0) return patterns
    // Compiling also catches unresolvable `$ref`s, which the meta-schema cannot.
    try {
      compile(schema, text)
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

/** Compiled validators, least recently used first (a Map keeps insertion order). */
const cache = new Map<string, ValidateFunction>()

/** How many validators the LRU holds (for tests and measurements). */
export const cachedValidators = () => cache.size

const compile = (schema: Record<string, unknown>, text: string = JSON.stringify(schema)): ValidateFunction => {
  // A hash, not the text itself: keys of up to 64 KB each would be most of the cache's memory.
  const key = createHash("sha256").update(text).digest("base64")
  const cached = cache.get(key)
  if (cached !== undefined) {
    cache.delete(key)
    cache.set(key, cached)
    return cached
  }
  if (engines.compiled >= COMPILES_PER_ENGINE) engines = makeEngines()
  engines.compiled += 1
  const engine = engineFor(schema) ?? draft2020()
  // `$id`s would collide in Ajv's registry across registrations; compile an anonymous copy.
  const { $id: _id, ...anonymous } = schema
  try {
    const validate = engine.compile(anonymous)
    if (cache.size >= FIXED.limits.compiledSchemas) cache.delete(cache.keys().next().value as string)
    cache.set(key, validate)
    return validate
  } finally {
    // Ajv's own cache would keep every schema (and failed compilations) otherwise.
    engine.removeSchema(anonymous)
  }
}

const failure = (error: unknown): ReadonlyArray<SchemaIssue> => [{
  path: "",
  message: error instanceof PatternBudgetExceeded
    ? error.message
    : `the schema cannot be used: ${error instanceof Error ? error.message : String(error)}`
}]

/**
 * Validates a value; an empty list means it conforms. The schema should have passed
 * `checkSchema`; one that no longer compiles (stored before patterns ran on RE2), or a string
 * too long to check against its pattern, is an issue, not a throw.
 */
export const validate = (schema: Record<string, unknown>, value: unknown): ReadonlyArray<SchemaIssue> => {
  try {
    const fn = compile(schema)
    return withinSteps(FIXED.limits.patternSteps, () => fn(value)) ? [] : describe(fn.errors)
  } catch (error) {
    return failure(error)
  }
}

export const formatIssues = (issues: ReadonlyArray<SchemaIssue>): string =>
  issues.map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`)).join("; ")
