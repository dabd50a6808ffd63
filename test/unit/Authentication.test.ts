/**
 * Who may call the MCP API, off the network where possible: the IAM authenticator refuses a
 * request without caller identity (a Function URL made public without saying so), `NONE`
 * admits it as `anonymous`, `MCP_AUTH` and the `OAUTH_*` settings are checked when the layer is
 * built; and the jose verifier against a minimal issuer of our own: key rotation (a new `kid`
 * is fetched at once), RFC 8414 discovery for an issuer with a path, metadata that names another
 * issuer (refused, and not remembered: the next token discovers again), an issuer that is down.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Exit, Option } from "effect"
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose"
import { Authenticator, layerConfig, makeOAuth, requireIdentity } from "../../src/http/Authentication.js"
import { json } from "../../src/http/Errors.js"
import { ANONYMOUS } from "../../src/http/FunctionUrl.js"
import { Caller } from "../../src/http/HostContext.js"
import * as JoseTokenVerifier from "../../src/layers/JoseTokenVerifier.js"
import { webHandler } from "../support/servers.js"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"

const ALICE = "arn:aws:iam::123456789012:user/alice"

describe("IAM authenticator (MCP_AUTH=IAM)", () => {
  let app: ReturnType<typeof webHandler> | undefined
  afterEach(async () => {
    await app?.dispose()
    app = undefined
  })

  const initialize = () =>
    new Request("http://local/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      })
    })

  it("refuses a request without caller identity (403, as an AWS_IAM URL would) and admits an IAM principal", async () => {
    app = webHandler()
    const refused = await app.fetch(initialize(), ANONYMOUS)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { message: string }).message).toContain("MCP_AUTH")
    expect((await app.fetch(new Request("http://local/health"), ANONYMOUS)).status).toBe(200)
    expect((await app.fetch(initialize(), ALICE)).status).toBe(200)
    // No metadata in IAM mode: the well-known path is an ordinary unknown path.
    expect((await app.fetch(new Request("http://local/.well-known/oauth-protected-resource"), ALICE)).status).toBe(404)
  })

  it.effect("the Registration function's guard refuses an anonymous caller and passes others through", () =>
    Effect.gen(function* () {
      const guarded = requireIdentity(Effect.succeed(json({ ok: true }))).pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request("http://local/register")))
      )
      const anonymous = yield* Effect.provideService(guarded, Caller, { principal: ANONYMOUS })
      expect(anonymous.status).toBe(403)
      const alice = yield* Effect.provideService(guarded, Caller, { principal: ALICE })
      expect(alice.status).toBe(200)
    }))
})

describe("OAuth authenticator behind a custom domain (OAUTH_RESOURCE_ORIGIN)", () => {
  const authenticator = makeOAuth(
    { verify: () => Effect.die("not called") },
    { issuer: "https://issuer.example", resourceOrigin: "https://mcp.example.com" }
  )
  const at = (url: string, headers: Record<string, string> = {}) => HttpServerRequest.fromWeb(new Request(url, { headers }))

  it("names the public origin in the metadata and the challenge, not the Function URL's", async () => {
    const metadata = authenticator.metadata(at("https://abc.lambda-url.eu-west-1.on.aws/.well-known/oauth-protected-resource/mcp"))
    expect(await HttpServerResponse.toWeb(Option.getOrThrow(metadata)).json()).toMatchObject({ resource: "https://mcp.example.com/mcp" })
    const refused = await Effect.runPromise(
      Effect.flip(authenticator.authenticate(at("https://abc.lambda-url.eu-west-1.on.aws/mcp"))).pipe(
        Effect.provideService(Caller, { principal: ANONYMOUS })
      )
    )
    expect(refused.headers?.["www-authenticate"]).toBe(
      `Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`
    )
  })
})

describe("MCP_AUTH from the environment", () => {
  const build = (settings: Record<string, string>) =>
    Effect.gen(function* () {
      const authenticator = yield* Authenticator
      // An anonymous host caller, a request without a token.
      return yield* authenticator.authenticate(HttpServerRequest.fromWeb(new Request("http://local/mcp", { method: "POST" }))).pipe(
        Effect.provideService(Caller, { principal: ANONYMOUS }),
        Effect.either
      )
    }).pipe(
      Effect.provide(layerConfig),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings)))),
      Effect.exit
    )

  it.effect("IAM by default: an anonymous caller is refused", () =>
    Effect.gen(function* () {
      const exit = yield* build({})
      expect(Exit.isSuccess(exit) && Either.isLeft(exit.value)).toBe(true)
    }))

  it.effect("NONE: everyone is anonymous", () =>
    Effect.gen(function* () {
      const exit = yield* build({ MCP_AUTH: "NONE" })
      expect(exit).toEqual(Exit.succeed(Either.right({ principal: ANONYMOUS })))
    }))

  it.effect("OAUTH needs an http(s) issuer and an audience; scopes are scope tokens; anything else is no mode", () =>
    Effect.gen(function* () {
      const ok = { MCP_AUTH: "OAUTH", OAUTH_ISSUER: "https://issuer.example", OAUTH_AUDIENCE: "api" }
      const built = yield* build(ok)
      // Built without a network call; a request without a token is refused with a challenge.
      expect(Exit.isSuccess(built) && Either.isLeft(built.value) && built.value.left.status).toBe(401)
      expect(Exit.isFailure(yield* build({ ...ok, OAUTH_AUDIENCE: "" }))).toBe(true)
      expect(Exit.isFailure(yield* build({ MCP_AUTH: "OAUTH", OAUTH_AUDIENCE: "api" }))).toBe(true)
      expect(Exit.isFailure(yield* build({ ...ok, OAUTH_ISSUER: "ftp://issuer.example" }))).toBe(true)
      expect(Exit.isFailure(yield* build({ ...ok, OAUTH_REQUIRED_SCOPE: "tools \"x\"" }))).toBe(true)
      // Introspection needs the server's own credentials.
      expect(Exit.isFailure(yield* build({ ...ok, OAUTH_INTROSPECTION_URL: "https://issuer.example/introspect" }))).toBe(true)
      expect(Exit.isFailure(yield* build({ MCP_AUTH: "PUBLIC" }))).toBe(true)
      expect(Exit.isFailure(yield* build({ ...ok, OAUTH_RESOURCE_ORIGIN: "mcp.example.com" }))).toBe(true)
      expect(Exit.isSuccess(yield* build({ ...ok, OAUTH_RESOURCE_ORIGIN: "https://mcp.example.com/" }))).toBe(true)
    }))
})

/** A minimal issuer: metadata at a configurable path, a key set that can change, and counts. */
const startIssuer = async (path = "") => {
  const state = {
    keys: [] as Array<JWK>,
    metadataIssuer: undefined as string | undefined,
    jwksFetches: 0,
    metadataFetches: 0
  }
  const server: Server = createServer((request, response) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const issuer = `${origin}${path}`
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" })
      response.end(JSON.stringify(body))
    }
    if (request.url === `/.well-known/oauth-authorization-server${path}`) {
      state.metadataFetches++
      return send(200, { issuer: state.metadataIssuer ?? issuer, jwks_uri: `${origin}/keys` })
    }
    if (request.url === "/keys") {
      state.jwksFetches++
      return send(200, { keys: state.keys })
    }
    send(404, {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
  return { issuer, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const newKey = async (kid: string) => {
  const { privateKey, publicKey } = await generateKeyPair("ES256")
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } }
}

const token = (issuer: string, key: { kid: string; privateKey: CryptoKey }) =>
  new SignJWT({ scope: "a b" })
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .setIssuer(issuer)
    .setAudience("api")
    .setSubject("alice")
    .setExpirationTime("5m")
    .sign(key.privateKey)

describe("jose verifier", () => {
  it("fetches the key set again when a token names a kid it does not hold (rotation)", async () => {
    const issuer = await startIssuer("/tenant-1")
    try {
      const first = await newKey("k1")
      issuer.state.keys = [first.jwk]
      const verifier = await Effect.runPromise(JoseTokenVerifier.make({ issuer: issuer.issuer, audience: "api", jwksCooldownMillis: 0 }))
      // RFC 8414 discovery, the path after the well-known suffix.
      expect(await Effect.runPromise(verifier.verify(await token(issuer.issuer, first)))).toEqual({
        issuer: issuer.issuer,
        subject: "alice",
        scopes: ["a", "b"],
        clientId: undefined
      })
      expect(await Effect.runPromise(verifier.verify(await token(issuer.issuer, first)))).toMatchObject({ subject: "alice" })
      expect(issuer.state.jwksFetches).toBe(1)
      const second = await newKey("k2")
      issuer.state.keys = [first.jwk, second.jwk]
      expect(await Effect.runPromise(verifier.verify(await token(issuer.issuer, second)))).toMatchObject({ subject: "alice" })
      expect(issuer.state.jwksFetches).toBe(2)
      expect(issuer.state.metadataFetches).toBe(1)
    } finally {
      await issuer.close()
    }
  })

  it("refuses metadata that names another issuer, and discovers again with the next token", async () => {
    const issuer = await startIssuer()
    try {
      const key = await newKey("k1")
      issuer.state.keys = [key.jwk]
      issuer.state.metadataIssuer = "https://impostor.example"
      const verifier = await Effect.runPromise(JoseTokenVerifier.make({ issuer: issuer.issuer, audience: ["other", "api"] }))
      const refused = await Effect.runPromise(Effect.flip(verifier.verify(await token(issuer.issuer, key))))
      expect(refused._tag).toBe("IssuerUnavailable")
      expect(refused.reason).toContain("impostor")
      issuer.state.metadataIssuer = undefined
      expect(await Effect.runPromise(verifier.verify(await token(issuer.issuer, key)))).toMatchObject({ subject: "alice" })
    } finally {
      await issuer.close()
    }
  })

  it("an issuer that cannot be reached is IssuerUnavailable (503), not the token's fault", async () => {
    const issuer = await startIssuer()
    const key = await newKey("k1")
    const signed = await token(issuer.issuer, key)
    await issuer.close()
    const verifier = await Effect.runPromise(JoseTokenVerifier.make({ issuer: issuer.issuer, audience: "api" }))
    const error = await Effect.runPromise(Effect.flip(verifier.verify(signed)))
    expect(error._tag).toBe("IssuerUnavailable")
  })

  it("a Cognito-style access token (no aud) is for the audience its client_id names", async () => {
    const issuer = await startIssuer()
    try {
      const key = await newKey("k1")
      issuer.state.keys = [key.jwk]
      const verifier = await Effect.runPromise(JoseTokenVerifier.make({ issuer: issuer.issuer, audience: ["app-client-1", "app-client-2"] }))
      const sign = (claims: Record<string, unknown>) =>
        new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(issuer.issuer).setSubject("bob")
          .setExpirationTime("5m").sign(key.privateKey)
      expect(await Effect.runPromise(verifier.verify(await sign({ client_id: "app-client-2", token_use: "access", scope: "mcp/tools" }))))
        .toMatchObject({ subject: "bob", clientId: "app-client-2", scopes: ["mcp/tools"] })
      const other = await Effect.runPromise(Effect.flip(verifier.verify(await sign({ client_id: "someone-else", token_use: "access" }))))
      expect(other).toMatchObject({ _tag: "InvalidToken" })
      // An ID token's aud is the app client: refused all the same.
      const id = await Effect.runPromise(Effect.flip(verifier.verify(await sign({ aud: "app-client-1", token_use: "id" }))))
      expect(id).toMatchObject({ _tag: "InvalidToken", reason: "an ID token is not an access token" })
    } finally {
      await issuer.close()
    }
  })
})

