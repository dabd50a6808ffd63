/**
 * The proxy's OAuth 2.1 client for servers in OAUTH mode, on the MCP SDK's `OAuthClientProvider`:
 * the SDK discovers the issuer from the server's 401, registers this client (RFC 7591) unless a
 * client id is given, and sends the person to the issuer (authorization code with PKCE). The
 * sign-in URL goes to stderr (and to the browser), and a listener on 127.0.0.1 receives the
 * redirect with the code (RFC 8252). Tokens and the client's registration are kept per server in
 * the user's config dir, readable by the user only, so the next run needs no sign-in; an
 * expired token is refreshed by the SDK when the server answers 401.
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { auth, type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js"
import { withOAuth } from "@modelcontextprotocol/sdk/client/middleware.js"
import type { OAuthClientMetadata } from "@modelcontextprotocol/sdk/shared/auth.js"
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js"
import { clientOf, configDir, openCredentials, type Stored, tokensOf } from "./OAuthCredentials.js"

/** Signing in did not succeed; the message says why, for the person. */
export class SignInFailed extends Error {
  override readonly name = "SignInFailed"
}

const isLoopback = (url: URL) => url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) && url.port !== ""

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })

const openInBrowser = (url: string) => {
  const [command, args] = process.platform === "darwin"
    ? ["open", [url]]
    : process.platform === "win32"
    ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
    : ["xdg-open", [url]]
  const child = spawn(command, args as Array<string>, { detached: true, stdio: "ignore" })
  child.once("error", () => undefined)
  child.unref()
}

