/**
 * OAuth 2.1 resource-server mode, end to end: a real authorization server on loopback
 * (`oidc-provider`), the dev server with `--auth oauth`, and the official SDK client's OAuth
 * support (client credentials) doing discovery from the 401, getting a token, and calling.
 * Then hand-made tokens signed with the issuer's own key but wrong in one way each, and the
 * ones an attacker would try (`alg: none`, HS256 keyed with the public key): each is a 401,
 * and the log holds the reason, never the token.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js"
import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js"
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { HttpServer } from "@effect/platform"
import { Effect, HashMap, Layer, Logger, ManagedRuntime, Redacted } from "effect"
import { base64url, type CryptoKey, exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { devServer } from "../../src/hosts/Node.js"
import type { OAuthSettings } from "../../src/http/Authentication.js"
import {
  AUDIENCE,
  type AuthorizationServer,
  CLIENT,
  clientCredentialsToken,
  OPAQUE_RESOURCE,
  RESOURCE_SERVER,
  signInAndConsent,
  startAuthorizationServer,
  TOOLS_SCOPE
} from "../support/authorizationServer.js"
import { EXAMPLE_FUNCTIONS, EXAMPLE_SEED } from "../support/servers.js"

interface OAuthServer {
  readonly url: string
  readonly logs: Array<string>
  readonly close: () => Promise<void>
}

/** The dev server in OAuth mode on a free port; every log line is kept as JSON. */
const startOAuthServer = async (settings: OAuthSettings): Promise<OAuthServer> => {
  const logs: Array<string> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    logs.push(JSON.stringify({ level: logLevel.label, message, annotations: Object.fromEntries(HashMap.toEntries(annotations)) }))
  })
  const runtime = ManagedRuntime.make(
    devServer({
      port: 0,
      host: "127.0.0.1",
      functionsDir: EXAMPLE_FUNCTIONS,
      seedFile: EXAMPLE_SEED,
      banner: false,
      auth: { kind: "oauth", ...settings }
    }).pipe(Layer.provide(Logger.replace(Logger.defaultLogger, logger)))
  )
  const port = await runtime.runPromise(HttpServer.addressWith((address) => Effect.succeed(address._tag === "TcpAddress" ? address.port : 0)))
  return { url: `http://127.0.0.1:${port}`, logs, close: () => runtime.dispose() }
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
}
const postMcp = (server: OAuthServer, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify(initialize)
  })

let issuer: AuthorizationServer
let server: OAuthServer

beforeAll(async () => {
  issuer = await startAuthorizationServer()
  server = await startOAuthServer({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    requiredScopes: [TOOLS_SCOPE],
    introspection: { url: `${issuer.issuer}/token/introspection`, clientId: RESOURCE_SERVER.id, clientSecret: Redacted.make(RESOURCE_SERVER.secret) }
  })
  // The /mcp endpoint's identifier, and the origin's (the legacy SSE pair).
  issuer.expectResource(`${server.url}/mcp`, server.url)
}, 30_000)

afterAll(async () => {
  await server?.close()
  await issuer?.close()
})

