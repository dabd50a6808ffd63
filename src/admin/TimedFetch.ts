/**
 * `fetch` for the admin commands and the proxy, with two deadlines that end in a sentence saying
 * what happened: connecting (TCP, and TLS for https) must finish within `connectMs`, and the
 * status line and headers must arrive within `responseMs` of the connection. The body then takes
 * as long as it takes (an SSE stream lasts minutes). Node's own fetch sets neither (it waits 10 s
 * to connect, then 5 minutes for headers, and says "fetch failed"), hence node:http here.
 */
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import type { Socket } from "node:net"
import { Readable } from "node:stream"

export interface Timeouts {
  readonly connectMs: number
  readonly responseMs: number
}

/** The Registration API answers within its function's 30 s; an MCP answer may wait for a tool. */
export const REGISTRATION_TIMEOUTS: Timeouts = { connectMs: 10_000, responseMs: 30_000 }
export const MCP_TIMEOUTS: Timeouts = { connectMs: 10_000, responseMs: 120_000 }

/** A deadline that passed; its message is for the user. */
export class RemoteTimeout extends Error {
  override readonly name = "RemoteTimeout"
}

export interface TimedRequest {
  readonly method?: string | undefined
  readonly headers?: Record<string, string> | undefined
  readonly body?: string | undefined
  readonly signal?: AbortSignal | undefined
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`

/** Node's socket errors, said plainly (the original stays as the cause). */
const plainly = (url: URL, error: Error & { code?: string }) => {
  const sentence = error.code === "ECONNREFUSED"
    ? `Nothing accepts connections at ${url.host} (connection refused)`
    : error.code === "ENOTFOUND" || error.code === "EAI_AGAIN"
    ? `Cannot resolve the host name ${url.hostname}`
    : error.code === "ECONNRESET"
    ? `${url.host} closed the connection before answering`
    : undefined
  return sentence === undefined ? error : new Error(sentence, { cause: error })
}

export const timedFetch = (url: URL, init: TimedRequest, timeouts: Timeouts): Promise<Response> =>
  new Promise<Response>((resolve, reject) => {
    if (init.signal?.aborted === true) return reject(init.signal.reason)
    const body = init.body === undefined ? undefined : Buffer.from(init.body)
    const send = url.protocol === "https:" ? httpsRequest : httpRequest
    const request = send(url, {
      method: init.method ?? "GET",
      headers: { ...init.headers, ...(body === undefined ? {} : { "content-length": String(body.byteLength) }) },
      ...(init.signal === undefined ? {} : { signal: init.signal })
    })
    const fail = (message: string) => () => request.destroy(new RemoteTimeout(message))
    let timer = setTimeout(fail(`Could not connect to ${url.host} within ${seconds(timeouts.connectMs)}`), timeouts.connectMs)
    const connected = () => {
      clearTimeout(timer)
      timer = setTimeout(
        fail(`${url.host} accepted the connection but sent no response within ${seconds(timeouts.responseMs)}`),
        timeouts.responseMs
      )
    }
    request.once("socket", (socket: Socket) => {
      // A kept-alive connection is ready at once; a new one after its TCP (and TLS) handshake.
      if (!socket.connecting) return connected()
      socket.once(url.protocol === "https:" ? "secureConnect" : "connect", connected)
    })
    request.once("response", (response) => {
      clearTimeout(timer)
      const headers = new Headers()
      for (let index = 0; index + 1 < response.rawHeaders.length; index += 2) {
        headers.append(response.rawHeaders[index]!, response.rawHeaders[index + 1]!)
      }
      const status = response.statusCode ?? 502
      const empty = request.method === "HEAD" || [204, 205, 304].includes(status)
      if (empty) response.resume()
      resolve(new Response(empty ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), {
        status,
        statusText: response.statusMessage ?? "",
        headers
      }))
    })
    // `on`, not `once`: a socket can fail again after the answer began (the body then fails too).
    request.on("error", (error) => {
      clearTimeout(timer)
      reject(error instanceof RemoteTimeout || init.signal?.aborted === true ? error : plainly(url, error))
    })
    request.end(body)
  })
