/**
 * `mcp-lambda-sam proxy`: a stdio MCP server for desktop clients (Claude Desktop, Cursor) that
 * forwards every message to the remote server, SigV4-signed, and relays everything that comes
 * back — responses, notifications, and requests from the server.
 *
 * Streamable HTTP is used when the server offers it, else legacy SSE. When the remote session
 * ends (a legacy stream reached the function's time limit, or the session expired), the proxy
 * opens a new one, replays the client's `initialize` — its answer is not passed on — and sends
 * the message again, so the client's session carries on.
 *
 * A client that speaks MCP 2026-07-28 (its messages claim the revision in `_meta`) is served
 * statelessly: each message is its own signed POST, and no session is opened for it.
 *
 * With `oauth` (a server in OAUTH mode) requests carry a bearer token instead of a signature;
 * when the SDK has none that works, the message waits while the person signs in, then goes.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import type { FetchLike, Transport } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import { claimedVersion, makeModernForwarder } from "./ModernForward.js"
import { needsSignIn, type OAuthLogin, oauthFetch, SignInFailed } from "./OAuthLogin.js"
import {
  type Access,
  deadlineFetch,
  isSessionGone,
  isTransportMissing,
  makeTransport,
  mcpUrlOf,
  preferredKind,
  type RemoteTransport,
  signingFetch,
  type TransportKind
} from "./Remote.js"
import type { Signer } from "./SigV4.js"
import { MCP_TIMEOUTS, type Timeouts } from "./TimedFetch.js"

export interface ProxyOptions {
  readonly url: string
  /** SigV4 (McpAuth=IAM)… */
  readonly signer?: Signer | undefined
  /** …or OAuth (McpAuth=OAUTH). */
  readonly oauth?: OAuthLogin | undefined
  /** Diagnostics (stderr: stdout carries the protocol). */
  readonly log?: ((line: string) => void) | undefined
  readonly local?: Transport | undefined
  /** To connect, and for the headers of each answer (default `MCP_TIMEOUTS`). */
  readonly timeouts?: Timeouts | undefined
}

const isInitialize = (message: JSONRPCMessage) => "method" in message && message.method === "initialize" && "id" in message
const isInitialized = (message: JSONRPCMessage) => "method" in message && message.method === "notifications/initialized"
const idOf = (message: JSONRPCMessage) => ("id" in message ? message.id : undefined)

/** How requests are authorized, for the SDK transports and for the stateless path. */
const authorizationOf = (options: ProxyOptions, url: URL, timeouts: Timeouts): { access: Access; modernFetch: FetchLike } => {
  if (options.oauth !== undefined) {
    return { access: { authProvider: options.oauth.provider }, modernFetch: oauthFetch(options.oauth, mcpUrlOf(url), deadlineFetch(timeouts)) }
  }
  if (options.signer !== undefined) return { access: { signer: options.signer }, modernFetch: signingFetch(options.signer, timeouts) }
  throw new Error("runProxy needs a signer or an OAuth login")
}

