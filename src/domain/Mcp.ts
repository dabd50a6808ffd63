/** The MCP shapes the engine reads from functions and writes to clients. */
import * as Schema from "effect/Schema"
import { FIXED } from "../Settings.js"
import { Implementation, LoggingLevel } from "./Protocol.js"
import { lazySchema } from "./Decode.js"
import { Icon, JsonObject, PromptArgument, ToolAnnotations } from "./Registration.js"

export {
  DEFAULT_NEGOTIATED_VERSION,
  Implementation,
  isSupportedVersion,
  LATEST_PROTOCOL_VERSION,
  levelAtLeast,
  LoggingLevel,
  negotiateVersion,
  type ProtocolVersion,
  SUPPORTED_PROTOCOL_VERSIONS
} from "./Protocol.js"

const Meta = Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))

const Annotations = Schema.optional(Schema.Struct({
  audience: Schema.optional(Schema.Array(Schema.Literal("user", "assistant"))),
  priority: Schema.optional(Schema.Number),
  lastModified: Schema.optional(Schema.String)
}))

export const TextContent = lazySchema(() => Schema.Struct({ type: Schema.Literal("text"), text: Schema.String, annotations: Annotations, _meta: Meta }))
export const ImageContent = lazySchema(() => Schema.Struct({
  type: Schema.Literal("image"),
  data: Schema.String,
  mimeType: Schema.String,
  annotations: Annotations,
  _meta: Meta
}))
export const AudioContent = lazySchema(() => Schema.Struct({
  type: Schema.Literal("audio"),
  data: Schema.String,
  mimeType: Schema.String,
  annotations: Annotations,
  _meta: Meta
}))
export const ResourceLink = lazySchema(() => Schema.Struct({
  type: Schema.Literal("resource_link"),
  uri: Schema.String,
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Number),
  annotations: Annotations,
  _meta: Meta
}))

export const TextResourceContents = lazySchema(() => Schema.Struct({
  uri: Schema.String,
  mimeType: Schema.optional(Schema.String),
  text: Schema.String,
  _meta: Meta
}))
export const BlobResourceContents = lazySchema(() => Schema.Struct({
  uri: Schema.String,
  mimeType: Schema.optional(Schema.String),
  blob: Schema.String,
  _meta: Meta
}))
export const ResourceContents = lazySchema(() => Schema.Union(TextResourceContents.built(), BlobResourceContents.built()))

export const EmbeddedResource = lazySchema(() => Schema.Struct({
  type: Schema.Literal("resource"),
  resource: ResourceContents.built(),
  annotations: Annotations,
  _meta: Meta
}))

export const ContentBlock = lazySchema(() => Schema.Union(TextContent.built(), ImageContent.built(), AudioContent.built(), ResourceLink.built(), EmbeddedResource.built()))
export type ContentBlock = typeof ContentBlock.Type

export const CallToolResult = lazySchema(() => Schema.Struct({
  content: Schema.Array(ContentBlock.built()),
  structuredContent: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  isError: Schema.optional(Schema.Boolean),
  _meta: Meta
}))
export type CallToolResult = typeof CallToolResult.Type

export const ReadResourceResult = lazySchema(() => Schema.Struct({
  contents: Schema.Array(ResourceContents.built()),
  _meta: Meta
}))
export type ReadResourceResult = typeof ReadResourceResult.Type

/** What a resource function answers to `action: "list"`. */
export const ListedResource = lazySchema(() => Schema.Struct({
  uri: Schema.String,
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Number),
  icons: Schema.optional(Schema.Array(Icon.built())),
  _meta: Meta
}))
export type ListedResource = typeof ListedResource.Type

export const ListResourcesAnswer = lazySchema(() => Schema.Struct({ resources: Schema.Array(ListedResource.built()) }))

export const PromptMessage = lazySchema(() => Schema.Struct({
  role: Schema.Literal("user", "assistant"),
  content: ContentBlock.built()
}))
export const GetPromptResult = lazySchema(() => Schema.Struct({
  description: Schema.optional(Schema.String),
  messages: Schema.Array(PromptMessage.built()),
  _meta: Meta
}))
export type GetPromptResult = typeof GetPromptResult.Type

// Request params the engine decodes

const ClientCapabilities = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const InitializeParams = lazySchema(() => Schema.Struct({
  protocolVersion: Schema.String,
  capabilities: ClientCapabilities,
  clientInfo: Implementation
}))

export const PaginatedParams = lazySchema(() => Schema.Struct({ cursor: Schema.optional(Schema.String) }))

