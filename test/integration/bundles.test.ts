/**
 * The Lambda bundles as they ship (`dist/lambda/<fn>/`, built by `npm run build` before the
 * suite): the other handler suites run the TypeScript sources, so a break that only the bundler
 * makes — a chunk loaded with `import()` whose exports come out another shape, a package whose
 * ES module build differs from its CommonJS one — shows only here. Each bundle is copied to a
 * directory of its own (a build running meanwhile cannot pull it away), imported, and served by
 * lambda-local behind a Function URL stand-in, on DynamoDB Local, its functions behind a
 * loopback stand-in of Lambda's Invoke API. The requests reach every chunk loaded on first use:
 * the Lambda client (`tools/call`), the JSON Schema checks (arguments, registrations) and RE2
 * (a resource template), and jose (a bearer token, with `MCP_AUTH=OAUTH`).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect } from "effect"
import { cpSync, existsSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { createTables } from "../../src/layers/Tables.js"
import { freshTableNames, clientLayer } from "../support/dynamodb.js"
import { AUDIENCE, clientCredentialsToken, startAuthorizationServer } from "../support/authorizationServer.js"
import { arn } from "../support/fixtures.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { readJson } from "../support/json.js"
import { type LambdaInvokeStandIn, serveLambdaInvoke } from "../support/lambdaInvokeStandIn.js"
import { postModern } from "../support/modernRequest.js"
import { answerText } from "../support/sse.js"

const dynamodb = inject("dynamodbEndpoint")
const ALICE = "arn:aws:iam::123456789012:user/alice"

/** A fresh copy of a built bundle's directory; fails, naming the fix, when the build is missing. */
const importBundle = async (name: string) => {
  const built = `dist/lambda/${name}`
  if (!existsSync(`${built}/index.mjs`)) throw new Error(`${built}/index.mjs is missing: run \`npm run build\` first (npm test does)`)
  const copy = mkdtempSync(join(tmpdir(), `bundle-${name}-`))
  // Without the source maps: they name sources the copy does not have.
  cpSync(built, copy, { recursive: true, filter: (file) => !file.endsWith(".map") })
  return { handler: ((await import(join(copy, "index.mjs"))) as { handler: unknown }).handler, files: readdirSync(copy) }
}

const adder = (event: unknown) => {
  const { a, b } = (event as { args: { a: number; b: number } }).args
  return { content: [{ type: "text", text: String(a + b) }] }
}

const notes = (event: unknown) => {
  const { uri, variables } = event as { uri: string; variables: { id: string } }
  return { contents: [{ uri, mimeType: "text/plain", text: `note ${variables.id}` }] }
}

