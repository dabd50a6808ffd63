/**
 * The official SDK v2 client (`@modelcontextprotocol/client`) in tests: a fetch for its
 * transport that records every exchange — the request's method, headers and JSON body, the
 * answer's status and headers, and a JSON answer's body — so a test can check the wire the
 * client hides (envelope, headers, `resultType`, `requestState`).
 */
import type { FetchLike } from "@modelcontextprotocol/client"
import type { Json } from "./json.js"

export interface Exchange {
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  /** The request body, parsed (undefined when there is none). */
  readonly body: Json
  readonly status: number
  readonly responseHeaders: Readonly<Record<string, string>>
  /** A JSON answer's body; an SSE answer's stream stays the client's alone. */
  readonly answer: Json
}

export interface RecordingFetch {
  readonly fetch: FetchLike
  readonly exchanges: ReadonlyArray<Exchange>
  /** The exchanges whose request was a JSON-RPC message with this method. */
  readonly of: (method: string) => ReadonlyArray<Exchange>
}

const headersOf = (headers: Headers) => Object.fromEntries([...headers.entries()])

export const recordingFetch = (): RecordingFetch => {
  const exchanges: Array<Exchange> = []
  const record: FetchLike = async (url, init) => {
    const response = await fetch(url, init)
    const text = typeof init?.body === "string" ? init.body : undefined
    const json = (response.headers.get("content-type") ?? "").startsWith("application/json")
      ? await response.clone().json().catch(() => undefined)
      : undefined
    exchanges.push({
      method: init?.method ?? "GET",
      headers: headersOf(new Headers(init?.headers)),
      body: text === undefined ? undefined : JSON.parse(text),
      status: response.status,
      responseHeaders: headersOf(response.headers),
      answer: json
    })
    return response
  }
  return {
    fetch: record,
    exchanges,
    of: (method) => exchanges.filter((exchange) => exchange.body?.method === method)
  }
}
