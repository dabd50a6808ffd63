/**
 * The MCP Lambda handler in OAUTH mode (what `McpAuth=OAUTH` deploys: a Function URL with
 * AuthType NONE, so events carry no IAM caller), under lambda-local on DynamoDB Local and moto,
 * against a real authorization server on loopback. The function reads MCP_AUTH and OAUTH_* from
 * its environment and checks every request's bearer token; the Registration handler stays IAM
 * and refuses an event without caller identity.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { createTables } from "../../src/layers/Tables.js"
import {
  AUDIENCE,
  type AuthorizationServer,
  clientCredentialsToken,
  startAuthorizationServer,
  TOOLS_SCOPE
} from "../support/authorizationServer.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { readJson } from "../support/json.js"
import { createFunction, credentials } from "../support/moto.js"

const dynamodb = inject("dynamodbEndpoint")
const moto = inject("motoEndpoint")

const ALICE = "arn:aws:iam::123456789012:user/alice"

describe.skipIf(dynamodb === "" || moto === "")("MCP handler with MCP_AUTH=OAUTH (lambda-local)", () => {
  let issuer: AuthorizationServer
  let mcp: FunctionUrl
  let registration: FunctionUrl

  beforeAll(async () => {
    issuer = await startAuthorizationServer()
    const names = freshTableNames()
    await Effect.runPromise(createTables(names).pipe(Effect.provide(clientLayer(dynamodb))))
    const echoArn = await createFunction(moto, "echo")
    setHandlerEnvironment({ tables: names, dynamodb, lambda: moto }, {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      MCP_AUTH: "OAUTH",
      OAUTH_ISSUER: issuer.issuer,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_REQUIRED_SCOPE: TOOLS_SCOPE
    })
    mcp = await serveFunction((await import("../../src/handlers/mcp.js")).handler, { timeoutMs: 60_000 })
    registration = await serveFunction((await import("../../src/handlers/registration.js")).handler, { timeoutMs: 30_000 })
    const created = await fetch(`${registration.url}/register`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-principal": ALICE },
      body: JSON.stringify({ type: "tool", name: "echo", description: "Echoes", lambdaArn: echoArn, parameters: { text: "string" } })
    })
    expect(created.status).toBe(201)
  }, 60_000)

  afterAll(async () => {
    await mcp?.close()
    await registration?.close()
    await issuer?.close()
  })

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${mcp.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(body)
    })
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
  }

  it("discovery from the 401, a token for the advertised resource, then a session, tools/list and tools/call", async () => {
    const challenged = await post(initialize)
    expect(challenged.status).toBe(401)
    const challenge = challenged.headers.get("www-authenticate")!
    // The Function URL's own https origin (the event's domainName), path-suffixed for /mcp.
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)![1]!
    expect(metadataUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp$/)
    const metadata = await readJson(await fetch(`${mcp.url}${new URL(metadataUrl).pathname}`))
    expect(metadata).toMatchObject({ authorization_servers: [issuer.issuer], scopes_supported: [TOOLS_SCOPE] })
    issuer.expectResource(metadata.resource)
    const token = await clientCredentialsToken(metadata.authorization_servers[0], metadata.resource)
    const bearer = { authorization: `Bearer ${token}` }

    const opened = await post(initialize, bearer)
    expect(opened.status).toBe(200)
    const session = { ...bearer, "mcp-session-id": opened.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" }
    expect((await post({ jsonrpc: "2.0", method: "notifications/initialized" }, session)).status).toBe(202)
    const listed = await readJson(await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, session))
    expect(listed.result.tools.map((tool: { name: string }) => tool.name)).toEqual(["echo"])
    const called = await readJson(await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } }, session))
    // The function sees the token's principal: issuer and subject (the client, for client credentials).
    expect(called.result.structuredContent.extra.principal).toMatch(new RegExp(`^${issuer.issuer.replace(/[.]/g, "\\.")}#`))
    // The same session without the token is a 401, not a 404: nothing about it leaks.
    const { authorization: _, ...withoutToken } = session
    expect((await post({ jsonrpc: "2.0", id: 4, method: "ping" }, withoutToken)).status).toBe(401)
  }, 60_000)

  it("the Registration handler stays IAM: an event without caller identity is a 403", async () => {
    const response = await fetch(`${registration.url}/register`)
    expect(response.status).toBe(403)
    expect((await fetch(`${registration.url}/register`, { headers: { "x-test-principal": ALICE } })).status).toBe(200)
  })
})
