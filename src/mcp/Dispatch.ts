/**
 * JSON-RPC framing over the method table: decoding messages, batches and their per-revision
 * rules, notifications, cancellation (`Cancellation.ts` keeps the requests in flight), and turning each handler's outcome into a response.
 * One function from (request context, parsed JSON) to what to send and what to keep.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import {
  decodeMessage,
  ErrorCode,
  failure,
  idOf as requestIdOf,
  looksLikeRequest,
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
import { FIXED } from "../Settings.js"
import { Inbox, replyKey } from "../services/Inbox.js"
import { RateLimiter } from "../services/RateLimiter.js"
import { Registry } from "../services/Registry.js"
import { TaskRunner } from "../services/TaskRunner.js"
import { TaskStore } from "../services/TaskStore.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import * as Cancellation from "./Cancellation.js"
import { Catalog } from "./Catalog.js"
import { MethodNotFound, toFailure } from "./Errors.js"
import { RequestStateSeal } from "./RequestState.js"
import { Subscriptions } from "./Subscriptions.js"
import { CACHEABLE_METHODS, META } from "../domain/Modern.js"
import { type Effects, isModern, type Live, makeEffects, McpRequest, type RequestContext } from "./McpRequest.js"
import { EngineSettings, paramsDecoder, type Method, type MethodServices, table } from "./Method.js"
import { SERVER_REQUEST_PREFIX } from "./InputRounds.js"

export type { Live } from "./McpRequest.js"

export interface Outcome {
  /** Sent before the responses (log messages); a transport streams them as SSE. */
  readonly notifications: ReadonlyArray<JsonRpcNotification>
  /** One per request; a batch answers as an array even when it holds one response. */
  readonly responses: ReadonlyArray<JsonRpcResponse>
  readonly batch: boolean
  /** What to persist on the session (negotiated version, log level, initialized). */
  readonly changes: SessionChanges
  /** How many requests the input held (a cancelled one gets no response). */
  readonly requests: number
}

const only = (response: JsonRpcResponse): Outcome => ({
  notifications: [],
  responses: [response],
  batch: false,
  changes: {},
  requests: 1
})

/** Batches exist only in protocol revision 2025-03-26 (added then, removed in 2025-06-18). */
const BATCH_VERSION = "2025-03-26"

const progressTokenOf = (value: unknown): ProgressToken | undefined =>
  typeof value === "string" || typeof value === "number" ? value : undefined

const decodeCancelled = paramsDecoder(CancelledParams)