describe.skipIf(dynamodb === "")("the Lambda bundles as built (lambda-local, DynamoDB Local)", () => {
  let lambda: LambdaInvokeStandIn
  let mcp: FunctionUrl
  let registration: FunctionUrl

  beforeAll(async () => {
    const tables = freshTableNames()
    await Effect.runPromise(createTables(tables).pipe(Effect.provide(clientLayer(dynamodb))))
    lambda = await serveLambdaInvoke({ "mcp-tool-adder": adder, "mcp-tool-notes": notes })
    setHandlerEnvironment({ tables, dynamodb, lambda: lambda.endpoint }, {
      INVOKE_MODE: "RESPONSE_STREAM",
      LOG_LEVEL: "ERROR",
      TOOL_FUNCTION_ARNS: "arn:aws:lambda:*:*:function:mcp-tool-*"
    })
    const bundles = { mcp: await importBundle("mcp"), registration: await importBundle("registration") }
    // Code splitting is on: what a request may not need sits in chunks beside index.mjs.
    expect(bundles.mcp.files.filter((file) => file.startsWith("chunk-")).length).toBeGreaterThan(1)
    mcp = await serveFunction(bundles.mcp.handler, { timeoutMs: 60_000 })
    registration = await serveFunction(bundles.registration.handler, { timeoutMs: 30_000 })
  }, 60_000)

  afterAll(async () => {
    await mcp?.close()
    await registration?.close()
    await lambda?.close()
  })

  const register = (body: unknown) =>
    fetch(`${registration.url}/register`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-principal": ALICE },
      body: JSON.stringify(body)
    })

  it("the registration bundle checks schemas and patterns, then stores and lists", async () => {
    const created = await register({
      type: "tool",
      name: "adder",
      description: "Adds two numbers",
      lambdaArn: arn("mcp-tool-adder"),
      inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] }
    })
    expect(created.status).toBe(201)
    const template = await register({ type: "resource", name: "notes", description: "Notes", lambdaArn: arn("mcp-tool-notes"), uriTemplate: "notes://{id}" })
    expect(template.status).toBe(201)
    // Ajv's meta-schema check and RE2 both ran: an exponential pattern is refused, naming the place.
    const refused = await register({
      type: "tool",
      name: "slow",
      description: "A pattern RE2 cannot run",
      lambdaArn: arn("mcp-tool-adder"),
      inputSchema: { type: "object", properties: { s: { type: "string", pattern: "(a)\\1" } } }
    })
    expect(refused.status).toBe(400)
    expect(JSON.stringify(await readJson(refused))).toContain("pattern")
    const outside = await register({ type: "tool", name: "other", description: "Not a tool function", lambdaArn: arn("payroll") })
    expect(outside.status).toBe(400)
    const listed = await readJson(await fetch(`${registration.url}/register`, { headers: { "x-test-principal": ALICE } }))
    expect(listed.items.map((item: { id: string }) => item.id).sort()).toEqual(["resource-notes", "tool-adder"])
  })

  const transports = {
    "Streamable HTTP": () =>
      new StreamableHTTPClientTransport(new URL(`${mcp.url}/mcp`), { requestInit: { headers: { "x-test-principal": ALICE } } }),
    "legacy SSE": () =>
      new SSEClientTransport(new URL(`${mcp.url}/sse`), {
        requestInit: { headers: { "x-test-principal": ALICE } },
        eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, "x-test-principal": ALICE } }) }
      })
  }

  for (const [name, transport] of Object.entries(transports)) {
    it(`the MCP bundle serves the SDK client over ${name}: lists, calls, checks arguments, reads a template`, async () => {
      const client = new Client({ name: "bundle-test", version: "1.0.0" })
      await client.connect(transport())
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["adder"])
      const calls = lambda.invocationsOf("mcp-tool-adder").length
      expect(await client.callTool({ name: "adder", arguments: { a: 2, b: 3 } })).toMatchObject({ content: [{ type: "text", text: "5" }] })
      const invalid = await client.callTool({ name: "adder", arguments: { a: 2 } })
      expect(invalid.isError).toBe(true)
      expect(JSON.stringify(invalid.content)).toContain("b")
      // The invalid call never reached the function.
      expect(lambda.invocationsOf("mcp-tool-adder").length).toBe(calls + 1)
      expect(await client.readResource({ uri: "notes://42" })).toMatchObject({ contents: [{ uri: "notes://42", text: "note 42" }] })
      await client.close()
    }, 60_000)
  }

  it("the MCP bundle answers a stateless 2026-07-28 tools/call", async () => {
    const answered = await postModern(`${mcp.url}/mcp`, 9, "tools/call", { name: "adder", arguments: { a: 40, b: 2 } }, { headers: { "x-test-principal": ALICE } })
    expect(answered.status).toBe(200)
    expect(JSON.parse(answerText(await answered.text()))).toMatchObject({ id: 9, result: { content: [{ type: "text", text: "42" }] } })
  })

  it("the MCP bundle checks bearer tokens with MCP_AUTH=OAUTH (jose, loaded on first use)", async () => {
    const issuer = await startAuthorizationServer()
    const settings = { MCP_AUTH: "OAUTH", OAUTH_ISSUER: issuer.issuer, OAUTH_AUDIENCE: AUDIENCE }
    const saved = Object.keys(settings).map((name) => [name, process.env[name]] as const)
    // Read when the copy builds its services, on its first request.
    Object.assign(process.env, settings)
    const copy = await serveFunction((await importBundle("mcp")).handler, { timeoutMs: 60_000 })
    try {
      const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }
      const post = (headers: Record<string, string>) =>
        fetch(`${copy.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(initialize) })
      expect((await post({ authorization: "Bearer not-a-token" })).status).toBe(401)
      const metadata = await (await fetch(`${copy.url}/.well-known/oauth-protected-resource/mcp`)).json() as { resource: string }
      issuer.expectResource(metadata.resource)
      const opened = await post({ authorization: `Bearer ${await clientCredentialsToken(issuer.issuer, metadata.resource)}` })
      expect(opened.status).toBe(200)
      expect(opened.headers.get("mcp-session-id")).not.toBeNull()
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
      await copy.close()
      await issuer.close()
    }
  })
})
