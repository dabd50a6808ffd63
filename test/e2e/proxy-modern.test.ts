/**
 * `mcp-lambda-sam proxy` for a stdio client that speaks MCP 2026-07-28 (the SDK v2 client,
 * pinned): each message goes to the remote server on its own, signed, statelessly — no session
 * — through a recorder that checks every request's SigV4 signature.
 */
import { Client } from "@modelcontextprotocol/client"
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio"
import { afterEach, describe, expect, it } from "vitest"
import { type RunningServer, startDevServer } from "../support/servers.js"
import { startRecorder, TEST_CREDENTIALS } from "../support/sigv4Recorder.js"

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

const modernClientThroughProxy = async (url: string) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", "src/cli/bin.ts", "proxy", "--url", url, "--region", "us-east-1"],
    env: {
      ...(process.env as Record<string, string>),
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
    },
    stderr: "pipe"
  })
  const client = new Client(
    { name: "modern-desktop", version: "1.0.0" },
    { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: "2026-07-28" } } }
  )
  client.setRequestHandler("elicitation/create", async () => ({ action: "accept", content: { name: "Ada", role: "operator" } }))
  await client.connect(transport)
  closers.push(() => client.close())
  return client
}

describe("mcp-lambda-sam proxy, 2026-07-28 client", () => {
  it("serves a modern stdio client statelessly, every request signed", async () => {
    const server: RunningServer = await startDevServer()
    closers.push(server.close)
    const recorder = await startRecorder(server.url, { legacyOnly: false })
    closers.push(recorder.close)
    const client = await modernClientThroughProxy(`${recorder.url}/mcp`)
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28")
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toContain("weather")
    const weather = await client.callTool({ name: "weather", arguments: { city: "Oslo" } })
    expect((weather.content as Array<{ text: string }>)[0]?.text).toMatch(/^Weather for Oslo/)
    // A question round through the proxy: the input-required answer, the client's handler, the retry.
    const onboarding = await client.callTool({ name: "onboarding", arguments: {} })
    expect((onboarding.content as Array<{ text: string }>)[0]?.text).toBe("Welcome, Ada (operator)!")
    // Stateless: no request asked for or carried a session.
    expect(recorder.recorded.length).toBeGreaterThan(3)
    expect(recorder.recorded.every((request) => request.headers["mcp-session-id"] === undefined)).toBe(true)
    expect(recorder.recorded.every((request) => request.headers["mcp-protocol-version"] === "2026-07-28")).toBe(true)
    expect(recorder.recorded.filter((request) => !request.valid)).toEqual([])
  }, 60_000)
})
