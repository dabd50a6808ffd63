/**
 * The official MCP SDK client against the dev server, over both transports, with the
 * example functions and registrations.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import {
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startDevServer } from "../support/servers.js"

let server: RunningServer

const transports = {
  "Streamable HTTP": () => new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)),
  "legacy SSE": () => new SSEClientTransport(new URL(`${server.url}/sse`))
} as const

describe.each(Object.keys(transports) as Array<keyof typeof transports>)("SDK client over %s", (transport) => {
  let client: Client

  // A server per transport: one suite's registrations do not leak into the other's lists.
  beforeAll(async () => {
    server = await startDevServer()
    client = new Client({ name: "e2e", version: "1.0.0" })
    await client.connect(transports[transport]())
  })

  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it("initializes with the server's identity and capabilities", () => {
    expect(client.getServerVersion()).toEqual({ name: "mcp-lambda-sam", version: expect.any(String) })
    expect(client.getServerCapabilities()).toMatchObject({
      tools: { listChanged: true },
      resources: { listChanged: true },
      prompts: { listChanged: true },
      logging: {}
    })
  })

  it("lists the example tools", async () => {
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(["countdown", "inventory", "onboarding", "statistics", "summarize", "touch-note", "weather"])
    expect(tools.find((tool) => tool.name === "statistics")?.outputSchema).toMatchObject({ type: "object" })
  })

  it("calls a tool on the original {statusCode, body} contract", async () => {
    const result = await client.callTool({ name: "weather", arguments: { city: "Lisbon", days: 2 } })
    expect(result.isError).not.toBe(true)
    expect(result.content).toEqual([{ type: "text", text: expect.stringMatching(/^Weather for Lisbon\nDay 1: .+\nDay 2: .+$/) }])
  })

  it("calls a tool with structured output that the SDK validates against its outputSchema", async () => {
    const result = await client.callTool({ name: "statistics", arguments: { numbers: [3, 1, 2, 10] } })
    expect(result.structuredContent).toEqual({ count: 4, sum: 16, mean: 4, median: 2.5, min: 1, max: 10 })
  })

  it("reports a failing tool as a result with isError", async () => {
    const result = await client.callTool({ name: "inventory", arguments: { sku: "A-1" } })
    expect(result.isError).toBe(true)
    expect(result.content).toEqual([{ type: "text", text: "Tool 'inventory' failed: The inventory service is down (asked for \"A-1\")" }])
  })

  it("reports invalid arguments as a result with isError", async () => {
    const result = await client.callTool({ name: "statistics", arguments: { numbers: "many" } })
    expect(result.isError).toBe(true)
    expect((result.content as Array<{ text: string }>)[0]?.text).toMatch(/numbers: must be array/)
  })

  it("an unknown tool is a protocol error", async () => {
    const error = await client.callTool({ name: "teleport", arguments: {} }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(McpError)
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams)
  })

  it("lists and reads resources through a URI template", async () => {
    const { resources } = await client.listResources()
    expect(resources.map((resource) => resource.uri)).toEqual(["notes://welcome", "notes://transports", "notes://deploy"])
    const { resourceTemplates } = await client.listResourceTemplates()
    expect(resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: "notes://{id}", name: "notes" })])
    const read = await client.readResource({ uri: "notes://transports" })
    expect(read.contents).toEqual([
      { uri: "notes://transports", mimeType: "text/plain", text: expect.stringContaining("Streamable HTTP") }
    ])
  })

  it("a resource nobody serves is error -32002", async () => {
    const error = await client.readResource({ uri: "file:///etc/passwd" }).catch((e: unknown) => e)
    expect((error as McpError).code).toBe(-32002)
  })

  it("a URI its function answers 404 for is error -32002 too, and the function's words stay on the server", async () => {
    const error = await client.readResource({ uri: "notes://nobody" }).catch((e: unknown) => e)
    expect((error as McpError).code).toBe(-32002)
    expect((error as McpError).message).not.toMatch(/No note/)
  })

  it("lists and gets prompts, and completes their arguments", async () => {
    const { prompts } = await client.listPrompts()
    expect(prompts).toEqual([expect.objectContaining({ name: "code-review" }), expect.objectContaining({ name: "trip-plan" })])
    const prompt = await client.getPrompt({ name: "code-review", arguments: { code: "let x = 1", language: "TypeScript" } })
    expect(prompt.messages[0]?.content).toMatchObject({ type: "text", text: expect.stringContaining("let x = 1") })
    const missing = await client.getPrompt({ name: "code-review", arguments: {} }).catch((e: unknown) => e)
    expect((missing as McpError).code).toBe(ErrorCode.InvalidParams)
    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "code-review" },
      argument: { name: "focus", value: "re" }
    })
    expect(completion.completion.values).toEqual(["readability"])
  })

  it("sends log messages at the level the client set", async () => {
    const logs: Array<unknown> = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(notification.params)
    })
    await client.setLoggingLevel("error")
    await client.callTool({ name: "inventory", arguments: { sku: "B-2" } })
    await expect.poll(() => logs, { timeout: 5_000 }).toContainEqual({
      level: "error",
      logger: "mcp-lambda-sam",
      data: expect.stringContaining("inventory service is down")
    })
  })

  it("is told when the tool list changes", async () => {
    let changed = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++
    })
    const name = `added_${transport.replace(/\W/g, "").toLowerCase()}`
    const response = await fetch(`${server.url}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "tool",
        name,
        description: "Added while connected",
        lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:weather",
        parameters: { city: "string" }
      })
    })
    expect(response.status).toBe(201)
    await expect.poll(() => changed, { timeout: 10_000 }).toBeGreaterThan(0)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toContain(name)
  })
})