describe("OAuth resource server: discovery", () => {
  it("answers 401 with a challenge that points to the Protected Resource Metadata", async () => {
    const response = await postMcp(server)
    expect(response.status).toBe(401)
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer scope="${TOOLS_SCOPE}", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`
    )
    // The legacy pair points to the origin's document.
    const legacy = await fetch(`${server.url}/sse`, { headers: { accept: "text/event-stream" } })
    expect(legacy.status).toBe(401)
    expect(legacy.headers.get("www-authenticate")).toContain(`resource_metadata="${server.url}/.well-known/oauth-protected-resource"`)
  })

  it("serves RFC 9728 metadata at the path-suffixed and the root well-known URLs, unauthenticated", async () => {
    const suffixed = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)
    expect(suffixed.status).toBe(200)
    expect(await suffixed.json()).toEqual({
      resource: `${server.url}/mcp`,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ["header"],
      scopes_supported: [TOOLS_SCOPE],
      resource_name: "mcp-lambda-sam"
    })
    const root = await fetch(`${server.url}/.well-known/oauth-protected-resource`)
    expect(((await root.json()) as { resource: string }).resource).toBe(server.url)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })
})

describe("OAuth resource server: the SDK client", () => {
  it("discovers the issuer from the 401, gets a token by client credentials, lists and calls tools", async () => {
    // A client-credentials client asks for the scopes it is configured with (the SDK's choice).
    const authProvider = new ClientCredentialsProvider({
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      expectedIssuer: issuer.issuer,
      scope: TOOLS_SCOPE
    })
    const client = new Client({ name: "oauth-test", version: "1.0.0" })
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider })
    await client.connect(transport)
    try {
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name)).toContain("statistics")
      const result = await client.callTool({ name: "statistics", arguments: { numbers: [3, 1, 2, 10] } })
      expect(result.isError).not.toBe(true)
      expect(JSON.stringify(result.content)).toContain("4")
    } finally {
      await client.close()
    }
    // RFC 8707: the token was asked for this server's resource identifier, from the metadata.
    expect(issuer.resourcesAsked).toContain(`${server.url}/mcp`)
    expect(authProvider.tokens()?.access_token).toMatch(/^ey/)
    // The audit line names the token's principal: issuer and subject (the client, for client credentials).
    expect(server.logs.some((line) => line.includes("function.invoke") && line.includes(`${issuer.issuer}#${CLIENT.id}`))).toBe(true)
  }, 30_000)

  it("authorization code with PKCE: the client registers itself, a person signs in and consents, then it calls", async () => {
    const redirectUri = "http://127.0.0.1:1/callback"
    let authorizationUrl: URL | undefined
    const saved: { client?: OAuthClientInformationMixed; tokens?: OAuthTokens; verifier?: string } = {}
    const authProvider: OAuthClientProvider = {
      redirectUrl: redirectUri,
      clientMetadata: {
        client_name: "interactive test client",
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
        // A loopback redirect is a native app's (RFC 8252).
        application_type: "native"
      } as OAuthClientMetadata,
      clientInformation: () => saved.client,
      saveClientInformation: (client) => {
        saved.client = client
      },
      tokens: () => saved.tokens,
      saveTokens: (tokens) => {
        saved.tokens = tokens
      },
      redirectToAuthorization: (url) => {
        authorizationUrl = url
      },
      saveCodeVerifier: (verifier) => {
        saved.verifier = verifier
      },
      codeVerifier: () => saved.verifier!
    }
    const url = new URL(`${server.url}/mcp`)
    const first = new StreamableHTTPClientTransport(url, { authProvider })
    await expect(new Client({ name: "interactive", version: "1.0.0" }).connect(first)).rejects.toThrow(UnauthorizedError)
    // The SDK registered itself and sent the person to the issuer, for this server's resource.
    expect(saved.client?.client_id).toBeDefined()
    expect(authorizationUrl!.origin).toBe(issuer.issuer)
    expect(authorizationUrl!.searchParams.get("resource")).toBe(`${server.url}/mcp`)
    expect(authorizationUrl!.searchParams.get("code_challenge_method")).toBe("S256")
    const code = await signInAndConsent(authorizationUrl!, redirectUri, "carol")
    await first.finishAuth(code)

    const client = new Client({ name: "interactive", version: "1.0.0" })
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider }))
    try {
      const result = await client.callTool({ name: "statistics", arguments: { numbers: [5, 7] } })
      expect(result.isError).not.toBe(true)
    } finally {
      await client.close()
    }
    // The person is the principal.
    expect(server.logs.some((line) => line.includes("function.invoke") && line.includes(`${issuer.issuer}#carol`))).toBe(true)
  }, 30_000)

  it("does the same over the legacy SSE transport, with the origin's metadata", async () => {
    const authProvider = new ClientCredentialsProvider({
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      expectedIssuer: issuer.issuer,
      scope: TOOLS_SCOPE
    })
    const client = new Client({ name: "oauth-sse-test", version: "1.0.0" })
    await client.connect(new SSEClientTransport(new URL(`${server.url}/sse`), { authProvider }))
    try {
      const result = await client.callTool({ name: "statistics", arguments: { numbers: [1, 2, 3] } })
      expect(result.isError).not.toBe(true)
    } finally {
      await client.close()
    }
    expect(issuer.resourcesAsked).toContain(server.url)
  }, 30_000)

  it("binds sessions to iss + sub: another subject's token cannot use the session", async () => {
    const token = await clientCredentialsToken(issuer.issuer, `${server.url}/mcp`)
    const opened = await postMcp(server, { authorization: `Bearer ${token}` })
    expect(opened.status).toBe(200)
    const sessionId = opened.headers.get("mcp-session-id")!
    const other = await sign({ sub: "someone-else" })
    const ping = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-11-25",
        authorization: `Bearer ${other}`
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" })
    })
    expect(ping.status).toBe(404)
  })

  it("accepts an opaque token through the issuer's introspection endpoint", async () => {
    const opaque = await clientCredentialsToken(issuer.issuer, OPAQUE_RESOURCE)
    expect(opaque).not.toMatch(/\./)
    expect((await postMcp(server, { authorization: `Bearer ${opaque}` })).status).toBe(200)
    expect((await postMcp(server, { authorization: `Bearer ${opaque}x` })).status).toBe(401)
  })
})

