/**
 * Resumable response streams (2025-11-25): a slow POST answers with a stream that begins with a
 * priming event; a client that loses it resumes that stream alone with GET + Last-Event-ID and
 * gets the rest, response included; a cancelled request's resumed stream ends at once.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { McpApiOptions } from "../../src/http/McpApi.js"
import { webHandler } from "../support/servers.js"

let app: ReturnType<typeof webHandler> | undefined
afterEach(async () => {
  await app?.dispose()
  app = undefined
})

const BOTH = "application/json, text/event-stream"

const setUp = async (options: McpApiOptions) => {
  const server = (app = webHandler({ streamAfter: "100 millis", retryInterval: "250 millis", ...options }))
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    server.fetch(new Request("http://local/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: BOTH, ...headers },
      body: JSON.stringify(body)
    }))
  const init = await send({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
  })
  const session = init.headers.get("mcp-session-id")!
  const inSession = (body: unknown) => send(body, { "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" })
  const resume = (lastEventId: string) =>
    server.fetch(new Request("http://local/mcp", {
      headers: { accept: "text/event-stream", "mcp-session-id": session, "last-event-id": lastEventId }
    }))
  return { inSession, resume }
}

interface Event {
  readonly id?: string
  readonly retry?: string
  readonly data: string
}

const eventsOf = (text: string): Array<Event> =>
  text.split("\n\n").filter((block) => block.trim() !== "" && !block.startsWith(":")).map((block) => {
    const fields = Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]))
    return { ...(fields["id"] === undefined ? {} : { id: fields["id"] }), ...(fields["retry"] === undefined ? {} : { retry: fields["retry"] }), data: fields["data"] ?? "" }
  })

const countdown = (id: number, steps: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "countdown", arguments: { steps } } })

describe("resumable response streams", () => {
  it("a slow POST answers a stream that begins with a priming event; the response ends it", async () => {
    const { inSession } = await setUp({})
    const response = await inSession(countdown(1, 2))
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const events = eventsOf(await response.text())
    expect(events[0]).toEqual({ id: expect.stringMatching(/^\d+@[0-9a-f]{16}$/), retry: "250", data: "" })
    const last = events.at(-1)!
    expect(JSON.parse(last.data)).toMatchObject({ id: 1, result: { content: [{ text: "Counted down from 2." }] } })
    expect(last.id?.endsWith(events[0]!.id!.split("@")[1]!)).toBe(true)
  })

  it("a stream cut before the response is resumed alone, response included", async () => {
    // Streams live 300 ms here; the countdown takes about 1 s.
    const { inSession, resume } = await setUp({ maxStreamDuration: "300 millis" })
    const [first, other] = await Promise.all([inSession(countdown(7, 5)), inSession(countdown(8, 1))])
    const cut = eventsOf(await first.text())
    expect(cut.some((event) => event.data.includes("\"id\":7"))).toBe(false)
    // As a client does: resume from the last id seen until the response has come.
    const messages: Array<{ id?: number }> = []
    let lastId = cut.at(-1)!.id!
    for (let attempt = 0; attempt < 20 && !messages.some((message) => message.id === 7); attempt++) {
      for (const event of eventsOf(await (await resume(lastId)).text())) {
        if (event.id !== undefined) lastId = event.id
        if (event.data !== "") messages.push(JSON.parse(event.data))
      }
    }
    expect(messages).toEqual([expect.objectContaining({ id: 7, result: expect.objectContaining({ content: [{ type: "text", text: "Counted down from 5." }] }) })])
    // The other POST's events belong to its own stream, never to this one.
    expect(JSON.stringify(messages)).not.toContain("\"id\":8")
    await other.text()
  })

  it("a cancelled request's stream, resumed, ends at once without a response", async () => {
    const { inSession, resume } = await setUp({})
    const call = await inSession(countdown(3, 25))
    const reader = call.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    const primingId = eventsOf(first)[0]!.id!
    expect(primingId).toMatch(/@/)
    const cancelled = await inSession({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 3, reason: "stop" } })
    expect(cancelled.status).toBe(202)
    await reader.cancel()
    const started = Date.now()
    const resumed = eventsOf(await (await resume(primingId)).text())
    expect(resumed.filter((event) => event.data !== "")).toEqual([])
    // Ends on its own, long before the stream's lifetime (minutes).
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it("a request cancelled before it answers gets an empty stream, not a 202", async () => {
    const { inSession } = await setUp({ streamAfter: "10 seconds" })
    const pending = inSession(countdown(4, 25))
    await new Promise((resolve) => setTimeout(resolve, 100))
    await inSession({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 4 } })
    const response = await pending
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    expect(await response.text()).toBe("")
  })
})
