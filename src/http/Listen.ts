/**
 * `subscriptions/listen` (2026-07-28): a POST whose answer is a long-lived SSE stream of the
 * notifications the client asked for — list changes per kind, updates of the resources it
 * names — each tagged with the subscription's id (the request's id), after an acknowledgement
 * that comes first. It is fed by the same registry watch and resource-update fan-out as the
 * 2025 streams: the stream is backed by a short-lived session of its own, which ends with it.
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { ErrorCode, failure, type JsonRpcMessage, notification, type RequestId, success } from "../domain/JsonRpc.js"
import { LATEST_MODERN_VERSION, ListenParams, META } from "../domain/Modern.js"
import { Sessions } from "../mcp/Sessions.js"
import { Subscriptions } from "../mcp/Subscriptions.js"
import { json } from "./Errors.js"
import { bounded, type StreamOptions, withKeepAlive } from "./SessionStream.js"
import { frame, SSE_HEADERS } from "./Sse.js"
import { streamLease } from "./StreamLimit.js"
import { decodeUnknownEither } from "../domain/Decode.js"

export type ListenOptions = StreamOptions

const decodeListen = decodeUnknownEither(ListenParams)

/** Which list_changed methods the filter lets through. */
const LIST_CHANGED = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged"
} as const

const event = (message: JsonRpcMessage) => frame({ event: "message", data: JSON.stringify(message) })

export const listen = (id: RequestId, params: Record<string, unknown>, principal: string, options: ListenOptions) =>
  Effect.gen(function* () {
    const decoded = decodeListen(params)
    if (Either.isLeft(decoded)) {
      return json(failure(id, ErrorCode.InvalidParams, "Invalid params: notifications must be a filter object"))
    }
    const asked = decoded.right.notifications ?? {}
    // What this stream honours: exactly what was asked, as the acknowledgement says.
    const honoured = {
      ...(asked.toolsListChanged === true ? { toolsListChanged: true } : {}),
      ...(asked.promptsListChanged === true ? { promptsListChanged: true } : {}),
      ...(asked.resourcesListChanged === true ? { resourcesListChanged: true } : {}),
      ...(asked.resourceSubscriptions === undefined ? {} : { resourceSubscriptions: asked.resourceSubscriptions })
    }
    const tag = { [META.subscriptionId]: id }
    const lease = yield* streamLease(principal, options)
    if (!lease.granted) return json(failure(id, ErrorCode.InvalidRequest, lease.message), 429, lease.headers)
    const sessions = yield* Sessions
    const subscriptions = yield* Subscriptions
    const session = yield* sessions.open(principal, "listen", { protocolVersion: LATEST_MODERN_VERSION, initialized: true })
    yield* Effect.forEach(honoured.resourceSubscriptions ?? [], (uri) => subscriptions.subscribe(session.id, uri), { discard: true })

    const wanted = (message: JsonRpcMessage) => {
      if (!("method" in message)) return false
      if (message.method in LIST_CHANGED) return honoured[LIST_CHANGED[message.method as keyof typeof LIST_CHANGED]] === true
      return message.method === "notifications/resources/updated"
    }
    const tagged = (message: JsonRpcMessage) =>
      "method" in message ? notification(message.method, { ...message.params, _meta: tag }) : message
    const acknowledged = event(notification("notifications/subscriptions/acknowledged", { _meta: tag, notifications: honoured }))
    const notifications = sessions.messages(session.id, 0).pipe(
      Stream.map((entry) => entry.message),
      Stream.filter(wanted),
      Stream.map((message) => event(tagged(message)))
    )
    const body = Stream.concat(Stream.succeed(acknowledged), yield* bounded(withKeepAlive(notifications, options), options)).pipe(
      // A stream that ends on the server's side ends gracefully: with the listen request's result.
      Stream.concat(Stream.succeed(event(success(id, { resultType: "complete", _meta: tag })))),
      Stream.ensuring(Effect.ignore(sessions.close(session.id))),
      lease.hold
    )
    return HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: SSE_HEADERS })
  })
