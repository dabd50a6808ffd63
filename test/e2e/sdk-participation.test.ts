/**
 * Functions as full participants, seen by the official SDK client over both transports: a
 * streaming function's progress and logs while it runs, questions to the user (elicitation)
 * and to the model (sampling) answered by the client's handlers, resource subscriptions told
 * of updates, and completions from a function. The example functions and registrations.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
  ResourceUpdatedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startDevServer } from "../support/servers.js"

let server: RunningServer

const transports = {
  "Streamable HTTP": () => new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)),
  "legacy SSE": () => new SSEClientTransport(new URL(`${server.url}/sse`))
} as const

const textOf = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text

describe.each(Object.keys(transports) as Array<keyof typeof transports>)("functions as participants, SDK client over %s", (transport) => {
  let client: Client
  const asked: Array<{ method: string; params: unknown }> = []

  beforeAll(async () => {
    server = await startDevServer()
    client = new Client({ name: "e2e", version: "1.0.0" }, { capabilities: { elicitation: {}, sampling: {} } })
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request)
      return { action: "accept", content: { name: "Ada", role: "operator" } }
    })
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      asked.push(request)
      return { role: "assistant", content: { type: "text", text: "A short summary." }, model: "test-model", stopReason: "endTurn" }
    })
    await client.connect(transports[transport]())
  })

  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it("reports a streaming function's progress while it runs, in order, before the result", async () => {
    const progress: Array<Progress> = []
    const result = await client.callTool({ name: "countdown", arguments: { steps: 3 } }, undefined, {
      onprogress: (update) => progress.push(update)
    })
    expect(textOf(result)).toBe("Counted down from 3.")
    // All four are sent before the result. The SDK client runs progress handlers a microtask
    // after it reads them but settles the call at once, so a last progress read in the same
    // chunk as the result (legacy SSE delivers both in one poll) can land after the call ended.
    expect(progress.length).toBeGreaterThanOrEqual(3)
    expect(progress.map((update) => update.progress)).toEqual([0, 1, 2, 3].slice(0, progress.length))
    expect(progress[0]).toMatchObject({ total: 3, message: "3 to go" })
  })

  it("sends a streaming function's log lines at the level the client set", async () => {
    const logs: Array<unknown> = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(notification.params)
    })
    await client.setLoggingLevel("info")
    await client.callTool({ name: "countdown", arguments: { steps: 1 } })
    await expect.poll(() => logs, { timeout: 5_000 }).toContainEqual({ level: "info", logger: "countdown", data: "Counting down from 1" })
  })

  it("asks the user (elicitation) and goes on with the answer", async () => {
    const result = await client.callTool({ name: "onboarding", arguments: {} })
    expect(textOf(result)).toBe("Welcome, Ada (operator)!")
    expect(asked).toContainEqual(expect.objectContaining({ method: "elicitation/create", params: expect.objectContaining({ message: "Tell us about yourself" }) }))
  })

  it("asks the client's model (sampling) and returns what it said", async () => {
    const result = await client.callTool({ name: "summarize", arguments: { text: "A long text about nothing in particular." } })
    expect(textOf(result)).toBe("A short summary.")
    expect(asked).toContainEqual(expect.objectContaining({ method: "sampling/createMessage" }))
  })

  it("tells subscribers when a resource changes, and only them", async () => {
    const updated: Array<string> = []
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updated.push(notification.params.uri)
    })
    await client.subscribeResource({ uri: "notes://welcome" })
    await client.callTool({ name: "touch-note", arguments: { id: "welcome" } })
    await expect.poll(() => updated, { timeout: 5_000 }).toEqual(["notes://welcome"])
    await client.unsubscribeResource({ uri: "notes://welcome" })
    await client.subscribeResource({ uri: "notes://deploy" })
    await client.callTool({ name: "touch-note", arguments: { id: "welcome" } })
    await client.callTool({ name: "touch-note", arguments: { id: "deploy" } })
    // Notifications arrive in order: had the first touch reached us, it would come before this one.
    await expect.poll(() => updated, { timeout: 5_000 }).toEqual(["notes://welcome", "notes://deploy"])
  })

  it("completes a prompt argument from the prompt's function", async () => {
    const { completion } = await client.complete({ ref: { type: "ref/prompt", name: "trip-plan" }, argument: { name: "city", value: "Pa" } })
    expect(completion.values).toEqual(["Paris"])
  })
})