/** A 2026-07-28 retry of a request that asked for input: the answers, and the state it was given. */
const Retry = {
  inputResponses: Schema.optional(Schema.Unknown),
  requestState: Schema.optional(Schema.String)
}

export const CallToolParams = lazySchema(() => Schema.Struct({
  name: Schema.String,
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  ...Retry
}))

/** A URI a client sends: bounded, so finding the resource that serves it stays short (-32602 beyond). */
export const RequestUri = Schema.String.pipe(
  Schema.maxLength(FIXED.limits.maxUriLength, {
    message: () => `must be at most ${FIXED.limits.maxUriLength} characters`
  })
)

export const ReadResourceParams = lazySchema(() => Schema.Struct({ uri: RequestUri, ...Retry }))

export const SubscribeParams = lazySchema(() => Schema.Struct({ uri: RequestUri }))

export const GetPromptParams = lazySchema(() => Schema.Struct({
  name: Schema.String,
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  ...Retry
}))

export const SetLevelParams = lazySchema(() => Schema.Struct({ level: LoggingLevel }))

export const CompleteParams = lazySchema(() => Schema.Struct({
  ref: Schema.Union(
    Schema.Struct({ type: Schema.Literal("ref/prompt"), name: Schema.String }),
    Schema.Struct({ type: Schema.Literal("ref/resource"), uri: RequestUri })
  ),
  argument: Schema.Struct({ name: Schema.String, value: Schema.String }),
  context: Schema.optional(Schema.Struct({
    arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
  }))
}))

export const CancelledParams = lazySchema(() => Schema.Struct({
  requestId: Schema.Union(Schema.String, Schema.Number),
  reason: Schema.optional(Schema.String)
}))

export const ProgressToken = Schema.Union(Schema.String, Schema.Number)
export type ProgressToken = typeof ProgressToken.Type

// Results the server sends (each method's result is encoded through one of these)

export const EmptyResult = lazySchema(() => Schema.Struct({ _meta: Meta }))

const ListChanged = Schema.optional(Schema.Struct({ listChanged: Schema.optional(Schema.Boolean) }))

export const ServerCapabilities = lazySchema(() => Schema.Struct({
  tools: ListChanged,
  resources: Schema.optional(Schema.Struct({
    listChanged: Schema.optional(Schema.Boolean),
    subscribe: Schema.optional(Schema.Boolean)
  })),
  prompts: ListChanged,
  logging: Schema.optional(Schema.Struct({})),
  completions: Schema.optional(Schema.Struct({})),
  /** 2026-07-28: the extensions offered, by identifier (e.g. `io.modelcontextprotocol/tasks`). */
  extensions: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }))
}))
export type ServerCapabilities = typeof ServerCapabilities.Type

export const InitializeResult = lazySchema(() => Schema.Struct({
  protocolVersion: Schema.String,
  capabilities: ServerCapabilities.built(),
  serverInfo: Implementation,
  instructions: Schema.optional(Schema.String)
}))

const Paginated = { nextCursor: Schema.optional(Schema.String), _meta: Meta }

export const Tool = lazySchema(() => Schema.Struct({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  inputSchema: JsonObject,
  outputSchema: Schema.optional(JsonObject),
  annotations: Schema.optional(ToolAnnotations.built()),
  icons: Schema.optional(Schema.Array(Icon.built()))
}))
export const ListToolsResult = lazySchema(() => Schema.Struct({ tools: Schema.Array(Tool.built()), ...Paginated }))

export const ListResourcesResult = lazySchema(() => Schema.Struct({ resources: Schema.Array(ListedResource.built()), ...Paginated }))

export const ResourceTemplate = lazySchema(() => Schema.Struct({
  uriTemplate: Schema.String,
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  icons: Schema.optional(Schema.Array(Icon.built()))
}))
export const ListResourceTemplatesResult = lazySchema(() => Schema.Struct({ resourceTemplates: Schema.Array(ResourceTemplate.built()), ...Paginated }))

export const Prompt = lazySchema(() => Schema.Struct({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  arguments: Schema.optional(Schema.Array(PromptArgument.built())),
  icons: Schema.optional(Schema.Array(Icon.built()))
}))
export const ListPromptsResult = lazySchema(() => Schema.Struct({ prompts: Schema.Array(Prompt.built()), ...Paginated }))

export const CompleteResult = lazySchema(() => Schema.Struct({
  completion: Schema.Struct({
    values: Schema.Array(Schema.String),
    total: Schema.optional(Schema.Number),
    hasMore: Schema.optional(Schema.Boolean)
  })
}))