export const runProxy = (options: ProxyOptions): Promise<void> => {
  const log = options.log ?? ((line: string) => process.stderr.write(`[mcp-lambda-sam proxy] ${line}\n`))
  const url = new URL(options.url)
  const timeouts = options.timeouts ?? MCP_TIMEOUTS
  const local = options.local ?? new StdioServerTransport()
  const { oauth } = options
  const { access, modernFetch } = authorizationOf(options, url, timeouts)
  let kind: TransportKind = preferredKind(url)
  let remote: RemoteTransport | undefined
  let connecting: Promise<RemoteTransport> | undefined
  let closing = false
  let initialize: JSONRPCMessage | undefined
  let initialized: JSONRPCMessage | undefined
  let replays = 0
  const swallow = new Set<string | number>()

  /** A started transport; when it must sign in first (OAuth), another one once that is done. */
  const started = async (): Promise<RemoteTransport> => {
    const transport = wired(makeTransport(kind, url, access, timeouts))
    try {
      await transport.start()
      return transport
    } catch (error) {
      if (!needsSignIn(oauth, error)) throw error
      await oauth.completeSignIn((code) => transport.finishAuth(code))
      const signedIn = wired(makeTransport(kind, url, access, timeouts))
      await signedIn.start()
      return signedIn
    }
  }

  const wired = (transport: RemoteTransport): RemoteTransport => {
    transport.onmessage = (message) => {
      const id = idOf(message)
      if (id !== undefined && swallow.delete(id)) return
      void local.send(message).catch((error: unknown) => log(`cannot write to the client: ${String(error)}`))
    }
    transport.onerror = (error) => {
      // The sign-in it stands for is said in full on its own.
      if (!needsSignIn(oauth, error)) log(`remote: ${error.message}`)
    }
    transport.onclose = () => {
      if (closing || remote !== transport) return
      remote = undefined
      if (kind === "sse" && initialize !== undefined) {
        log("the stream ended; reconnecting")
        connecting = open(true)
        connecting.catch((error: unknown) => log(`reconnect failed: ${String(error)}`))
      }
    }
    return transport
  }

  const open = async (replay: boolean): Promise<RemoteTransport> => {
    const transport = await started()
    remote = transport
    if (replay && initialize !== undefined) {
      const id = `mcp-lambda-sam-proxy-reinit-${++replays}`
      swallow.add(id)
      await transport.send({ ...(initialize as object), id } as JSONRPCMessage)
      if (initialized !== undefined) await transport.send(initialized)
    }
    return transport
  }

  const connection = async () => {
    if (remote !== undefined) return remote
    connecting ??= open(false)
    try {
      return await connecting
    } finally {
      connecting = undefined
    }
  }

  const modern = makeModernForwarder(mcpUrlOf(url), modernFetch, (message) =>
    local.send(message).catch((error: unknown) => log(`cannot write to the client: ${String(error)}`)))

  const forward = async (message: JSONRPCMessage) => {
    if (claimedVersion(message) !== undefined) {
      // On HTTP, closing a request's stream is how 2026-07-28 cancels it.
      if ("method" in message && message.method === "notifications/cancelled" && !("id" in message)) {
        const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId
        if (typeof requestId === "string" || typeof requestId === "number") modern.cancel(requestId)
        return
      }
      return modern.forward(message)
    }
    if (isInitialize(message)) initialize = message
    if (isInitialized(message)) initialized = message
    const transport = await connection()
    try {
      await transport.send(message)
    } catch (error) {
      // No token that works (OAuth): once the person has signed in, the message goes again.
      if (needsSignIn(oauth, error)) {
        await oauth.completeSignIn((code) => transport.finishAuth(code))
        await transport.send(message)
        return
      }
      // The server has no Streamable HTTP endpoint: switch to legacy SSE for good.
      // The session is gone (a legacy stream ended, or it expired): a new one, then this message again.
      if (!isInitialize(message) && initialize !== undefined && isSessionGone(error)) {
        log("the session ended; opening a new one")
        remote = undefined
        await transport.close().catch(() => undefined)
        connecting ??= open(true)
        const renewed = await connection()
        await renewed.send(message)
        return
      }
      if (kind === "streamable-http" && isInitialize(message) && isTransportMissing(error)) {
        log("Streamable HTTP is not offered; using the legacy SSE transport")
        kind = "sse"
        remote = undefined
        await transport.close().catch(() => undefined)
        const fallback = await connection()
        await fallback.send(message)
        return
      }
      throw error
    }
  }

  return new Promise<void>((resolve) => {
    local.onmessage = (message: JSONRPCMessage) => {
      forward(message).catch((error: unknown) => {
        log(`cannot forward: ${error instanceof Error ? error.message : String(error)}`)
        const id = idOf(message)
        if (id !== undefined) {
          void local.send({
            jsonrpc: "2.0",
            id,
            error: {
              code: -32603,
              message: error instanceof SignInFailed
                ? error.message
                : `The remote MCP server could not be reached: ${error instanceof Error ? error.message : String(error)}`
            }
          })
        }
      })
    }
    local.onclose = () => {
      closing = true
      modern.close()
      oauth?.close()
      void (remote?.close() ?? Promise.resolve()).finally(() => resolve())
    }
    if (options.local === undefined) {
      // The MCP stdio transport: a client ends a server by closing its stdin, then waits for it to
      // exit (a signal comes only later). The SDK's stdio transport does not watch for that end.
      process.stdin.once("end", () => void local.close())
    }
    void local.start()
  })
}
