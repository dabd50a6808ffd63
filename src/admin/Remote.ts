/**
 * Reaching the remote MCP server as a client: SDK transports whose requests are SigV4-signed
 * (McpAuth=IAM), or carry an OAuth bearer token from the SDK's auth provider (McpAuth=OAUTH).
 * Streamable HTTP first; when the server answers 404 or 405 there, the legacy HTTP+SSE
 * transport (a URL ending in /sse goes straight to it).
 */
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js"
import { signedFetch, type Signer } from "./SigV4.js"
import { MCP_TIMEOUTS, timedFetch, type Timeouts } from "./TimedFetch.js"

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

/** A request body the SDK sends: JSON text, or a form (OAuth's token and registration requests). */
const bodyOf = (body: RequestInit["body"]): string | undefined => {
  if (body === undefined || body === null) return undefined
  if (typeof body === "string") return body
  if (body instanceof URLSearchParams) return body.toString()
  throw new Error("unsupported request body")
}

/** A `fetch` for the SDK with the deadlines of TimedFetch.ts, and nothing signed. */
export const deadlineFetch = (timeouts: Timeouts = MCP_TIMEOUTS): FetchLike => (url, init) => {
  const headers = headersOf(init?.headers)
  const body = bodyOf(init?.body)
  // The SDK sends forms as URLSearchParams and leaves the content type to fetch.
  if (init?.body instanceof URLSearchParams && !("content-type" in headers)) {
    headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8"
  }
  return timedFetch(new URL(url), {
    method: init?.method ?? "GET",
    headers,
    body,
    signal: init?.signal ?? undefined
  }, timeouts)
}

/** How requests are authorized: SigV4, or the SDK's OAuth client. */
export type Access = { readonly signer: Signer } | { readonly authProvider: OAuthClientProvider }

export type RemoteTransport = StreamableHTTPClientTransport | SSEClientTransport

export type TransportKind = "streamable-http" | "sse"

export const sseUrlOf = (url: URL) => new URL(url.pathname.replace(/\/mcp\/?$/, "/sse"), url)
export const mcpUrlOf = (url: URL) => new URL(url.pathname.replace(/\/sse\/?$/, "/mcp"), url)

export const makeTransport = (kind: TransportKind, url: URL, access: Access, timeouts: Timeouts = MCP_TIMEOUTS): RemoteTransport => {
  const fetch = "signer" in access ? signingFetch(access.signer, timeouts) : deadlineFetch(timeouts)
  const authProvider = "authProvider" in access ? { authProvider: access.authProvider } : {}
  return kind === "sse"
    ? new SSEClientTransport(sseUrlOf(url), { fetch, eventSourceInit: { fetch }, ...authProvider })
    : new StreamableHTTPClientTransport(mcpUrlOf(url), { fetch, ...authProvider })
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
