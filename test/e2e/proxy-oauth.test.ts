/**
 * `mcp-lambda-sam proxy --auth oauth` as a desktop client runs it, against the dev server in
 * OAuth mode and a real authorization server on loopback (`oidc-provider`): the first run
 * registers itself, prints the sign-in URL, and the scripted "browser" signs in and comes back
 * to the proxy's loopback listener; the tokens land in the config dir (0600, in a 0700
 * directory); the next run uses them without a sign-in, refreshes an expired one, and a refused
 * sign-in ends in a sentence that says so. Also: legacy SSE, a 2026-07-28 client's stateless
 * requests, and a client registered beforehand (`--client-id`).
 */
import { execFile } from "node:child_process"
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { createServer } from "node:net"
import { join } from "node:path"
import { promisify } from "node:util"
import { Client as ModernClient } from "@modelcontextprotocol/client"
import { StdioClientTransport as ModernStdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { HttpServer } from "@effect/platform"
import { Effect, HashMap, Layer, Logger, ManagedRuntime } from "effect"
import { SignJWT } from "jose"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { devServer } from "../../src/hosts/Node.js"
import { AUDIENCE, type AuthorizationServer, signInUntilRedirect, startAuthorizationServer, TOOLS_SCOPE } from "../support/authorizationServer.js"
import { startProxyProcess } from "../support/proxyProcess.js"
import { EXAMPLE_FUNCTIONS, EXAMPLE_SEED } from "../support/servers.js"

let issuer: AuthorizationServer
let mcpUrl = ""
let dispose: () => Promise<void> = async () => undefined
const serverLogs: Array<string> = []
const directories: Array<string> = []
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  issuer = await startAuthorizationServer()
  const logger = Logger.make(({ annotations, message }) => {
    serverLogs.push(JSON.stringify({ message, annotations: Object.fromEntries(HashMap.toEntries(annotations)) }))
  })
  const runtime = ManagedRuntime.make(
    devServer({
      port: 0,
      host: "127.0.0.1",
      functionsDir: EXAMPLE_FUNCTIONS,
      seedFile: EXAMPLE_SEED,
      banner: false,
      auth: { kind: "oauth", issuer: issuer.issuer, audience: AUDIENCE, requiredScopes: [TOOLS_SCOPE] }
    }).pipe(Layer.provide(Logger.replace(Logger.defaultLogger, logger)))
  )
  const port = await runtime.runPromise(HttpServer.addressWith((address) => Effect.succeed(address._tag === "TcpAddress" ? address.port : 0)))
  dispose = () => runtime.dispose()
  mcpUrl = `http://127.0.0.1:${port}/mcp`
  // The /mcp endpoint's identifier, and the origin's (the legacy SSE pair).
  issuer.expectResource(mcpUrl, `http://127.0.0.1:${port}`)
}, 30_000)

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

afterAll(async () => {
  await dispose()
  await issuer?.close()
  for (const directory of directories) await rm(directory, { recursive: true, force: true })
})

const configDir = async () => {
  const directory = await mkdtemp(join(tmpdir(), "mcp-lambda-sam-config-"))
  directories.push(directory)
  return directory
}

/** The proxy on a stdio client's end, its stderr kept; `connected` settles once initialize is answered. */
const startProxy = (directory: string, url = mcpUrl, extra: ReadonlyArray<string> = []) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", "src/cli/bin.ts", "proxy", "--url", url, "--auth", "oauth", "--no-browser", ...extra],
    env: { ...(process.env as Record<string, string>), MCP_LAMBDA_SAM_CONFIG_DIR: directory },
    stderr: "pipe"
  })
  let stderr = ""
  transport.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const client = new Client({ name: "desktop", version: "1.0.0" })
  closers.push(() => client.close())
  const connected = client.connect(transport)
  connected.catch(() => undefined)
  return { client, connected, stderr: () => stderr }
}

