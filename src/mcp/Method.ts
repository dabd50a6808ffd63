/**
 * One MCP method: its params schema, its result schema and its handler. Dispatch decodes the
 * params (-32602 when they do not fit) and *encodes* the handler's result through the result
 * schema, so a result of the wrong shape fails to compile, or at run time becomes a logged
 * defect and a -32603, never a silent change on the wire.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { Implementation } from "../domain/Mcp.js"
import type { Inbox } from "../services/Inbox.js"
import { DEFAULT_PAGE_SIZE, type Registry } from "../services/Registry.js"
import type { ToolInvoker } from "../services/ToolInvoker.js"
import type { Catalog } from "./Catalog.js"
import { InvalidParams, type ProtocolError } from "./Errors.js"
import type { McpRequest } from "./McpRequest.js"
import type { RequestStateSeal } from "./RequestState.js"
import type { Subscriptions } from "./Subscriptions.js"
import type { TaskRunner } from "../services/TaskRunner.js"
import type { TaskStore } from "../services/TaskStore.js"
import { decodeUnknownEither, describeParseError, onFirstUse } from "../domain/Decode.js"

export interface EngineOptions {
  readonly serverInfo?: Implementation | undefined
  readonly instructions?: string | undefined
  /** Items per page of the list methods. */
  readonly pageSize?: number | undefined
  /** Timeout for each function invocation (the invoker's default otherwise). */
  readonly invokeTimeout?: Duration.DurationInput | undefined
  /** How long a call waits for the client's answers to a function's questions (default 5 minutes). */
  readonly inputTimeout?: Duration.DurationInput | undefined
  /** 2026-07-28 `ttlMs` of list results (default 60 s; `subscriptions/listen` tells of changes sooner). */
  readonly listTtl?: Duration.DurationInput | undefined
  /** The tasks extension (2026-07-28). */
  readonly tasks?: TaskOptions | undefined
}

export interface TaskOptions {
  /** Offer the extension (default true; a host with no way to run tasks says false). */
  readonly enabled?: boolean | undefined
  /** How long a task is kept from its creation: its `ttlMs` (default 1 hour). */
  readonly ttl?: Duration.DurationInput | undefined
  /** The `pollIntervalMs` clients are asked to keep (default 1 s). */
  readonly pollInterval?: Duration.DurationInput | undefined
}

export interface TaskSettings {
  readonly enabled: boolean
  readonly ttl: Duration.Duration
  readonly pollInterval: Duration.Duration
}

export const SERVER_INFO: Implementation = { name: "mcp-lambda-sam", version: "0.1.0" }

export interface EngineSettingsShape {
  readonly serverInfo: Implementation
  readonly instructions: string | undefined
  readonly pageSize: number
  readonly invokeTimeout: Duration.DurationInput | undefined
  readonly inputTimeout: Duration.DurationInput
  readonly listTtl: Duration.DurationInput
  readonly tasks: TaskSettings
}

export class EngineSettings extends Context.Tag("mcp-lambda-sam/EngineSettings")<EngineSettings, EngineSettingsShape>() {}

export const engineSettings = (options: EngineOptions = {}): EngineSettingsShape => ({
  serverInfo: options.serverInfo ?? SERVER_INFO,
  instructions: options.instructions,
  pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
  invokeTimeout: options.invokeTimeout,
  inputTimeout: options.inputTimeout ?? Duration.minutes(5),
  listTtl: options.listTtl ?? Duration.seconds(60),
  tasks: {
    enabled: options.tasks?.enabled ?? true,
    ttl: Duration.decode(options.tasks?.ttl ?? Duration.hours(1)),
    pollInterval: Duration.decode(options.tasks?.pollInterval ?? Duration.seconds(1))
  }
})

/** What handlers may use besides the request itself. */
export type MethodServices =
  | Catalog
  | Registry
  | ToolInvoker
  | Subscriptions
  | Inbox
  | RequestStateSeal
  | EngineSettings
  | TaskStore
  | TaskRunner

export type Handler<P, A> = (params: P) => Effect.Effect<A, ProtocolError, McpRequest | MethodServices>

/** Which protocol era a method belongs to: the 2025 revisions, 2026-07-28, or both (absent). */
export type Era = "legacy" | "modern"

export interface Method<P = unknown, A = unknown> {
  readonly name: string
  readonly era?: Era | undefined
  readonly params: Schema.Schema<P, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly result: Schema.Schema<A, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly handle: Handler<P, A>
  /** Decodes, handles, encodes: the wire result, or the error to answer with. */
  readonly run: (params: unknown) => Effect.Effect<Record<string, unknown>, ProtocolError, McpRequest | MethodServices>
}

export class ResultSchemaViolation extends Data.TaggedError("ResultSchemaViolation")<{
  readonly method: string
  readonly problems: string
}> {
  override get message() {
    return `The result of ${this.method} does not match its schema: ${this.problems}`
  }
}

/** Reads params as `schema` has them (an absent `params` is an empty object); built once per schema. */
export const paramsDecoder = <P, I>(schema: Schema.Schema<P, I>) => {
  const decode = decodeUnknownEither(schema, { errors: "all" })
  return (params: unknown) =>
    Either.mapLeft(decode(params ?? {}), (error) => new InvalidParams({ message: `Invalid params: ${describeParseError(error, "params")}` }))
}

export const method = <P, PI, A, AI extends object>(
  name: string,
  spec: {
    readonly params: Schema.Schema<P, PI>
    readonly result: Schema.Schema<A, AI>
    readonly handle: Handler<P, A>
    readonly era?: Era
  }
): Method<P, A> => {
  const decode = paramsDecoder(spec.params)
  const encode = onFirstUse(() => Schema.encode(spec.result, { errors: "all" }))
  return {
    name,
    ...spec,
    run: (raw) =>
      Effect.flatMap(decode(raw), spec.handle).pipe(
        Effect.flatMap((result) =>
          Effect.orDieWith(encode(result), (error) =>
            new ResultSchemaViolation({ method: name, problems: describeParseError(error) }))
        ),
        Effect.map((wire) => wire as Record<string, unknown>)
      )
  }
}

/** The methods by name; an unknown name is not in it (`Object.hasOwn` keeps `__proto__` out). */
export const table = (methods: ReadonlyArray<Method<any, any>>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const byName: Record<string, Method<any, any>> = Object.create(null) // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const entry of methods) byName[entry.name] = entry
  return (name: string): Method<unknown, unknown> | undefined => (Object.hasOwn(byName, name) ? byName[name] : undefined)
}
