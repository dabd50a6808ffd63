/**
 * The MCP protocol engine: one function from (request context, JSON-RPC message) to the
 * messages to send back and the session changes to keep. Transports (Streamable HTTP, legacy
 * SSE) decide how the messages travel; the engine never touches HTTP or the session store.
 */
import type { Duration} from "effect";
import { Context, Data, Deferred, Effect, Either, Layer, Option, Ref, Schema } from "effect"
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js"
import type { InvocationError, StoreError } from "../domain/errors.js"
import {
  ErrorCode,
  failure,
  decodeMessage,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  idOf as requestIdOf,
  isNotification,
  isRequest,
  notification,
  type RequestId,
  success
} from "../domain/JsonRpc.js"
import { formatIssues, validate } from "../domain/JsonSchema.js"
import {
  CallToolParams,
  CancelledParams,
  CompleteParams,
  GetPromptParams,
  type Implementation,
  InitializeParams,
  levelAtLeast,
  type ListedResource,
  type LoggingLevel,
  negotiateVersion,
  PaginatedParams,
  type ProtocolVersion,
  ReadResourceParams,
  SetLevelParams
} from "../domain/Mcp.js"
import {
  type PromptRegistration,
  type Registration,
  registrationId,
  type RegistrationType,
  type ResourceRegistration,
  type ToolRegistration
} from "../domain/Registration.js"
import type { SessionChanges, SessionId } from "../domain/Session.js"
import { listAll, Registry } from "../services/Registry.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import {
  describeParseError,
  toCallToolResult,
  toGetPromptResult,
  toListedResources,
  toolError,
  toReadResourceResult,
  type UnusableAnswer
} from "./Results.js"

/** What the engine knows about the request's session (none for a stateless request). */
export interface RequestContext {
  readonly sessionId?: SessionId | undefined
  readonly protocolVersion: ProtocolVersion
  readonly logLevel?: LoggingLevel | undefined
  /** The caller (IAM principal on AWS), passed on to functions. */
  readonly principal?: string | undefined
}

export interface Outcome {
  /** Sent before the responses (log messages); a transport streams them as SSE. */
  readonly notifications: ReadonlyArray<JsonRpcNotification>
  /** One per request; a batch answers as an array even when it holds one response. */
  readonly responses: ReadonlyArray<JsonRpcResponse>
  readonly batch: boolean
  /** What to persist on the session (negotiated version, log level, initialized). */
  readonly changes: SessionChanges
}

export interface EngineOptions {
  readonly serverInfo?: Implementation | undefined
  readonly instructions?: string | undefined
  /** Items per page of the list methods. */
  readonly pageSize?: number | undefined
  /** Timeout for each function invocation (the invoker's default otherwise). */
  readonly invokeTimeout?: Duration.DurationInput | undefined
}

export interface McpEngineShape {
  /** Handles one parsed JSON value: a message or, under 2025-03-26, a batch. Never fails. */
  readonly handle: (context: RequestContext, input: unknown) => Effect.Effect<Outcome>
  /** Parses JSON text first (-32700 when it is not JSON). */
  readonly handleText: (context: RequestContext, text: string) => Effect.Effect<Outcome>
}

export class McpEngine extends Context.Tag("mcp-lambda-sam/McpEngine")<McpEngine, McpEngineShape>() {}

export const SERVER_INFO: Implementation = { name: "mcp-lambda-sam", version: "0.1.0" }

/** A JSON-RPC error to answer with. */
class RpcError extends Data.TaggedError("RpcError")<{
  readonly code: number
  readonly message: string
  readonly data?: unknown
}> {}

const rpcError = (code: number, message: string, data?: unknown) =>
  new RpcError(data === undefined ? { code, message } : { code, message, data })

const invalidParams = (message: string) => rpcError(ErrorCode.InvalidParams, message)

const internalError = rpcError(ErrorCode.InternalError, "Internal error")

const decodeParams = <A, I>(schema: Schema.Schema<A, I>, params: unknown) =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema, { errors: "all" })(params ?? {}),
    (error) => invalidParams(`Invalid params: ${describeParseError(error, "params")}`)
  )

/** Store failures are logged with their cause and answered without details. */
const hideStoreError = (error: StoreError) =>
  Effect.logError("Store failure", error).pipe(Effect.as(internalError), Effect.flip)

