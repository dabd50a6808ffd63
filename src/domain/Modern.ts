/**
 * MCP revision 2026-07-28 (the "modern era"): no sessions, every request carries its protocol
 * version and the client's capabilities in `_meta`, every result says its `resultType`.
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { lazySchema } from "./Decode.js"
import { Implementation, LoggingLevel } from "./Protocol.js"

export const MODERN_PROTOCOL_VERSIONS = ["2026-07-28"] as const
export type ModernVersion = (typeof MODERN_PROTOCOL_VERSIONS)[number]
export const LATEST_MODERN_VERSION: ModernVersion = MODERN_PROTOCOL_VERSIONS[0]

export const isModernVersion = (version: string): version is ModernVersion =>
  (MODERN_PROTOCOL_VERSIONS as ReadonlyArray<string>).includes(version)

/** Whether a version string names the modern era at all (supported or not): from 2026-07-28 on. */
export const claimsModernEra = (version: string) => version >= "2026-07-28"

export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId"
} as const

const Capabilities = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** The per-request envelope (`params._meta`) every modern request carries. */
export const RequestEnvelope = lazySchema(() => Schema.Struct({
  [META.protocolVersion]: Schema.String,
  [META.clientCapabilities]: Capabilities,
  [META.clientInfo]: Schema.optional(Implementation),
  [META.logLevel]: Schema.optional(LoggingLevel)
}))
export type RequestEnvelope = typeof RequestEnvelope.Type

/** `resultType` values of this revision (the tasks extension adds "task"). */
export type ResultType = "complete" | "input_required"

/** Methods whose complete results carry caching hints (`ttlMs`, `cacheScope`). */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  "server/discover",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read"
])

/** Methods that may answer `input_required` (multi round-trip requests). */
export const INPUT_METHODS: ReadonlySet<string> = new Set(["tools/call", "prompts/get", "resources/read"])

/** `subscriptions/listen` filters: which notifications the stream should carry. */
export const ListenParams = lazySchema(() => Schema.Struct({
  notifications: Schema.optional(Schema.Struct({
    toolsListChanged: Schema.optional(Schema.Boolean),
    promptsListChanged: Schema.optional(Schema.Boolean),
    resourcesListChanged: Schema.optional(Schema.Boolean),
    resourceSubscriptions: Schema.optional(Schema.Array(Schema.String))
  }))
}))
export type ListenParams = typeof ListenParams.Type

/**
 * A header value as sent: `=?base64?…?=` carries a value that is not plain ASCII (decoded; only
 * canonical, padded base64 counts), anything else is literal. A value that cannot be read is none.
 */
export const decodeHeaderValue = (value: string): Option.Option<string> => {
  const sentinel = /^=\?base64\?(.*)\?=$/.exec(value)
  if (sentinel === null) return /^[\x20-\x7E]*$/.test(value) ? Option.some(value) : Option.none()
  const encoded = sentinel[1]!
  const decoded = Buffer.from(encoded, "base64")
  return decoded.toString("base64") === encoded ? Option.some(decoded.toString("utf8")) : Option.none()
}

/** Which body field `Mcp-Name` repeats, per method (the tasks extension routes on the task's id). */
export const NAME_FIELD: Readonly<Record<string, "name" | "uri" | "taskId">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId"
}

/** A header value without the optional whitespace around it (RFC 9110). */
export const trimHeaderValue = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, "")

/** A value as a header carries it: literal when plain ASCII, else `=?base64?…?=` (what `decodeHeaderValue` reads). */
export const encodeHeaderValue = (value: string) =>
  /^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/.test(value) && !value.startsWith("=?base64?")
    ? value
    : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`