const page = (title: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${title}</p><p>You can close this tab.</p>`

export interface OAuthLoginOptions {
  /** The URL the proxy forwards to (…/mcp, or …/sse): one set of credentials each. */
  readonly serverUrl: URL
  /** A client registered beforehand (no dynamic registration then). */
  readonly clientId?: string | undefined
  /** The redirect URI (loopback, with a port); default: the one registered before, else a free port. */
  readonly redirectUri?: string | undefined
  readonly openBrowser?: boolean | undefined
  /** Default: `configDir()`. */
  readonly directory?: string | undefined
  /** How long a person has to sign in (default 5 minutes). */
  readonly signInTimeoutMs?: number | undefined
  readonly log: (line: string) => void
}

export interface OAuthLogin {
  readonly provider: OAuthClientProvider
  readonly file: string
  /**
   * After the SDK said `UnauthorizedError`: waits for the person to finish signing in, then hands
   * the code to `finish` (the transport's `finishAuth`). Fails with a sentence saying what went wrong.
   */
  readonly completeSignIn: (finish: (code: string) => Promise<void>) => Promise<void>
  /** Whether the SDK sent the person to the issuer and the code is awaited. */
  readonly signInStarted: () => boolean
  readonly close: () => void
}

export const makeOAuthLogin = async (options: OAuthLoginOptions): Promise<OAuthLogin> => {
  const server = options.serverUrl.href
  const { file, save: write, stored: first } = await openCredentials(options.directory ?? configDir(), options.serverUrl)
  let stored = first
  const save = async (change: Partial<Stored>) => {
    stored = { ...stored, ...change }
    await write(stored)
  }

  const given = options.redirectUri === undefined ? undefined : new URL(options.redirectUri)
  if (given !== undefined && !isLoopback(given)) {
    throw new Error(`--redirect-uri must be http://127.0.0.1:PORT/… or http://localhost:PORT/… (got ${options.redirectUri})`)
  }
  const registered = clientOf(stored.client)
  const registeredRedirect = registered !== undefined && "redirect_uris" in registered ? registered.redirect_uris[0] : undefined
  const redirect = given ??
    (registeredRedirect !== undefined && isLoopback(new URL(registeredRedirect))
      ? new URL(registeredRedirect)
      : new URL(`http://127.0.0.1:${await freePort()}/callback`))
  // A registration for another redirect URI cannot be used with this one.
  if (options.clientId === undefined && registeredRedirect !== undefined && registeredRedirect !== redirect.href) {
    await save({ client: undefined, tokens: undefined })
  }

  let verifier: string | undefined
  let expectedState: string | undefined
  let listener: Server | undefined
  let code: Promise<string> | undefined

  const stopListening = () => {
    listener?.closeAllConnections()
    listener?.close()
    listener = undefined
  }

  /** The loopback listener for the redirect; resolves with the code, or fails with the issuer's error. */
  const listen = () =>
    new Promise<{ readonly received: Promise<string> }>((started, failedToStart) => {
      const received = new Promise<string>((resolve, reject) => {
        const http = createServer((request, response) => {
          const url = new URL(request.url ?? "/", redirect)
          if (url.pathname !== redirect.pathname) {
            response.writeHead(404).end()
            return
          }
          const state = url.searchParams.get("state")
          if (expectedState !== undefined && state !== expectedState) {
            response.writeHead(400, { "content-type": "text/html; charset=utf-8" }).end(page("This sign-in link is not the one the proxy started."))
            return
          }
          const error = url.searchParams.get("error")
          const value = url.searchParams.get("code")
          if (error !== null || value === null) {
            const description = url.searchParams.get("error_description")
            response.writeHead(400, { "content-type": "text/html; charset=utf-8" }).end(page("Sign-in failed."))
            reject(new Error(`the authorization server answered ${error ?? "without a code"}${description === null ? "" : `: ${description}`}`))
            return
          }
          response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page("Signed in to mcp-lambda-sam."))
          resolve(value)
        })
        http.once("error", (error: Error & { code?: string }) =>
          failedToStart(new Error(
            error.code === "EADDRINUSE"
              ? `cannot receive the sign-in redirect: ${redirect.host} is in use (give another --redirect-uri)`
              : `cannot receive the sign-in redirect on ${redirect.host}: ${error.message}`
          )))
        http.listen(Number(redirect.port), "127.0.0.1", () => {
          listener = http
          started({ received })
        })
      })
      received.catch(() => undefined)
    })

  const provider: OAuthClientProvider = {
    get redirectUrl() {
      return redirect.href
    },
    get clientMetadata() {
      const metadata: OAuthClientMetadata & { readonly application_type: string } = {
        client_name: "mcp-lambda-sam proxy",
        redirect_uris: [redirect.href],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
        // A loopback redirect is a native app's (RFC 8252).
        application_type: "native"
      }
      return metadata
    },
    state: () => {
      expectedState = randomBytes(16).toString("base64url")
      return expectedState
    },
    clientInformation: () =>
      options.clientId === undefined ? clientOf(stored.client) : { ...clientOf(stored.client), client_id: options.clientId },
    saveClientInformation: (client) => save({ client }),
    tokens: () => tokensOf(stored.tokens),
    saveTokens: (tokens) => save({ tokens }),
    redirectToAuthorization: async (authorizationUrl) => {
      stopListening()
      code = (await listen()).received
      options.log(`Sign in to reach ${server}: open ${authorizationUrl.href}`)
      options.log(`(waiting for the browser to come back to ${redirect.href})`)
      if (options.openBrowser === true) openInBrowser(authorizationUrl.href)
    },
    saveCodeVerifier: (value) => {
      verifier = value
    },
    codeVerifier: () => {
      if (verifier === undefined) throw new Error("no sign-in was started")
      return verifier
    },
    invalidateCredentials: async (scope) => {
      if (scope === "verifier") verifier = undefined
      if (scope === "all" || scope === "client") await save({ client: undefined, tokens: undefined })
      if (scope === "tokens") await save({ tokens: undefined })
    }
  }

  const timeoutMs = options.signInTimeoutMs ?? 300_000
  /** Ends a sign-in still waited for: the proxy is closing (its client went away). */
  let abandon: ((reason: Error) => void) | undefined
  const completeSignIn = async (finish: (code: string) => Promise<void>) => {
    const waiting = code
    code = undefined
    if (waiting === undefined) throw new Error(`${server} refused the token and no sign-in was started`)
    let timer: NodeJS.Timeout | undefined
    try {
      const received = await Promise.race([
        waiting,
        new Promise<never>((_, reject) => {
          abandon = reject
          timer = setTimeout(() => reject(new Error(`no sign-in within ${timeoutMs / 1000} s`)), timeoutMs)
        })
      ])
      await finish(received)
      options.log(`Signed in; tokens kept in ${file}`)
    } catch (error) {
      throw new SignInFailed(`Signing in to ${server} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    } finally {
      abandon = undefined
      clearTimeout(timer)
      stopListening()
    }
  }

  const close = () => {
    abandon?.(new Error("the proxy is closing"))
    stopListening()
  }

  return { provider, file, completeSignIn, signInStarted: () => code !== undefined, close }
}

/** Whether an error means a person must sign in first (the SDK sent them to the issuer). */
export const needsSignIn = (login: OAuthLogin | undefined, error: unknown): login is OAuthLogin =>
  login !== undefined && error instanceof UnauthorizedError && login.signInStarted()

/**
 * `fetch` with the login's bearer token, for the proxy's stateless (2026-07-28) requests: a 401
 * runs the SDK's `auth` (refresh, or a sign-in to wait for), then the request again.
 */
export const oauthFetch = (login: OAuthLogin, serverUrl: URL, next: FetchLike): FetchLike => {
  const withToken = withOAuth(login.provider, serverUrl)(next)
  return async (url, init) => {
    try {
      return await withToken(url, init)
    } catch (error) {
      if (!needsSignIn(login, error)) throw error
      await login.completeSignIn(async (code) => {
        const result = await auth(login.provider, { serverUrl, authorizationCode: code, fetchFn: next })
        if (result !== "AUTHORIZED") throw new Error("the authorization server did not issue a token")
      })
      return withToken(url, init)
    }
  }
}
