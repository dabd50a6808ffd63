/**
 * JSON-RPC framing over the method table: decoding messages, batches and their per-revision
 * rules, notifications, cancellation, and turning each handler's outcome into a response.
 * One function from (request context, parsed JSON) to what to send and what to keep.
 */
import { Cause, Context, Effect, Either, Exit, Fiber, FiberMap, Option, Ref } from "effect"
import {
  decodeMessage,
  ErrorCode,
  failure,
  idOf as requestIdOf,
  isNotification,
  isRequest,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  success
} from "../domain/JsonRpc.js"
import { CancelledParams, type ProgressToken } from "../domain/Mcp.js"
import { isPlainObject } from "../domain/Registration.js"
import type { SessionChanges } from "../domain/Session.js"
import { Registry } from "../services/Registry.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import { Catalog } from "./Catalog.js"
import { MethodNotFound, toFailure } from "./Errors.js"
import { Subscriptions } from "./Subscriptions.js"
import { type Effects, makeEffects, McpRequest, type RequestContext } from "./McpRequest.js"
import { decodeParams, EngineSettings, type Method, type MethodServices, table } from "./Method.js"

export interface Outcome {
  /** Sent before the responses (log messages); a transport streams them as SSE. */
  readonly notifications: ReadonlyArray<JsonRpcNotification>
  /** One per request; a batch answers as an array even when it holds one response. */
  readonly responses: ReadonlyArray<JsonRpcResponse>
  readonly batch: boolean
  /** What to persist on the session (negotiated version, log level, initialized). */
  readonly changes: SessionChanges
}

/** Where a transport takes notifications while a request runs. */
export type Live = (message: JsonRpcNotification) => Effect.Effect<void>

const only = (response: JsonRpcResponse): Outcome => ({ notifications: [], responses: [response], batch: false, changes: {} })

/** Batches exist only in protocol revision 2025-03-26 (added then, removed in 2025-06-18). */
const BATCH_VERSION = "2025-03-26"

const progressTokenOf = (value: unknown): ProgressToken | undefined =>
  typeof value === "string" || typeof value === "number" ? value : undefined

export const make = (methods: ReadonlyArray<Method<any, any>>) => // eslint-disable-line @typescript-eslint/no-explicit-any
  Effect.gen(function* () {
    const services = Context.pick(Catalog, Registry, ToolInvoker, Subscriptions, EngineSettings)(
      yield* Effect.context<MethodServices>()
    )
    const settings = yield* EngineSettings
    const find = table(methods)
    // Requests in flight in this process, by session and id, so notifications/cancelled can stop them.
    const inFlight = yield* FiberMap.make<string>()
    const flightKey = (context: RequestContext, id: string | number) => `${context.sessionId}\u0000${typeof id}:${id}`

    const answer = (context: RequestContext, request: JsonRpcRequest, entry: Method, effects: Effects) => {
      const meta = request.params?.["_meta"]
      const metaRecord = isPlainObject(meta) ? meta : undefined
      const mcpRequest = {
        ...context,
        id: request.id,
        method: request.method,
        progressToken: progressTokenOf(metaRecord?.["progressToken"]),
        meta: metaRecord,
        logger: settings.serverInfo.name,
        effects
      }
      return entry.run(request.params).pipe(
        Effect.match({
          onFailure: (error) => toFailure(request.id, error),
          onSuccess: (result): JsonRpcResponse => success(request.id, result)
        }),
        // A defect (such as a result that breaks its schema) is logged, never sent.
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.failCause(cause)
            : Effect.as(
              Effect.logError(`Defect while answering ${request.method}`, cause),
              failure(request.id, ErrorCode.InternalError, "Internal error")
            )
        ),
        Effect.provideService(McpRequest, mcpRequest),
        Effect.provide(services),
        Effect.withSpan(`McpEngine.${request.method}`)
      )
    }

    const respond = (context: RequestContext, request: JsonRpcRequest, effects: Effects) =>
      Effect.gen(function* () {
        const entry = find(request.method)
        if (entry === undefined) return Option.some(toFailure(request.id, new MethodNotFound({ method: request.method })))
        const answered = answer(context, request, entry, effects)
        const key = flightKey(context, request.id)
        // Without a session (or with an id already in flight) nothing could name the request to cancel it.
        if (context.sessionId === undefined || (yield* FiberMap.has(inFlight, key))) {
          return Option.some(yield* answered)
        }
        // A cancelled request gets no response (MCP cancellation), and its invocation is interrupted;
        // so is the request's work when its caller goes away, with no gap between fork and watch.
        const exit = yield* Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(FiberMap.run(inFlight, key, answered), (fiber) =>
            restore(Fiber.await(fiber)).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber))))
        )
        return Exit.isSuccess(exit) ? Option.some(exit.value) : Option.none()
      })

    const onNotification = (context: RequestContext, message: JsonRpcNotification, effects: Effects) => {
      if (message.method === "notifications/initialized") {
        return Ref.update(effects.changes, (changes) => ({ ...changes, initialized: true }))
      }
      if (message.method === "notifications/cancelled") {
        const params = decodeParams(CancelledParams, message.params)
        return Either.isRight(params) && context.sessionId !== undefined
          ? FiberMap.remove(inFlight, flightKey(context, params.right.requestId))
          : Effect.void
      }
      return Effect.void
    }

    const handleOne = (context: RequestContext, input: unknown, effects: Effects) =>
      Effect.gen(function* () {
        const decoded = decodeMessage(input)
        if (Either.isLeft(decoded)) {
          return Option.some(failure(requestIdOf(input), ErrorCode.InvalidRequest, "Invalid Request"))
        }
        const message = decoded.right
        if (isRequest(message)) return yield* respond(context, message, effects)
        if (isNotification(message)) yield* onNotification(context, message, effects)
        // Responses to server-initiated requests need no answer.
        return Option.none<JsonRpcResponse>()
      })

    /**
     * One parsed JSON value: a message or, under 2025-03-26, a batch. Never fails. With `live`,
     * notifications go there as they happen instead of into the outcome.
     */
    const handle = (context: RequestContext, input: unknown, live?: Live): Effect.Effect<Outcome> =>
      Effect.gen(function* () {
        const batch = Array.isArray(input)
        if (batch && context.protocolVersion !== BATCH_VERSION) {
          return only(failure(null, ErrorCode.InvalidRequest, `Batches are only supported under protocol version ${BATCH_VERSION}`))
        }
        if (batch && input.length === 0) return only(failure(null, ErrorCode.InvalidRequest, "Invalid Request: empty batch"))
        const effects = yield* makeEffects(live)
        const items: ReadonlyArray<unknown> = batch ? input : [input]
        const responses = yield* Effect.forEach(items, (item) => handleOne(context, item, effects), { concurrency: 8 })
        return {
          notifications: yield* Ref.get(effects.notifications),
          responses: responses.flatMap(Option.toArray),
          batch,
          changes: yield* Ref.get(effects.changes)
        }
      })

    /** JSON text first (-32700 when it is not JSON). */
    const handleText = (context: RequestContext, text: string, live?: Live) =>
      Either.match(Either.try(() => JSON.parse(text) as unknown), {
        onLeft: () => Effect.succeed(only(failure(null, ErrorCode.ParseError, "Parse error"))),
        onRight: (parsed) => handle(context, parsed, live)
      })

    return { handle, handleText }
  })
