/**
 * Registrations: MCP tools, resources and prompts, each backed by a Lambda function.
 *
 * Three shapes:
 * - `RegistrationInput` (RegistrationInput.ts): what the Registration API accepts, including the
 *   original API's shorthand `parameters`.
 * - `RegistrationSpec`: the normalised definition (shorthand converted to JSON Schema or
 *   prompt arguments) — what a store writes.
 * - `Registration`: a stored spec with its id, version, timestamps and the principals that wrote it.
 */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js"
import * as Schema from "effect/Schema"
import { FIXED } from "../Settings.js"
import { lazySchema, onFirstUse } from "./Decode.js"
import { LambdaArn } from "./LambdaArn.js"

export const RegistrationType = Schema.Literal("tool", "resource", "prompt")
export type RegistrationType = typeof RegistrationType.Type

const NAME = /^[A-Za-z0-9_.-]{1,64}$/

export const RegistrationName = Schema.String.pipe(
  Schema.filter((name) =>
    NAME.test(name) || "must be 1–64 characters, each a letter, digit, '_', '-' or '.'"
  ),
  Schema.brand("RegistrationName")
)
export type RegistrationName = typeof RegistrationName.Type

/** `<type>-<name>`, compatible with the original API's ids. */
export const RegistrationId = Schema.String.pipe(
  Schema.filter((id) => /^(tool|resource|prompt)-[A-Za-z0-9_.-]{1,64}$/.test(id) || "must be <type>-<name>"),
  Schema.brand("RegistrationId")
)
export type RegistrationId = typeof RegistrationId.Type

export const registrationId = (type: RegistrationType, name: string): RegistrationId =>
  `${type}-${name}` as RegistrationId

export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export type JsonObject = typeof JsonObject.Type

/** A JSON object (not an array, not null). */
export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * A JSON Schema for an object, as MCP requires of `inputSchema` and `outputSchema`. The checks
 * against its dialect's meta-schema (Ajv, RE2) run where a registration comes in
 * (`RegistrationInput`), not on every read of a stored one, and stay out of modules that only
 * read registrations (issue 13).
 */
export const ObjectJsonSchema = JsonObject.pipe(
  Schema.filter((schema) => schema["type"] === "object" || { path: ["type"], message: "must be \"object\"" })
)

const NonEmptyString = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

export const ToolAnnotations = lazySchema(() => Schema.Struct({
  title: Schema.optional(Schema.String),
  readOnlyHint: Schema.optional(Schema.Boolean),
  destructiveHint: Schema.optional(Schema.Boolean),
  idempotentHint: Schema.optional(Schema.Boolean),
  openWorldHint: Schema.optional(Schema.Boolean)
}))
export type ToolAnnotations = typeof ToolAnnotations.Type

/**
 * Completion values offered for an argument (prompts) or a template variable (resources), or
 * `"function"`: the registration's function answers `{ action: "complete", argument, context }`.
 */
export const Completions = lazySchema(() => Schema.Union(
  Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) }),
  Schema.Literal("function")
))
export type Completions = typeof Completions.Type

/** An icon a client may show (MCP 2025-11-25): an https or data: URI. */
export const Icon = lazySchema(() => Schema.Struct({
  src: Schema.String.pipe(
    Schema.filter((src) => /^(https:\/\/|data:image\/)/.test(src) || "must be an https: URL or a data:image/ URI")
  ),
  mimeType: Schema.optional(Schema.String),
  sizes: Schema.optional(Schema.Array(Schema.String)),
  theme: Schema.optional(Schema.Literal("light", "dark"))
}))
export type Icon = typeof Icon.Type

export const PromptArgument = lazySchema(() => Schema.Struct({
  name: NonEmptyString,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  required: Schema.optional(Schema.Boolean)
}))
export type PromptArgument = typeof PromptArgument.Type

/** The fields every registration has (a function: `Icon` is built with the schema that uses it). */
const common = () => ({
  name: RegistrationName,
  title: Schema.optional(NonEmptyString),
  description: Schema.String,
  lambdaArn: LambdaArn,
  icons: Schema.optional(Schema.Array(Icon.built()))
})

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/

/** Resource URIs and templates are as bounded as the URIs clients may send. */
const BoundedUriString = Schema.String.pipe(
  Schema.maxLength(FIXED.limits.maxUriLength, {
    message: () => `must be at most ${FIXED.limits.maxUriLength} characters`
  })
)

const ResourceUri = BoundedUriString.pipe(
  Schema.filter((uri) => URI.test(uri) || "must be an absolute URI such as file:///notes.txt")
)

const UriTemplateString = BoundedUriString.pipe(
  Schema.filter((template) => {
    if (!UriTemplate.isTemplate(template)) return "must contain at least one {variable} (RFC 6570)"
    try {
      new UriTemplate(template)
      return true
    } catch (error) {
      return `is not a valid RFC 6570 URI template: ${error instanceof Error ? error.message : String(error)}`
    }
  })
)

const MimeType = Schema.String.pipe(
  Schema.filter((mime) => /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(mime) || "must be a MIME type such as text/plain")
)

// ---------------------------------------------------------------------------
// Specs (normalised)

/**
 * Whether a 2026-07-28 call may run as a task (the tasks extension): never (`forbidden`, the
 * default), when the request declares the extension (`optional`), or always — a request that
 * does not declare it is refused with -32021 (`required`).
 */
export const TaskSupport = Schema.Literal("forbidden", "optional", "required")
export type TaskSupport = typeof TaskSupport.Type