/** A token signed with the issuer's own key: valid unless `claims` or `header` say otherwise. */
const sign = async (claims: Record<string, unknown> = {}, options: { key?: CryptoKey | Uint8Array; header?: Record<string, unknown> } = {}) => {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iss: issuer.issuer, aud: AUDIENCE, sub: "alice", scope: TOOLS_SCOPE, iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: issuer.kid, ...options.header })
    .sign(options.key ?? issuer.privateKey)
}

describe("OAuth resource server: tokens that must not pass", () => {
  it("accepts a well-made token (the control)", async () => {
    expect((await postMcp(server, { authorization: `Bearer ${await sign()}` })).status).toBe(200)
  })

  const cases: ReadonlyArray<[string, () => Promise<string>, RegExp]> = [
    ["expired", () => sign({ exp: Math.floor(Date.now() / 1000) - 300 }), /ERR_JWT_EXPIRED/],
    ["not yet valid", () => sign({ nbf: Math.floor(Date.now() / 1000) + 300 }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*nbf/],
    ["for another audience", () => sign({ aud: "another-api" }), /not for audience/],
    ["from another issuer", () => sign({ iss: "https://attacker.example" }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/],
    ["an ID token (token_use id)", () => sign({ token_use: "id" }), /ID token/],
    ["without sub", () => sign({ sub: undefined }), /sub/],
    [
      "signed by an unknown key",
      async () => {
        const { privateKey } = await generateKeyPair("RS256")
        return sign({}, { key: privateKey, header: { kid: "unknown-kid" } })
      },
      /ERR_JWKS_NO_MATCHING_KEY/
    ],
    [
      "signed by an unknown key under the issuer's kid",
      async () => {
        const { privateKey } = await generateKeyPair("RS256")
        return sign({}, { key: privateKey })
      },
      /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/
    ],
    [
      "alg none",
      async () => {
        const now = Math.floor(Date.now() / 1000)
        const part = (value: unknown) => base64url.encode(JSON.stringify(value))
        return `${part({ alg: "none", typ: "JWT" })}.${part({ iss: issuer.issuer, aud: AUDIENCE, sub: "alice", scope: TOOLS_SCOPE, exp: now + 300 })}.`
      },
      /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/
    ],
    [
      "HS256 keyed with the issuer's public key",
      async () => {
        const pem = await exportSPKI((await importJWK(issuer.publicJwk, "RS256")) as CryptoKey)
        return sign({}, { key: new TextEncoder().encode(pem), header: { alg: "HS256" } })
      },
      /ERR_JOSE_ALG_NOT_ALLOWED/
    ],
    ["not a JWT and not known to introspection", async () => "opaque-garbage-token", /introspection: the token is not active/]
  ]

  for (const [name, make, reason] of cases) {
    it(`${name}: 401 invalid_token, the reason logged and the token not`, async () => {
      const token = await make()
      const before = server.logs.length
      const response = await postMcp(server, { authorization: `Bearer ${token}` })
      expect(response.status).toBe(401)
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token", scope="mcp:tools", resource_metadata="/)
      expect(await response.text()).not.toContain(token)
      const lines = server.logs.slice(before)
      const refused = lines.filter((line) => line.includes("Bearer token refused"))
      expect(refused).toHaveLength(1)
      expect(JSON.parse(refused[0]!).annotations.reason).toMatch(reason)
      for (const line of lines) {
        expect(line).not.toContain(token)
        expect(line).not.toContain(token.split(".")[2] || token)
      }
    })
  }

  it("a valid token without the required scope: 403 insufficient_scope with the scope to ask for", async () => {
    const response = await postMcp(server, { authorization: `Bearer ${await sign({ scope: "openid" })}` })
    expect(response.status).toBe(403)
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer error="insufficient_scope", scope="${TOOLS_SCOPE}", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`
    )
  })

  it("a token in the query string or another scheme is no bearer token", async () => {
    const token = await sign()
    const inQuery = await fetch(`${server.url}/mcp?access_token=${token}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(initialize)
    })
    expect(inQuery.status).toBe(401)
    expect((await postMcp(server, { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` })).status).toBe(401)
  })
})
