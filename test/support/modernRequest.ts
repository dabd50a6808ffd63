/**
 * Raw MCP 2026-07-28 requests, for what an SDK client never sends (a tampered `requestState`,
 * a stray `Mcp-Session-Id`) and for hosts no SDK client reaches: the per-request `_meta`
 * envelope in the body and the headers that repeat it (`MCP-Protocol-Version`, `Mcp-Method`,
 * `Mcp-Name`), as the revision wants them.
 */

export const MODERN_VERSION = "2026-07-28"

const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  logLevel: "io.modelcontextprotocol/logLevel"
} as const

/** Which body field `Mcp-Name` repeats, per method. */
const NAME_FIELD: Readonly<Record<string, "name" | "uri">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri"
}

export interface ModernRequestOptions {
  /** The client's capabilities for this request (none by default). */
  readonly capabilities?: Record<string, unknown>
  readonly logLevel?: string
  /** Extra headers, or overrides of the standard ones. */
  readonly headers?: Readonly<Record<string, string>>
}

/** A header value as the revision encodes it: plain printable ASCII as it is, else `=?base64?…?=`. */
const headerValue = (value: string) =>
  /^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/.test(value) && !value.startsWith("=?")
    ? value
    : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`

/** The `_meta` envelope every 2026-07-28 request carries. */
export const envelope = (options: ModernRequestOptions = {}) => ({
  [META.protocolVersion]: MODERN_VERSION,
  [META.clientInfo]: { name: "raw-modern", version: "1.0.0" },
  [META.clientCapabilities]: options.capabilities ?? {},
  ...(options.logLevel === undefined ? {} : { [META.logLevel]: options.logLevel })
})

/** Headers and body of a 2026-07-28 request (a notification when `id` is undefined). */
export const modernRequest = (
  id: string | number | undefined,
  method: string,
  params: Record<string, unknown> = {},
  options: ModernRequestOptions = {}
) => {
  const nameField = NAME_FIELD[method]
  const name = nameField === undefined ? undefined : params[nameField]
  const { _meta: extraMeta, ...rest } = params as { _meta?: Record<string, unknown> }
  return {
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN_VERSION,
      "mcp-method": method,
      ...(typeof name === "string" ? { "mcp-name": headerValue(name) } : {}),
      ...options.headers
    },
    body: {
      jsonrpc: "2.0",
      ...(id === undefined ? {} : { id }),
      method,
      params: { ...rest, _meta: { ...envelope(options), ...extraMeta } }
    }
  }
}

/** POSTs a 2026-07-28 request to `url` (the MCP endpoint). */
export const postModern = (
  url: string,
  id: string | number | undefined,
  method: string,
  params: Record<string, unknown> = {},
  options: ModernRequestOptions = {}
) => {
  const { body, headers } = modernRequest(id, method, params, options)
  return fetch(url, { method: "POST", headers, body: JSON.stringify(body) })
}
