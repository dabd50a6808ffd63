/**
 * Reaching the IAM-protected MCP Function URL as a client: SDK transports whose requests are
 * SigV4-signed. Streamable HTTP first; when the server answers 404 or 405 there, the legacy
 * HTTP+SSE transport (a URL ending in /sse goes straight to it).
 */
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { FetchLike, Transport } from "@modelcontextprotocol/sdk/shared/transport.js"
import { signedFetch, type Signer } from "./SigV4.js"
import { MCP_TIMEOUTS, type Timeouts } from "./TimedFetch.js"

const headersOf = (headers: ConstructorParameters<typeof Headers>[0]): Record<string, string> => {
  const result: Record<string, string> = {}
  new Headers(headers).forEach((value, name) => {
    result[name] = value
  })
  return result
}

/** A `fetch` for the SDK transports that signs every request (credentials refresh as they expire). */
export const signingFetch = (signer: Signer, timeouts: Timeouts = MCP_TIMEOUTS): FetchLike => (url, init) =>
  signedFetch(signer, url, {
    method: init?.method ?? "GET",
    headers: headersOf(init?.headers),
    ...(typeof init?.body === "string" ? { body: init.body } : {}),
    ...(init?.signal ? { signal: init.signal } : {}),
    timeouts
  })

export type TransportKind = "streamable-http" | "sse"

export const sseUrlOf = (url: URL) => new URL(url.pathname.replace(/\/mcp\/?$/, "/sse"), url)
export const mcpUrlOf = (url: URL) => new URL(url.pathname.replace(/\/sse\/?$/, "/mcp"), url)

export const makeTransport = (kind: TransportKind, url: URL, signer: Signer, timeouts: Timeouts = MCP_TIMEOUTS): Transport => {
  const fetch = signingFetch(signer, timeouts)
  return kind === "sse"
    ? new SSEClientTransport(sseUrlOf(url), { fetch, eventSourceInit: { fetch } })
    : new StreamableHTTPClientTransport(mcpUrlOf(url), { fetch })
}

const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "number"
    ? (error as { code: number }).code
    : Number(/\(HTTP (\d{3})\)/.exec(error instanceof Error ? error.message : "")?.[1])

/** Whether an error from a Streamable HTTP POST means the server does not offer that transport. */
export const isTransportMissing = (error: unknown) => [404, 405].includes(statusOf(error))

/** Whether the server no longer knows the session (it expired, or its legacy stream ended). */
export const isSessionGone = (error: unknown) =>
  statusOf(error) === 404 && /session not found/i.test(error instanceof Error ? error.message : "")

export const preferredKind = (url: URL): TransportKind => (/\/sse\/?$/.test(url.pathname) ? "sse" : "streamable-http")
