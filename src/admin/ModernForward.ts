/**
 * The proxy's 2026-07-28 path: a message from the stdio client that claims the revision in its
 * `_meta` is sent on its own, statelessly — a signed POST with the headers the revision asks
 * for (MCP-Protocol-Version, Mcp-Method, Mcp-Name) — and every message of the answer (JSON, or
 * the events of an SSE stream: notifications, then the response; a subscriptions/listen stream
 * for as long as it lasts) goes back to the client. Aborting the request is how HTTP cancels it.
 * `fetch` authorizes each request (SigV4-signed, or with an OAuth bearer token; Remote.ts).
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import { EventSourceParserStream } from "eventsource-parser/stream"
import { encodeHeaderValue, META, NAME_FIELD } from "../domain/Modern.js"


const paramsOf = (message: JSONRPCMessage): Record<string, unknown> =>
  "params" in message && typeof message.params === "object" && message.params !== null ? (message.params as Record<string, unknown>) : {}

/** The protocol version a message claims in its `_meta`, if it claims one. */
export const claimedVersion = (message: JSONRPCMessage): string | undefined => {
  const meta = paramsOf(message)["_meta"]
  const version = typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>)[META.protocolVersion] : undefined
  return typeof version === "string" ? version : undefined
}


const headersFor = (message: JSONRPCMessage, version: string): Record<string, string> => {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": version
  }
  if ("method" in message) {
    headers["mcp-method"] = message.method
    const field = NAME_FIELD[message.method]
    const name = field === undefined ? undefined : paramsOf(message)[field]
    if (typeof name === "string") headers["mcp-name"] = encodeHeaderValue(name)
  }
  return headers
}

export interface ModernForwarder {
  /** Sends one message and relays what comes back; resolves when the answer has ended. */
  readonly forward: (message: JSONRPCMessage) => Promise<void>
  /** Stops the request `id` (its stream is closed: the server treats that as cancellation). */
  readonly cancel: (id: string | number) => void
  readonly close: () => void
}

export const makeModernForwarder = (
  url: URL,
  fetch: FetchLike,
  deliver: (message: JSONRPCMessage) => Promise<void>
): ModernForwarder => {
  const inFlight = new Map<string | number, AbortController>()

  const relayStream = async (body: ReadableStream<Uint8Array>) => {
    const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
    for await (const event of events) {
      if (event.data.trim() === "") continue
      await deliver(JSON.parse(event.data) as JSONRPCMessage)
    }
  }

  const forward = async (message: JSONRPCMessage) => {
    const version = claimedVersion(message) ?? ""
    const id = "id" in message ? message.id : undefined
    const abort = new AbortController()
    if (id !== undefined) inFlight.set(id, abort)
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: headersFor(message, version),
        body: JSON.stringify(message),
        signal: abort.signal
      })
      const type = response.headers.get("content-type") ?? ""
      if (response.status === 202 || response.body === null) return
      if (type.startsWith("text/event-stream")) return await relayStream(response.body)
      const text = await response.text()
      if (type.startsWith("application/json") && text !== "") return await deliver(JSON.parse(text) as JSONRPCMessage)
      if (id !== undefined) {
        await deliver({ jsonrpc: "2.0", id, error: { code: -32603, message: `The remote MCP server answered HTTP ${response.status}` } })
      }
    } catch (error) {
      // A request the client cancelled ends quietly: no response is owed for it.
      if (abort.signal.aborted) return
      throw error
    } finally {
      if (id !== undefined) inFlight.delete(id)
    }
  }

  return {
    forward,
    cancel: (id) => inFlight.get(id)?.abort(),
    close: () => inFlight.forEach((abort) => abort.abort())
  }
}