/** The sign-in URL the proxy printed. */
const printedSignIn = async (stderr: () => string) => {
  const deadline = Date.now() + 30_000
  for (;;) {
    const found = /Sign in to reach \S+: open (\S+)/.exec(stderr())?.[1]
    if (found !== undefined) return new URL(found)
    if (Date.now() > deadline) throw new Error(`no sign-in URL on stderr:\n${stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const credentialsIn = async (directory: string) => {
  const files = await readdir(join(directory, "oauth"))
  expect(files.filter((name) => name.endsWith(".json"))).toHaveLength(1)
  const file = join(directory, "oauth", files.find((name) => name.endsWith(".json"))!)
  const stored = JSON.parse(await readFile(file, "utf8")) as {
    server: string
    client: { client_id: string; redirect_uris: Array<string> }
    tokens: { access_token: string; refresh_token?: string }
  }
  return { file, stored }
}

const callStatistics = async (client: Client) => {
  const { tools } = await client.listTools()
  expect(tools.map((tool) => tool.name)).toContain("statistics")
  const result = await client.callTool({ name: "statistics", arguments: { numbers: [3, 1, 2, 10] } })
  expect(result.isError).not.toBe(true)
  expect(JSON.stringify(result.content)).toContain("4")
}

describe("mcp-lambda-sam proxy --auth oauth", () => {
  it("signs in once, keeps the tokens in the config dir (0600), and the next run uses them; an expired token is refreshed", async () => {
    const directory = await configDir()

    // First run: discovery from the 401, registration, the sign-in URL on stderr.
    const first = startProxy(directory)
    const authorizationUrl = await printedSignIn(first.stderr)
    expect(authorizationUrl.origin).toBe(issuer.issuer)
    expect(authorizationUrl.searchParams.get("resource")).toBe(mcpUrl)
    expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256")
    expect(authorizationUrl.searchParams.get("scope")).toBe(TOOLS_SCOPE)
    const redirectUri = authorizationUrl.searchParams.get("redirect_uri")!
    expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    // The person signs in; the browser comes back to the proxy's loopback listener.
    const back = await signInUntilRedirect(authorizationUrl, redirectUri, "dave")
    const landing = await fetch(back)
    expect(landing.status).toBe(200)
    expect(await landing.text()).toContain("Signed in")
    await first.connected
    await callStatistics(first.client)
    expect(serverLogs.some((line) => line.includes("function.invoke") && line.includes(`${issuer.issuer}#dave`))).toBe(true)
    await first.client.close()

    const { file, stored } = await credentialsIn(directory)
    expect(stored.server).toBe(mcpUrl)
    expect(stored.client.redirect_uris).toEqual([redirectUri])
    expect(stored.tokens.access_token).toMatch(/^ey/)
    expect(stored.tokens.refresh_token).toBeDefined()
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(directory, "oauth"))).mode & 0o777).toBe(0o700)

    // Second run: the cached token, no sign-in.
    const second = startProxy(directory)
    await second.connected
    await callStatistics(second.client)
    expect(second.stderr()).not.toContain("Sign in")
    await second.client.close()

    // Third run, the access token expired: the SDK refreshes it on the 401, no sign-in either.
    const now = Math.floor(Date.now() / 1000)
    const expired = await new SignJWT({ iss: issuer.issuer, aud: AUDIENCE, sub: "dave", scope: TOOLS_SCOPE, iat: now - 600, exp: now - 300 })
      .setProtectedHeader({ alg: "RS256", kid: issuer.kid })
      .sign(issuer.privateKey)
    await writeFile(file, JSON.stringify({ ...stored, tokens: { ...stored.tokens, access_token: expired } }))
    const third = startProxy(directory)
    await third.connected
    await callStatistics(third.client)
    expect(third.stderr()).not.toContain("Sign in")
    await third.client.close()
    const refreshed = await credentialsIn(directory)
    expect(refreshed.stored.tokens.access_token).toMatch(/^ey/)
    expect(refreshed.stored.tokens.access_token).not.toBe(expired)
    expect(refreshed.stored.client.client_id).toBe(stored.client.client_id)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  }, 120_000)

  it("signs in the same way over the legacy SSE transport", async () => {
    const run = startProxy(await configDir(), mcpUrl.replace(/\/mcp$/, "/sse"))
    const authorizationUrl = await printedSignIn(run.stderr)
    expect(authorizationUrl.searchParams.get("resource")).toBe(new URL(mcpUrl).origin)
    await fetch(await signInUntilRedirect(authorizationUrl, authorizationUrl.searchParams.get("redirect_uri")!, "erin"))
    await run.connected
    await callStatistics(run.client)
    expect(serverLogs.some((line) => line.includes("function.invoke") && line.includes(`${issuer.issuer}#erin`))).toBe(true)
  }, 60_000)

  it("a 2026-07-28 client's stateless requests carry the cached token", async () => {
    const directory = await configDir()
    const first = startProxy(directory)
    const authorizationUrl = await printedSignIn(first.stderr)
    await fetch(await signInUntilRedirect(authorizationUrl, authorizationUrl.searchParams.get("redirect_uri")!, "frank"))
    await first.connected
    await first.client.close()

    const transport = new ModernStdioClientTransport({
      command: process.execPath,
      args: ["--import", "tsx", "src/cli/bin.ts", "proxy", "--url", mcpUrl, "--auth", "oauth", "--no-browser"],
      env: { ...(process.env as Record<string, string>), MCP_LAMBDA_SAM_CONFIG_DIR: directory },
      stderr: "pipe"
    })
    const client = new ModernClient({ name: "modern-desktop", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } })
    closers.push(() => client.close())
    await client.connect(transport)
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28")
    const result = await client.callTool({ name: "statistics", arguments: { numbers: [5, 7] } })
    expect(result.isError).not.toBe(true)
    expect(serverLogs.filter((line) => line.includes("function.invoke") && line.includes(`${issuer.issuer}#frank`))).toHaveLength(1)
  }, 90_000)

  it("--client-id: a client registered beforehand, with its redirect URI, signs in without registering", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as { port: number }
        probe.close(() => resolve(free))
      })
    })
    const redirectUri = `http://127.0.0.1:${port}/callback`
    const registration = await fetch(`${issuer.issuer}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "pre-registered desktop",
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
        application_type: "native"
      })
    })
    const { client_id: clientId } = (await registration.json()) as { client_id: string }
    const directory = await configDir()
    const run = startProxy(directory, mcpUrl, ["--client-id", clientId, "--redirect-uri", redirectUri])
    const authorizationUrl = await printedSignIn(run.stderr)
    expect(authorizationUrl.searchParams.get("client_id")).toBe(clientId)
    expect(authorizationUrl.searchParams.get("redirect_uri")).toBe(redirectUri)
    await fetch(await signInUntilRedirect(authorizationUrl, redirectUri, "grace"))
    await run.connected
    await callStatistics(run.client)
    // Nothing registered: the client kept is the given id, bound to the issuer it was used with.
    expect((await credentialsIn(directory)).stored.client).toEqual({ client_id: clientId, issuer: issuer.issuer })
  }, 60_000)

  it("refuses the OAuth flags without --auth oauth", async () => {
    const failed = await promisify(execFile)("node_modules/.bin/tsx", ["src/cli/bin.ts", "proxy", "--url", mcpUrl, "--client-id", "x"], {
      timeout: 30_000
    }).then(() => "", (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`)
    expect(failed).toContain("--client-id and --redirect-uri need --auth oauth")
  }, 60_000)

  it("a refused sign-in is the client's error, saying so", async () => {
    const directory = await configDir()
    const run = startProxy(directory)
    const authorizationUrl = await printedSignIn(run.stderr)
    const back = new URL(authorizationUrl.searchParams.get("redirect_uri")!)
    back.search = new URLSearchParams({
      error: "access_denied",
      error_description: "The person said no",
      state: authorizationUrl.searchParams.get("state")!
    }).toString()
    expect((await fetch(back)).status).toBe(400)
    await expect(run.connected).rejects.toThrow(
      `Signing in to ${mcpUrl} failed: the authorization server answered access_denied: The person said no`
    )
  }, 60_000)

  it("a proxy still waiting for the person to sign in exits when its client closes stdin", async () => {
    const proxy = startProxyProcess(["--url", mcpUrl, "--auth", "oauth", "--no-browser"], { MCP_LAMBDA_SAM_CONFIG_DIR: await configDir() })
    closers.push(proxy.stop)
    proxy.initialize()
    await printedSignIn(proxy.stderr)
    // Nobody signs in; the client goes away.
    expect(await proxy.endInput()).toBe(0)
  }, 60_000)
})
