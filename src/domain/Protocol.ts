/**
 * The few MCP shapes the stores need too (a session keeps its client's version, implementation
 * and log level): apart from `Mcp.ts`, so that a function that stores sessions but speaks no MCP
 * (the registration API) does not build every protocol schema at its cold start.
 */
import * as Schema from "effect/Schema"

/** Newest first. The client's version is used when listed here, else the newest. */
export const SUPPORTED_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const
export type ProtocolVersion = (typeof SUPPORTED_PROTOCOL_VERSIONS)[number]
export const LATEST_PROTOCOL_VERSION: ProtocolVersion = SUPPORTED_PROTOCOL_VERSIONS[0]
/** Assumed by the Streamable HTTP transport when a client sends no MCP-Protocol-Version header. */
export const DEFAULT_NEGOTIATED_VERSION: ProtocolVersion = "2025-03-26"

export const isSupportedVersion = (version: string): version is ProtocolVersion =>
  (SUPPORTED_PROTOCOL_VERSIONS as ReadonlyArray<string>).includes(version)

export const negotiateVersion = (requested: string): ProtocolVersion =>
  isSupportedVersion(requested) ? requested : LATEST_PROTOCOL_VERSION

export const LoggingLevel = Schema.Literal("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
export type LoggingLevel = typeof LoggingLevel.Type

const LEVELS: ReadonlyArray<LoggingLevel> = LoggingLevel.literals
export const levelAtLeast = (level: LoggingLevel, threshold: LoggingLevel) =>
  LEVELS.indexOf(level) >= LEVELS.indexOf(threshold)

export const Implementation = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  title: Schema.optional(Schema.String)
})
export type Implementation = typeof Implementation.Type