/**
 * How a task begins: `immediate` (the default) creates it before the function runs; with
 * `function` the function is invoked synchronously first — it may ask the client for input
 * there, answer at once, or answer `{ "resultType": "task" }` to go on in the background.
 */
export const TaskStart = Schema.Literal("immediate", "function")
export type TaskStart = typeof TaskStart.Type

export const ToolSpec = lazySchema(() => Schema.Struct({
  type: Schema.Literal("tool"),
  ...common(),
  inputSchema: ObjectJsonSchema,
  outputSchema: Schema.optional(ObjectJsonSchema),
  annotations: Schema.optional(ToolAnnotations.built()),
  /** Invoked with `InvokeWithResponseStream`; answers in NDJSON lines (progress, log, result…). */
  streaming: Schema.optional(Schema.Boolean),
  /**
   * Client capabilities the tool cannot work without (e.g. `{ "sampling": {} }`): a 2026-07-28
   * request that does not declare them is refused with -32021 before the function runs.
   */
  requiredCapabilities: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  taskSupport: Schema.optional(TaskSupport),
  taskStart: Schema.optional(TaskStart)
}).pipe(
  Schema.filter((tool) =>
    tool.taskStart !== undefined && (tool.taskSupport ?? "forbidden") === "forbidden"
      ? { path: ["taskStart"], message: "applies only to a tool whose taskSupport is \"optional\" or \"required\"" }
      : undefined
  )
))
export type ToolSpec = typeof ToolSpec.Type

const completionKeysIn = (keys: ReadonlyArray<string>, what: string) => (completions: Completions | undefined) =>
  Object.keys(completions === undefined || completions === "function" ? {} : completions)
    .filter((key) => !keys.includes(key))
    .map((key) => ({ path: ["completions", key], message: `is not a ${what}` }))

export const ResourceSpec = lazySchema(() => Schema.Struct({
  type: Schema.Literal("resource"),
  ...common(),
  uri: Schema.optional(ResourceUri),
  uriTemplate: Schema.optional(UriTemplateString),
  mimeType: Schema.optional(MimeType),
  completions: Schema.optional(Completions.built())
}).pipe(
  Schema.filter((resource) => {
    if (resource.uri === undefined && resource.uriTemplate === undefined) {
      return { path: ["uri"], message: "a resource needs a uri or a uriTemplate" }
    }
    if (resource.uri !== undefined && resource.uriTemplate !== undefined) {
      return { path: ["uriTemplate"], message: "give either uri or uriTemplate, not both" }
    }
    const variables = resource.uriTemplate === undefined ? [] : new UriTemplate(resource.uriTemplate).variableNames
    return completionKeysIn(variables, "variable of the uriTemplate")(resource.completions)
  })
))
export type ResourceSpec = typeof ResourceSpec.Type

export const PromptSpec = lazySchema(() => Schema.Struct({
  type: Schema.Literal("prompt"),
  ...common(),
  arguments: Schema.Array(PromptArgument.built()),
  completions: Schema.optional(Completions.built())
}).pipe(
  Schema.filter((prompt) => {
    const names = prompt.arguments.map((argument) => argument.name)
    const duplicate = names.find((name, index) => names.indexOf(name) !== index)
    if (duplicate !== undefined) return { path: ["arguments"], message: `names '${duplicate}' twice` }
    return completionKeysIn(names, "prompt argument")(prompt.completions)
  })
))
export type PromptSpec = typeof PromptSpec.Type

export const RegistrationSpec = lazySchema(() => Schema.Union(ToolSpec.built(), ResourceSpec.built(), PromptSpec.built()))
export type RegistrationSpec = typeof RegistrationSpec.Type

// ---------------------------------------------------------------------------
// Stored registrations

const stored = {
  id: RegistrationId,
  version: Schema.Int.pipe(Schema.positive()),
  createdAt: Schema.String,
  updatedAt: Schema.String,
  /** The principals that created it and last changed it (absent on registrations older than the fields). */
  createdBy: Schema.optional(Schema.String),
  updatedBy: Schema.optional(Schema.String)
}

export const ToolRegistration = lazySchema(() => Schema.extend(ToolSpec.built(), Schema.Struct(stored)))
export const ResourceRegistration = lazySchema(() => Schema.extend(ResourceSpec.built(), Schema.Struct(stored)))
export const PromptRegistration = lazySchema(() => Schema.extend(PromptSpec.built(), Schema.Struct(stored)))
export type ToolRegistration = typeof ToolRegistration.Type
export type ResourceRegistration = typeof ResourceRegistration.Type
export type PromptRegistration = typeof PromptRegistration.Type

export const Registration = lazySchema(() => Schema.Union(ToolRegistration.built(), ResourceRegistration.built(), PromptRegistration.built()))
export type Registration = typeof Registration.Type

export const idOf = (spec: Pick<RegistrationSpec, "type" | "name">): RegistrationId => registrationId(spec.type, spec.name)

/** The definition of a stored registration, without its bookkeeping fields. */
export const specOf = (registration: Registration): RegistrationSpec => {
  const {
    createdAt: _createdAt,
    createdBy: _createdBy,
    id: _id,
    updatedAt: _updatedAt,
    updatedBy: _updatedBy,
    version: _version,
    ...spec
  } = registration
  return spec
}

export const decodeRegistration = onFirstUse(() => Schema.decodeUnknown(Registration.built()))
