/**
 * A store outage, as both APIs show it over HTTP: 503 with `Retry-After`, the cause kept out of
 * the answer, and service as before once the store is back. The stores are the memory ones
 * behind a switch (`test/support/outage.ts`).
 */
import { afterEach, describe, expect, it } from "vitest"
import { makeOutage, type Outage, registryOutage, sessionStoreOutage } from "../support/outage.js"
import { readJson } from "../support/json.js"
import { readSse } from "../support/sse.js"
import { webHandler } from "../support/servers.js"

let app: ReturnType<typeof webHandler> | undefined
afterEach(async () => {
  await app?.dispose()
  app = undefined
})

const BOTH = "application/json, text/event-stream"
const initialize = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
}
const ping = { jsonrpc: "2.0", id: 1, method: "ping" }

/** The apps over stores that fail while their outage is on. */
const start = () => {
  const sessions = makeOutage()
  const registry = makeOutage()
  app = webHandler({}, undefined, { sessions: sessionStoreOutage(sessions), registry: registryOutage(registry) })
  return { server: app, sessions, registry }
}

/** What every answer to an outage is: 503, `Retry-After`, a problem body that names no cause. */
const expectUnavailable = async (response: Response) => {
  expect(response.status).toBe(503)
  expect(response.headers.get("retry-after")).toBe("1")
  const text = await response.text()
  expect(JSON.parse(text)).toEqual({ error: "ServiceUnavailable", message: "The store is unavailable; try again" })
  expect(text).not.toMatch(/injected/)
}

const mcpPost = (server: ReturnType<typeof webHandler>, body: unknown, headers: Record<string, string> = {}) =>
  server.fetch(new Request("http://local/mcp", {
    method: "POST",
    headers: { "content-type": "application/json", accept: BOTH, ...headers },
    body: JSON.stringify(body)
  }))

const during = async <A>(outage: Outage, run: () => Promise<A>) => {
  outage.down = true
  try {
    return await run()
  } finally {
    outage.down = false
  }
}

describe("MCP API during a session store outage", () => {
  it("Streamable HTTP: initialize, POST, GET and DELETE are 503 with Retry-After; the session works once the store is back", async () => {
    const { server, sessions } = start()
    const opened = await mcpPost(server, initialize)
    expect(opened.status).toBe(200)
    const sessionId = opened.headers.get("mcp-session-id")!
    const session = { "mcp-session-id": sessionId }

    await during(sessions, async () => {
      await expectUnavailable(await mcpPost(server, initialize))
      await expectUnavailable(await mcpPost(server, ping, session))
      await expectUnavailable(await server.fetch(new Request("http://local/mcp", { headers: { accept: "text/event-stream", ...session } })))
      await expectUnavailable(await server.fetch(new Request("http://local/mcp", { method: "DELETE", headers: session })))
    })
    expect(sessions.failed).toEqual(["SessionStore.create", "SessionStore.get", "SessionStore.get", "SessionStore.get"])

    expect((await mcpPost(server, ping, session)).status).toBe(200)
    expect((await server.fetch(new Request("http://local/mcp", { method: "DELETE", headers: session }))).status).toBe(204)
  })

  it("legacy SSE: GET /sse and POST /message are 503 with Retry-After; the open stream waits the outage out", async () => {
    const { server, sessions } = start()
    const sse = readSse(await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } })))
    await sse.until((events) => events.some((event) => event.event === "endpoint"))
    const sessionId = /sessionId=(.+)$/.exec(sse.events[0]!.data)![1]!
    const message = () =>
      server.fetch(new Request(`http://local/message?sessionId=${sessionId}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(ping)
      }))

    await during(sessions, async () => {
      await expectUnavailable(await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } })))
      await expectUnavailable(await message())
      // The open stream polls meanwhile, and its reads fail too.
      await expect.poll(() => sessions.failed.includes("SessionStore.readAfter")).toBe(true)
    })
    const answered = sessions.failed.filter((operation) => operation === "SessionStore.create" || operation === "SessionStore.get")
    expect(answered).toEqual(["SessionStore.create", "SessionStore.get"])
    // A brief outage does not end the stream, nor (legacy) its session: the next message is answered on it.
    expect((await message()).status).toBe(202)
    await sse.until((events) => events.some((event) => event.event === "message" && JSON.parse(event.data).id === 1))
    const again = await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } }))
    expect(again.status).toBe(200)
    await again.body!.cancel()
    await sse.cancel()
  })

  it("legacy SSE: an answer that cannot be stored is 500, not 503 — the message was handled, and a retry would handle it again", async () => {
    const { server, sessions } = start()
    const stream = await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } }))
    const reader = stream.body!.getReader()
    const sessionId = /sessionId=([^\n]+)/.exec(new TextDecoder().decode((await reader.read()).value))![1]!
    sessions.only = new Set(["SessionStore.append"])
    const response = await during(sessions, () =>
      server.fetch(new Request(`http://local/message?sessionId=${sessionId}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(ping)
      })))
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({ error: "AnswerNotStored" })
    expect(text).not.toMatch(/injected/)
    expect(sessions.failed).toEqual(["SessionStore.append"])
    await reader.cancel()
  })
})

describe("Registration API during a registry outage", () => {
  it("every route that reads or writes the registry is 503 with Retry-After; it serves again once the store is back", async () => {
    const { server, registry } = start()
    const register = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      server.fetch(new Request(`http://local${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      }))
    const tool = {
      type: "tool",
      name: "outage",
      description: "Registered around an outage",
      lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:outage"
    }

    // The first request builds the app (and seeds the registry) while the store is up.
    expect((await register("GET", "/register/tool-weather")).status).toBe(200)
    await during(registry, async () => {
      await expectUnavailable(await register("POST", "/register", tool))
      await expectUnavailable(await register("GET", "/register"))
      await expectUnavailable(await register("GET", "/register/tool-weather"))
      await expectUnavailable(await register("PUT", "/register/tool-weather", { ...tool, name: "weather" }, { "if-match": "\"1\"" }))
      await expectUnavailable(await register("DELETE", "/register/tool-weather"))
    })
    expect(registry.failed).toEqual(["Registry.create", "Registry.list", "Registry.get", "Registry.update", "Registry.remove"])

    const created = await register("POST", "/register", tool)
    expect(created.status).toBe(201)
    expect(await readJson(created)).toMatchObject({ id: "tool-outage", version: 1 })
  })
})
