/**
 * `mcp-lambda-sam proxy` as Claude Desktop or Cursor runs it: the SDK's StdioClientTransport
 * spawns it; it forwards to the dev server through a recorder that checks every request's SigV4
 * signature — over Streamable HTTP, over legacy SSE when that is all the server offers, and
 * across a legacy stream that ends.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { afterEach, describe, expect, it } from "vitest"
import { startProxyProcess } from "../support/proxyProcess.js"
import { type RunningServer, startDevServer } from "../support/servers.js"
import { startRecorder, TEST_CREDENTIALS } from "../support/sigv4Recorder.js"

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

const setUp = async (options: { legacyOnly?: boolean; maxStreamDuration?: string } = {}) => {
  const server: RunningServer = await startDevServer(
    options.maxStreamDuration === undefined ? {} : { maxStreamDuration: options.maxStreamDuration as `${number} seconds` }
  )
  closers.push(server.close)
  const recorder = await startRecorder(server.url, { legacyOnly: options.legacyOnly ?? false })
  closers.push(recorder.close)
  return { server, recorder }
}

const proxyClient = async (url: string) => {
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
  const client = new Client({ name: "desktop", version: "1.0.0" })
  await client.connect(transport)
  closers.push(() => client.close())
  return client
}

describe("mcp-lambda-sam proxy", () => {
  it("serves a stdio client from the remote server over Streamable HTTP, every request signed", async () => {
    const { recorder } = await setUp()
    const client = await proxyClient(`${recorder.url}/mcp`)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(["countdown", "inventory", "onboarding", "statistics", "summarize", "touch-note", "weather"])
    const result = await client.callTool({ name: "weather", arguments: { city: "Tokyo" } })
    expect((result.content as Array<{ text: string }>)[0]?.text).toMatch(/^Weather for Tokyo/)
    // Notifications from the server come through too.
    const logs: Array<unknown> = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(notification.params.data)
    })
    await client.setLoggingLevel("error")
    await client.callTool({ name: "inventory", arguments: { sku: "Z" } })
    await expect.poll(() => logs, { timeout: 5_000 }).toContainEqual(expect.stringContaining("inventory service is down"))
    expect(recorder.recorded.some((request) => request.method === "POST" && request.path === "/mcp")).toBe(true)
    expect(recorder.recorded.filter((request) => !request.valid)).toEqual([])
  }, 60_000)

  it("falls back to legacy SSE when the server has no Streamable HTTP endpoint", async () => {
    const { recorder } = await setUp({ legacyOnly: true })
    const client = await proxyClient(`${recorder.url}/mcp`)
    const read = await client.readResource({ uri: "notes://welcome" })
    expect(read.contents[0]).toMatchObject({ uri: "notes://welcome" })
    expect(recorder.recorded.some((request) => request.method === "GET" && request.path === "/sse")).toBe(true)
    expect(recorder.recorded.filter((request) => !request.valid)).toEqual([])
  }, 60_000)

  it("reconnects when a legacy stream ends, and the session carries on", async () => {
    const { recorder } = await setUp({ maxStreamDuration: "2 seconds" })
    const client = await proxyClient(`${recorder.url}/sse`)
    expect((await client.callTool({ name: "weather", arguments: { city: "Lima" } })).isError).not.toBe(true)
    // The stream ends after 2 s; the proxy's reconnection is the event to wait for, not a time.
    const streams = () => recorder.recorded.filter((request) => request.method === "GET" && request.path === "/sse").length
    await expect.poll(streams, { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
    const again = await client.callTool({ name: "weather", arguments: { city: "Quito" } })
    expect((again.content as Array<{ text: string }>)[0]?.text).toMatch(/^Weather for Quito/)
    expect(recorder.recorded.filter((request) => !request.valid)).toEqual([])
  }, 60_000)

  it("exits when its client closes stdin, as the MCP stdio transport asks, without waiting for a signal", async () => {
    const { recorder } = await setUp()
    const proxy = startProxyProcess(["--url", `${recorder.url}/mcp`, "--region", "us-east-1"], {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
    })
    closers.push(proxy.stop)
    proxy.initialize()
    await expect.poll(proxy.stdout, { timeout: 20_000 }).toContain("\"serverInfo\"")
    expect(await proxy.endInput()).toBe(0)
  }, 60_000)
})