const isOfType = <T extends RegistrationType>(
  registration: Registration,
  type: T
): registration is Extract<Registration, { readonly type: T }> => registration.type === type

const EMPTY_OUTCOME: Outcome = { notifications: [], responses: [], batch: false, changes: {} }

/** Per message: the log notifications it produced and the session changes it asks for. */
interface Scratch {
  readonly notifications: Ref.Ref<ReadonlyArray<JsonRpcNotification>>
  readonly changes: Ref.Ref<SessionChanges>
}

export const make = (options: EngineOptions = {}) =>
  Effect.gen(function* () {
    const registry = yield* Registry
    const invoker = yield* ToolInvoker
    const serverInfo = options.serverInfo ?? SERVER_INFO
    const pageSize = options.pageSize ?? 50
    const timeout = options.invokeTimeout

    // In-flight requests of this process, so notifications/cancelled can stop them.
    const inFlight = new Map<string, Deferred.Deferred<void>>()
    const flightKey = (sessionId: SessionId | undefined, id: RequestId) => `${sessionId ?? ""}\u0000${typeof id}:${id}`

    // Every registration of a type, re-read only when the registry's stamp moves.
    const catalog = yield* Ref.make<{ stamp: string; byType: Map<RegistrationType, ReadonlyArray<Registration>> }>({
      stamp: "",
      byType: new Map()
    })
    const allOf = Effect.fn("McpEngine.allOf")(function* (type: RegistrationType) {
      const stamp = yield* registry.stamp
      const cached = yield* Ref.get(catalog)
      const hit = cached.stamp === stamp ? cached.byType.get(type) : undefined
      if (hit !== undefined) return hit
      const items = yield* listAll(registry, type)
      yield* Ref.update(catalog, (current) => ({
        stamp,
        byType: new Map(current.stamp === stamp ? current.byType : []).set(type, items)
      }))
      return items
    })

    const log = (context: RequestContext, scratch: Scratch, level: LoggingLevel, data: unknown) =>
      context.logLevel !== undefined && levelAtLeast(level, context.logLevel)
        ? Ref.update(scratch.notifications, (all) => [
          ...all,
          notification("notifications/message", { level, logger: serverInfo.name, data })
        ])
        : Effect.void

    const extraOf = (context: RequestContext, request: JsonRpcRequest) => {
      const meta = request.params?.["_meta"]
      return {
        requestId: request.id,
        protocolVersion: context.protocolVersion,
        ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
        ...(context.principal === undefined ? {} : { principal: context.principal }),
        ...(meta === undefined ? {} : { _meta: meta })
      }
    }

    const invoke = (registration: Registration, payload: unknown) =>
      invoker.invoke({ lambdaArn: registration.lambdaArn, payload, timeout })

    /** A readable sentence for an invocation failure, without infrastructure details. */
    const describeInvocationError = (what: string, error: InvocationError): Effect.Effect<string> => {
      switch (error._tag) {
        case "FunctionError":
          return Effect.succeed(`${what} failed: ${error.errorMessage}`)
        case "InvocationTimeout":
          return Effect.succeed(`${what} timed out after ${Math.round(error.timeoutMillis / 100) / 10} s`)
        case "InvocationThrottled":
          return Effect.succeed(`${what} is throttled; try again shortly`)
        case "FunctionNotFound":
          return Effect.succeed(`${what} is unavailable: its function '${error.functionName}' was not found`)
        case "InvocationFailed":
          return Effect.logError("Invocation failed", error).pipe(
            Effect.as(`${what} could not be invoked: ${error.reason}`)
          )
      }
    }

    type Of<T extends RegistrationType> = Extract<Registration, { readonly type: T }>

    /** One page of the registrations of a type, each turned into zero or more list items. */
    const page = <T extends RegistrationType, A>(
      type: T,
      params: unknown,
      toItem: (registration: Of<T>) => Effect.Effect<ReadonlyArray<A>>
    ) =>
      Effect.gen(function* () {
        const { cursor } = yield* decodeParams(PaginatedParams, params)
        const result = yield* registry.list({ type, cursor, limit: pageSize }).pipe(
          Effect.catchTags({
            InvalidCursor: () => Effect.fail(invalidParams("Invalid cursor")),
            StoreError: hideStoreError
          })
        )
        const ofType = result.items.filter((registration) => isOfType(registration, type))
        const items = yield* Effect.forEach(ofType, toItem, { concurrency: 8 })
        return { items: items.flat(), nextCursor: result.nextCursor }
      })

    const withCursor = <K extends string>(key: K, result: { items: ReadonlyArray<unknown>; nextCursor: string | undefined }) =>
      ({ [key]: result.items, ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }) }) as Record<
        string,
        unknown
      >

    const optionalFields = (fields: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))

    const toolOf = (tool: ToolRegistration) =>
      optionalFields({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: tool.annotations
      })

    const resourceOf = (resource: ResourceRegistration) =>
      optionalFields({
        uri: resource.uri,
        name: resource.name,
        title: resource.title,
        description: resource.description,
        mimeType: resource.mimeType
      })

    const templateOf = (resource: ResourceRegistration) =>
      optionalFields({
        uriTemplate: resource.uriTemplate,
        name: resource.name,
        title: resource.title,
        description: resource.description,
        mimeType: resource.mimeType
      })

    const promptOf = (prompt: PromptRegistration) =>
      optionalFields({ name: prompt.name, title: prompt.title, description: prompt.description, arguments: prompt.arguments })

    const storeFailure = { StoreError: hideStoreError } as const

    /** The registration a client names (a tool or prompt name); unknown names are -32602. */
    const lookup = <T extends RegistrationType>(type: T, name: string) =>
      registry.get(registrationId(type, name)).pipe(
        Effect.catchTags({
          RegistrationNotFound: () => Effect.fail(invalidParams(`Unknown ${type}: ${name}`)),
          ...storeFailure
        }),
        Effect.flatMap((registration) =>
          isOfType(registration, type) ? Effect.succeed(registration) : Effect.fail(invalidParams(`Unknown ${type}: ${name}`))
        )
      )

    const resourcesAll = allOf("resource").pipe(
      Effect.map((all) => all.filter((registration) => isOfType(registration, "resource"))),
      Effect.catchTags(storeFailure)
    )

    const findResource = (uri: string) =>
      Effect.gen(function* () {
        const resources = yield* resourcesAll
        const exact = resources.find((resource) => resource.uri === uri)
        if (exact !== undefined) return Option.some({ resource: exact, variables: {} })
        for (const resource of resources) {
          if (resource.uriTemplate === undefined) continue
          const variables = new UriTemplate(resource.uriTemplate).match(uri)
          if (variables !== null) return Option.some({ resource, variables })
        }
        return Option.none()
      })

    const failedAnswer = (what: string) => (error: UnusableAnswer) =>
      rpcError(ErrorCode.InternalError, `${what} answered unusably: ${error.message}`)

    type Handler = (
      request: JsonRpcRequest,
      context: RequestContext,
      scratch: Scratch
    ) => Effect.Effect<Record<string, unknown>, RpcError>

    const methods: Record<string, Handler> = {
      initialize: (request, _context, scratch) =>
        Effect.gen(function* () {
          const params = yield* decodeParams(InitializeParams, request.params)
          const protocolVersion = negotiateVersion(params.protocolVersion)
          yield* Ref.update(scratch.changes, (changes) => ({
            ...changes,
            protocolVersion,
            clientInfo: params.clientInfo,
            clientCapabilities: params.capabilities
          }))
          return {
            protocolVersion,
            capabilities: {
              tools: { listChanged: true },
              resources: { listChanged: true },
              prompts: { listChanged: true },
              logging: {},
              ...(protocolVersion === "2024-11-05" ? {} : { completions: {} })
            },
            serverInfo,
            ...(options.instructions === undefined ? {} : { instructions: options.instructions })
          }
        }),

      ping: () => Effect.succeed({}),

      "tools/list": (request) =>
        Effect.map(
          page("tool", request.params, (tool) => Effect.succeed([toolOf(tool)])),
          (result) => withCursor("tools", result)
        ),

      "tools/call": (request, context, scratch) =>
        Effect.gen(function* () {
          const params = yield* decodeParams(CallToolParams, request.params)
          const tool = yield* lookup("tool", params.name)
          const args = params.arguments ?? {}
          const issues = validate(tool.inputSchema, args)
          if (issues.length > 0) {
            return toolError(`Invalid arguments for tool '${tool.name}': ${formatIssues(issues)}`)
          }
          yield* log(context, scratch, "debug", `Calling tool '${tool.name}'`)
          return yield* invoke(tool, { args, extra: extraOf(context, request) }).pipe(
            Effect.map((answer) => toCallToolResult(tool, answer)),
            Effect.catchAll((error) =>
              Effect.flatMap(describeInvocationError(`Tool '${tool.name}'`, error), (message) =>
                Effect.as(log(context, scratch, "error", message), toolError(message))
              )
            )
          )
        }),

      "resources/list": (request, context, scratch) =>
        Effect.map(
          page("resource", request.params, (resource) => {
            if (resource.uri !== undefined) return Effect.succeed([resourceOf(resource)])
            // A template resource's function lists the concrete resources it serves.
            return invoke(resource, { action: "list", uri: resource.uriTemplate, variables: {}, extra: extraOf(context, request) })
              .pipe(
                Effect.flatMap((answer) => toListedResources(answer)),
                Effect.map((listed: ReadonlyArray<ListedResource>) =>
                  listed.map((item) => optionalFields({ mimeType: resource.mimeType, ...item }))
                ),
                Effect.catchAll((error) =>
                  Effect.as(
                    log(
                      context,
                      scratch,
                      "warning",
                      `Listing resource '${resource.name}' failed: ${error.message}`
                    ),
                    []
                  )
                )
              )
          }),
          (result) => withCursor("resources", result)
        ),

      "resources/templates/list": (request) =>
        Effect.map(
          page("resource", request.params, (resource) =>
            Effect.succeed(resource.uriTemplate === undefined ? [] : [templateOf(resource)])),
          (result) => withCursor("resourceTemplates", result)
        ),

      "resources/read": (request, context) =>
        Effect.gen(function* () {
          const { uri } = yield* decodeParams(ReadResourceParams, request.params)
          const found = yield* findResource(uri)
          if (Option.isNone(found)) {
            return yield* rpcError(ErrorCode.ResourceNotFound, "Resource not found", { uri })
          }
          const { resource, variables } = found.value
          const answer = yield* invoke(resource, { action: "read", uri, variables, extra: extraOf(context, request) }).pipe(
            Effect.catchAll((error) =>
              Effect.flatMap(
                describeInvocationError(`Reading '${uri}'`, error),
                (message) => Effect.fail(rpcError(ErrorCode.InternalError, message))
              )
            )
          )
          return yield* Either.mapLeft(
            toReadResourceResult(uri, resource.mimeType, answer),
            failedAnswer(`Resource '${resource.name}'`)
          )
        }),

      "prompts/list": (request) =>
        Effect.map(
          page("prompt", request.params, (prompt) => Effect.succeed([promptOf(prompt)])),
          (result) => withCursor("prompts", result)
        ),

      "prompts/get": (request, context) =>
        Effect.gen(function* () {
          const params = yield* decodeParams(GetPromptParams, request.params)
          const prompt = yield* lookup("prompt", params.name)
          const args = params.arguments ?? {}
          const missing = prompt.arguments.filter((argument) => argument.required === true && args[argument.name] === undefined)
          if (missing.length > 0) {
            return yield* invalidParams(`Missing required arguments: ${missing.map((argument) => argument.name).join(", ")}`)
          }
          const answer = yield* invoke(prompt, { args, extra: extraOf(context, request) }).pipe(
            Effect.catchAll((error) =>
              Effect.flatMap(
                describeInvocationError(`Prompt '${prompt.name}'`, error),
                (message) => Effect.fail(rpcError(ErrorCode.InternalError, message))
              )
            )
          )
          return yield* Either.mapLeft(toGetPromptResult(answer), failedAnswer(`Prompt '${prompt.name}'`))
        }),

      "logging/setLevel": (request, _context, scratch) =>
        Effect.gen(function* () {
          const { level } = yield* decodeParams(SetLevelParams, request.params)
          yield* Ref.update(scratch.changes, (changes) => ({ ...changes, logLevel: level }))
          return {}
        }),

      "completion/complete": (request) =>
        Effect.gen(function* () {
          const { argument, ref } = yield* decodeParams(CompleteParams, request.params)
          let completions: Readonly<Record<string, ReadonlyArray<string>>> | undefined
          if (ref.type === "ref/prompt") {
            completions = (yield* lookup("prompt", ref.name)).completions
          } else {
            const resources = yield* resourcesAll
            const resource = resources.find((r) => r.uriTemplate === ref.uri || r.uri === ref.uri)
            if (resource === undefined) return yield* invalidParams(`Unknown resource: ${ref.uri}`)
            completions = resource.completions
          }
          const prefix = argument.value.toLowerCase()
          const values = (completions?.[argument.name] ?? []).filter((value) => value.toLowerCase().startsWith(prefix))
          return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } }
        })
    }

    const respond = (context: RequestContext, request: JsonRpcRequest, scratch: Scratch) =>
      Effect.gen(function* () {
        const method = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined
        if (method === undefined) {
          return Option.some(failure(request.id, ErrorCode.MethodNotFound, `Method not found: ${request.method}`))
        }
        const cancel = yield* Deferred.make<void>()
        const key = flightKey(context.sessionId, request.id)
        inFlight.set(key, cancel)
        const answered = method(request, context, scratch).pipe(
          Effect.match({
            onFailure: (error) => failure(request.id, error.code, error.message, error.data),
            onSuccess: (result) => success(request.id, result)
          }),
          Effect.asSome
        )
        // A cancelled request gets no response (MCP cancellation), and its invocation is interrupted.
        return yield* Effect.raceFirst(answered, Effect.as(Deferred.await(cancel), Option.none())).pipe(
          Effect.ensuring(Effect.sync(() => inFlight.delete(key))),
          Effect.withSpan(`McpEngine.${request.method}`)
        )
      })

    const onNotification = (context: RequestContext, message: JsonRpcNotification, scratch: Scratch) =>
      Effect.gen(function* () {
        if (message.method === "notifications/initialized") {
          yield* Ref.update(scratch.changes, (changes) => ({ ...changes, initialized: true }))
        } else if (message.method === "notifications/cancelled") {
          const params = decodeParams(CancelledParams, message.params)
          if (Either.isRight(params)) {
            const cancel = inFlight.get(flightKey(context.sessionId, params.right.requestId))
            if (cancel !== undefined) yield* Deferred.succeed(cancel, undefined)
          }
        }
      })

    const handleOne = (context: RequestContext, input: unknown, scratch: Scratch) =>
      Effect.gen(function* () {
        const decoded = decodeMessage(input)
        if (Either.isLeft(decoded)) {
          return Option.some(failure(requestIdOf(input), ErrorCode.InvalidRequest, "Invalid Request"))
        }
        const message: JsonRpcMessage = decoded.right
        if (isRequest(message)) return yield* respond(context, message, scratch)
        if (isNotification(message)) yield* onNotification(context, message, scratch)
        // Responses to server-initiated requests need no answer.
        return Option.none<JsonRpcResponse>()
      })

    const handle = (context: RequestContext, input: unknown): Effect.Effect<Outcome> =>
      Effect.gen(function* () {
        const scratch: Scratch = {
          notifications: yield* Ref.make<ReadonlyArray<JsonRpcNotification>>([]),
          changes: yield* Ref.make<SessionChanges>({})
        }
        const finish = (responses: ReadonlyArray<JsonRpcResponse>, batch: boolean) =>
          Effect.gen(function* () {
            return {
              notifications: yield* Ref.get(scratch.notifications),
              responses,
              batch,
              changes: yield* Ref.get(scratch.changes)
            }
          })
        if (!Array.isArray(input)) {
          const response = yield* handleOne(context, input, scratch)
          return yield* finish(Option.toArray(response), false)
        }
        if (context.protocolVersion !== "2025-03-26") {
          return {
            ...EMPTY_OUTCOME,
            responses: [failure(null, ErrorCode.InvalidRequest, "Batches are only supported under protocol version 2025-03-26")]
          }
        }
        if (input.length === 0) {
          return { ...EMPTY_OUTCOME, responses: [failure(null, ErrorCode.InvalidRequest, "Invalid Request: empty batch")] }
        }
        const responses = yield* Effect.forEach(input, (item) => handleOne(context, item, scratch), { concurrency: 8 })
        return yield* finish(responses.flatMap(Option.toArray), true)
      })

    const handleText = (context: RequestContext, text: string) =>
      Effect.suspend(() => {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          return Effect.succeed<Outcome>({
            ...EMPTY_OUTCOME,
            responses: [failure(null, ErrorCode.ParseError, "Parse error")]
          })
        }
        return handle(context, parsed)
      })

    return { handle, handleText } satisfies McpEngineShape
  })

export const layer = (options: EngineOptions = {}): Layer.Layer<McpEngine, never, Registry | ToolInvoker> =>
  Layer.effect(McpEngine, make(options))
