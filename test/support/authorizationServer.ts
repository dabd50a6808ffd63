/**
 * A real OAuth 2.1 / OpenID Connect authorization server on loopback (`oidc-provider`), for the
 * resource-server tests: client credentials, authorization code with PKCE for clients that
 * register themselves (RFC 7591) and sign in on its development pages, RFC 8707 resource
 * indicators (JWT access tokens for one audience, opaque ones for another resource), and
 * introspection. The signing key is
 * generated here, so tests can also sign tokens of their own with the issuer's key.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose"
import Provider, { errors } from "oidc-provider"

export const AUDIENCE = "mcp-test-api"
export const TOOLS_SCOPE = "mcp:tools"
/** A resource whose tokens are opaque (introspection only). */
export const OPAQUE_RESOURCE = "urn:mcp-test:opaque"

export const CLIENT = { id: "mcp-client", secret: "mcp-client-secret-0123456789" }
/** The resource server's own credentials, for introspection. */
export const RESOURCE_SERVER = { id: "mcp-server", secret: "mcp-server-secret-0123456789" }

export interface AuthorizationServer {
  readonly issuer: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
  readonly kid: string
  /** The resources (the MCP server's identifiers) the SDK may ask tokens for; set once the MCP server listens. */
  expectResource: (...resources: ReadonlyArray<string>) => void
  /** Resources asked for so far. */
  readonly resourcesAsked: Array<string>
  readonly close: () => Promise<void>
}

export const startAuthorizationServer = async (): Promise<AuthorizationServer> => {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end()
  const server = createServer((request, response) => handler(request, response))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const kid = "test-key-1"
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true })
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" }
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }

  let expected: ReadonlyArray<string> = []
  const resourcesAsked: Array<string> = []
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        scope: TOOLS_SCOPE
      },
      {
        client_id: RESOURCE_SERVER.id,
        client_secret: RESOURCE_SERVER.secret,
        grant_types: [],
        redirect_uris: [],
        response_types: []
      }
    ],
    jwks: { keys: [privateJwk] },
    scopes: ["openid", TOOLS_SCOPE],
    ttl: { ClientCredentials: 300, AccessToken: 300, Interaction: 300, Session: 600, Grant: 600, RefreshToken: 600 },
    // A client allowed the refresh_token grant gets a refresh token (without asking for the
    // OIDC-only offline_access scope, as plain OAuth 2.1 issuers do).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed: (grant: string) => boolean }) => client.grantTypeAllowed("refresh_token"),
    // Whoever signs in on the development pages is an account of that name.
    findAccount: async (_ctx: unknown, accountId: string) => ({ accountId, claims: async () => ({ sub: accountId }) }),
    features: {
      // The built-in login and consent pages (any login, any password), and open client
      // registration: what an interactive MCP client registers itself with.
      devInteractions: { enabled: true },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          resourcesAsked.push(resource)
          if (resource === OPAQUE_RESOURCE) {
            return { scope: TOOLS_SCOPE, audience: AUDIENCE, accessTokenTTL: 300, accessTokenFormat: "opaque" }
          }
          if (!expected.includes(resource)) throw new errors.InvalidTarget()
          return { scope: TOOLS_SCOPE, audience: AUDIENCE, accessTokenTTL: 300, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }
        }
      }
    }
  })
  handler = provider.callback()
  return {
    issuer,
    privateKey,
    publicJwk,
    kid,
    expectResource: (...resources) => {
      expected = resources
    },
    resourcesAsked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** A token from the token endpoint by client credentials (what the SDK does, by hand). */
export const clientCredentialsToken = async (issuer: string, resource: string, scope = TOOLS_SCOPE) => {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }).toString()
  })
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string }
  if (body.access_token === undefined) throw new Error(`token endpoint: ${body.error} ${body.error_description}`)
  return body.access_token
}

/**
 * What a person does in the browser, scripted: follows the authorization URL through the
 * server's sign-in and consent pages (cookies kept) to the redirect, and returns the code.
 */
export const signInAndConsent = async (authorizationUrl: URL, redirectUri: string, login = "alice") => {
  const redirect = await signInUntilRedirect(authorizationUrl, redirectUri, login)
  const code = redirect.searchParams.get("code")
  if (code === null) throw new Error(`no code in the redirect: ${redirect.href}`)
  return code
}

/** The same, returning where the browser is sent back to (the redirect URI with code and state). */
export const signInUntilRedirect = async (authorizationUrl: URL, redirectUri: string, login = "alice"): Promise<URL> => {
  const cookies = new Map<string, string>()
  const request = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") }
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";")
      const at = pair!.indexOf("=")
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    return response
  }
  let url = authorizationUrl.href
  for (let step = 0; step < 20; step++) {
    const response = await request(url)
    const location = response.headers.get("location")
    if (location !== null) {
      const next = new URL(location, url).href
      if (next.startsWith(redirectUri)) return new URL(next)
      url = next
      continue
    }
    const page = await response.text()
    // A page of the interaction: sign in, or consent; each answer redirects onwards.
    const prompt = page.includes('name="login"') ? "login" : "consent"
    const body = new URLSearchParams(prompt === "login" ? { prompt, login, password: "any" } : { prompt })
    const submitted = await request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString()
    })
    const after = submitted.headers.get("location")
    if (after === null) throw new Error(`the ${prompt} page did not redirect (${submitted.status}): ${await submitted.text()}`)
    url = new URL(after, url).href
  }
  throw new Error("too many redirects")
}
