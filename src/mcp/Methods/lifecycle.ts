/** `initialize`, `ping` and `logging/setLevel`. */
import { Effect, Schema } from "effect"
import { EmptyResult, InitializeParams, InitializeResult, negotiateVersion, SetLevelParams } from "../../domain/Mcp.js"
import { changeSession } from "../McpRequest.js"
import { EngineSettings, method } from "../Method.js"

export const initialize = method("initialize", {
  params: InitializeParams,
  result: InitializeResult,
  handle: (params) =>
    Effect.gen(function* () {
      const { instructions, serverInfo } = yield* EngineSettings
      const protocolVersion = negotiateVersion(params.protocolVersion)
      yield* changeSession({ protocolVersion, clientInfo: params.clientInfo, clientCapabilities: params.capabilities })
      return {
        protocolVersion,
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          prompts: { listChanged: true },
          logging: {},
          // Completions arrived with 2025-03-26.
          ...(protocolVersion === "2024-11-05" ? {} : { completions: {} })
        },
        serverInfo,
        ...(instructions === undefined ? {} : { instructions })
      }
    })
})

export const ping = method("ping", {
  params: Schema.Unknown,
  result: EmptyResult,
  handle: () => Effect.succeed({})
})

export const setLevel = method("logging/setLevel", {
  params: SetLevelParams,
  result: EmptyResult,
  handle: ({ level }) => Effect.as(changeSession({ logLevel: level }), {})
})
