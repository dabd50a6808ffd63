/** `initialize`, `ping` and `logging/setLevel`. */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  EmptyResult,
  InitializeParams,
  InitializeResult,
  negotiateVersion,
  ServerCapabilities,
  SetLevelParams
} from "../../domain/Mcp.js"
import { MODERN_PROTOCOL_VERSIONS } from "../../domain/Modern.js"
import { TASKS_EXTENSION } from "../../domain/Task.js"
import { changeSession } from "../McpRequest.js"
import { EngineSettings, method } from "../Method.js"

export const initialize = method("initialize", {
  era: "legacy",
  params: InitializeParams,
  result: InitializeResult,
  handle: (params) =>
    Effect.gen(function* () {
      const { instructions, serverInfo } = yield* EngineSettings
      const protocolVersion = negotiateVersion(params.protocolVersion)
      yield* changeSession({ protocolVersion, clientInfo: params.clientInfo, clientCapabilities: params.capabilities })
      return {
        protocolVersion,
        // Completions arrived with 2025-03-26.
        capabilities: protocolVersion === "2024-11-05" ? BEFORE_COMPLETIONS : CAPABILITIES,
        serverInfo,
        ...(instructions === undefined ? {} : { instructions })
      }
    })
})

/** What this server offers, in every revision. */
export const CAPABILITIES = {
  tools: { listChanged: true },
  resources: { listChanged: true, subscribe: true },
  prompts: { listChanged: true },
  logging: {},
  completions: {}
}

const DiscoverResult = Schema.Struct({
  supportedVersions: Schema.Array(Schema.String),
  capabilities: ServerCapabilities,
  instructions: Schema.optional(Schema.String)
})

const { completions: _completions, ...BEFORE_COMPLETIONS } = CAPABILITIES

/** 2026-07-28: what a client learns instead of initializing (versions, capabilities and extensions, instructions). */
export const discover = method("server/discover", {
  era: "modern",
  params: Schema.Unknown,
  result: DiscoverResult,
  handle: () =>
    Effect.map(EngineSettings, ({ instructions, tasks }) => ({
      supportedVersions: MODERN_PROTOCOL_VERSIONS,
      capabilities: tasks.enabled ? { ...CAPABILITIES, extensions: { [TASKS_EXTENSION]: {} } } : CAPABILITIES,
      ...(instructions === undefined ? {} : { instructions })
    }))
})

export const ping = method("ping", {
  era: "legacy",
  params: Schema.Unknown,
  result: EmptyResult,
  handle: () => Effect.succeed({})
})

export const setLevel = method("logging/setLevel", {
  era: "legacy",
  params: SetLevelParams,
  result: EmptyResult,
  handle: ({ level }) => Effect.as(changeSession({ logLevel: level }), {})
})