export const make = (methods: ReadonlyArray<Method<any, any>>) => // eslint-disable-line @typescript-eslint/no-explicit-any
  Effect.gen(function* () {
    const services = Context.pick(Catalog, Registry, ToolInvoker, Subscriptions, Inbox, RequestStateSeal, EngineSettings, TaskStore, TaskRunner)(
      yield* Effect.context<MethodServices>()
    )
    const settings = yield* EngineSettings
    const inbox = Context.get(services, Inbox)
    const find = table(methods)
    const cancellation = yield* Cancellation.make(inbox)

    /**
     * A 2026-07-28 result: its `resultType`, caching hints on complete results of the cacheable
     * methods (lists follow the registry; reads come from functions, so never shared), and who answered.
     */
    const modernResult = (method: string, result: Record<string, unknown>) => {
      const resultType = typeof result["resultType"] === "string" ? result["resultType"] : "complete"
      const caching = resultType === "complete" && CACHEABLE_METHODS.has(method)
        ? method === "resources/read"
          ? { ttlMs: 0, cacheScope: "private" }
          : { ttlMs: Duration.toMillis(settings.listTtl), cacheScope: "public" }
        : {}
      const meta = isPlainObject(result["_meta"]) ? result["_meta"] : {}
      return { ...result, resultType, ...caching, _meta: { ...meta, [META.serverInfo]: settings.serverInfo } }
    }

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
      const modern = isModern(context)
      return entry.run(request.params).pipe(
        Effect.match({
          onFailure: (error) => toFailure(request.id, error, modern),
          onSuccess: (result): JsonRpcResponse => success(request.id, modern ? modernResult(request.method, result) : result)
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
        // Stryker disable next-line StringLiteral: span name, for tracing only
        Effect.withSpan(`McpEngine.${request.method}`)
      )
    }

    const respond = (context: RequestContext, request: JsonRpcRequest, effects: Effects) =>
      Effect.gen(function* () {
        const entry = find(request.method)
        const era = isModern(context) ? "modern" : "legacy"
        if (entry === undefined || (entry.era !== undefined && entry.era !== era)) {
          return Option.some(toFailure(request.id, new MethodNotFound({ method: request.method })))
        }
        return yield* cancellation.run(context.sessionId, request.id, answer(context, request, entry, effects))
      })

    const onNotification = (context: RequestContext, message: JsonRpcNotification, effects: Effects) => {
      if (message.method === "notifications/initialized") {
        return Ref.update(effects.changes, (changes) => ({ ...changes, initialized: true }))
      }
      if (message.method === "notifications/cancelled") {
        const params = decodeCancelled(message.params)
        if (Either.isLeft(params) || context.sessionId === undefined) return Effect.void
        return cancellation.cancel(context.sessionId, params.right.requestId)
      }
      return Effect.void
    }

    /** The client's answer to one of the server's requests: kept for the call that waits for it. */
    const onResponse = (context: RequestContext, message: JsonRpcResponse) => {
      const id = message.id
      if (context.sessionId === undefined || typeof id !== "string" || !id.startsWith(SERVER_REQUEST_PREFIX)) {
        // Stryker disable next-line StringLiteral: log wording
        return Effect.logWarning(`A response to an unknown request id (${JSON.stringify(id)}) was ignored`)
      }
      return inbox.put(context.sessionId, replyKey(id), message).pipe(
        // Stryker disable next-line StringLiteral: log wording
        Effect.catchTag("StoreError", (error) => Effect.logError("Keeping the client's answer failed", error))
      )
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
        // A response to a server-initiated request needs no answer of its own.
        else yield* onResponse(context, message as JsonRpcResponse)
        return Option.none<JsonRpcResponse>()
      })

    /**
     * What each item of a batch after the first costs: a token of the caller's rate limit, as
     * the transport took one for the HTTP request. The limiter is the caller's, when the engine
     * runs under the HTTP API (which requires one); unlimited elsewhere (tests of the engine).
     * A limiter that fails allows the item, as the API does: counting must not become an outage.
     */
    const batchCharge = (context: RequestContext) =>
      Effect.map(Effect.serviceOption(RateLimiter), (limiter) => {
        if (Option.isNone(limiter) || context.principal === undefined) return Effect.succeed(true)
        const principal = context.principal
        return limiter.value.take(principal).pipe(
          Effect.map((decision) => decision.allowed),
          Effect.catchTag("StoreError", (error) =>
            // Stryker disable next-line StringLiteral: log wording
            Effect.as(Effect.logWarning("Rate limiter unavailable; allowing the batch item", error), true))
        )
      })

    /** A batch item past the caller's limit: requests are answered so; anything else is dropped. */
    const overLimit = (item: unknown) =>
      looksLikeRequest(item)
        ? Option.some(failure(requestIdOf(item), ErrorCode.InvalidRequest, "Too many requests: the per-minute limit for this caller is reached"))
        : Option.none<JsonRpcResponse>()

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
        if (batch && input.length > FIXED.limits.maxBatchItems) {
          return only(failure(
            null,
            ErrorCode.InvalidRequest,
            `Invalid Request: a batch holds at most ${FIXED.limits.maxBatchItems} messages (this one has ${input.length})`
          ))
        }
        const effects = yield* makeEffects(live)
        const items: ReadonlyArray<unknown> = batch ? input : [input]
        // One message (nearly every request) is handled in this fiber; a batch's items, eight at a time.
        const responses = batch
          ? yield* Effect.flatMap(batchCharge(context), (charge) =>
            Effect.forEach(
              items,
              (item, index) =>
                index === 0
                  ? handleOne(context, item, effects)
                  : Effect.flatMap(charge, (allowed) =>
                    allowed ? handleOne(context, item, effects) : Effect.succeed(overLimit(item))),
              { concurrency: 8 }
            ))
          : [yield* handleOne(context, input, effects)]
        return {
          notifications: yield* Ref.get(effects.notifications),
          responses: responses.flatMap(Option.toArray),
          batch,
          changes: yield* Ref.get(effects.changes),
          requests: items.filter(looksLikeRequest).length
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
