/** Every status code of the MCP API, over raw HTTP requests (Streamable HTTP and legacy SSE). */
import { afterEach, describe, expect, it } from "vitest"
import type { McpApiOptions } from "../../src/http/McpApi.js"
import { layerMemory as leasesMemory } from "../../src/services/StreamLeases.js"
import { type Json, readJson } from "../support/json.js"
import { modernRequest } from "../support/modernRequest.js"
import { frozenMinuteLimiter } from "../support/rateLimit.js"
import { webHandler } from "../support/servers.js"

let app: ReturnType<typeof webHandler> | undefined
const start = (options: McpApiOptions = {}) => {
  app = webHandler(options)
  return app
}
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

const post = (
  server: ReturnType<typeof webHandler>,
  body: unknown,
  headers: Record<string, string> = {},
  principal?: string
) =>
  server.fetch(
    new Request("http://local/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: BOTH, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body)
    }),
    principal
  )

const openSession = async (server: ReturnType<typeof webHandler>, principal?: string) => {
  const response = await post(server, initialize, {}, principal)
  expect(response.status).toBe(200)
  const sessionId = response.headers.get("mcp-session-id")
  expect(sessionId).toMatch(/^[\x21-\x7E]{32,}$/)
  return sessionId!
}

/** Reads an SSE body until `done` says so (or the stream ends), then cancels it. */
const readEvents = async (response: Response, done: (text: string) => boolean, limitMs = 5_000) => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  const deadline = Date.now() + limitMs
  while (!done(text) && Date.now() < deadline) {
    const next = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((resolve) => setTimeout(() => resolve({ done: true, value: undefined }), deadline - Date.now()))
    ])
    if (next.done) break
    text += decoder.decode(next.value, { stream: true })
  }
  await reader.cancel().catch(() => undefined)
  return text
}

const dataOf = (text: string): Array<Json> =>
  text
    .split("\n\n")
    .filter((block) => block.includes("event: message"))
    .map((block) => JSON.parse(block.split("\n").find((line) => line.startsWith("data: "))!.slice(6)))

describe("Streamable HTTP at /mcp", () => {
  it("initialize issues a session id; requests then answer JSON and notifications 202", async () => {
    const server = start()
    const sessionId = await openSession(server)
    const initialized = await post(server, { jsonrpc: "2.0", method: "notifications/initialized" }, { "mcp-session-id": sessionId })
    expect(initialized.status).toBe(202)
    expect(await initialized.text()).toBe("")
    const list = await post(server, { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-11-25"
    })
    expect(list.status).toBe(200)
    expect(list.headers.get("content-type")).toMatch(/^application\/json/)
    expect((await readJson(list)).result.tools).toHaveLength(7)
    const response = await post(server, { jsonrpc: "2.0", id: 5, result: {} }, { "mcp-session-id": sessionId })
    expect(response.status).toBe(202)
  })

  it("answers as an SSE stream when log notifications precede the response", async () => {
    const server = start()
    const sessionId = await openSession(server)
    await post(server, { jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "debug" } }, {
      "mcp-session-id": sessionId
    })
    const call = await post(server, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "weather", arguments: { city: "Oslo" } } }, {
      "mcp-session-id": sessionId
    })
    expect(call.status).toBe(200)
    expect(call.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const messages = dataOf(await call.text())
    expect(messages.map((message) => message.method ?? "response")).toEqual(["notifications/message", "response"])
    expect(messages[1]).toMatchObject({ id: 2, result: { content: [{ type: "text" }] } })
  })

  it("406 when Accept does not allow both JSON and SSE", async () => {
    const server = start()
    expect((await post(server, initialize, { accept: "application/json" })).status).toBe(406)
    expect((await post(server, initialize, { accept: "text/event-stream" })).status).toBe(406)
    expect((await post(server, initialize, { accept: "*/*" })).status).toBe(200)
  })

  it("a 2026-07-28 header over a body that is no request: 400 -32600 saying so, not an unsupported version", async () => {
    const server = start()
    const response = await post(server, { jsonrpc: "2.0", id: 3, method: { toString: null } }, { "mcp-protocol-version": "2026-07-28" })
    expect(response.status).toBe(400)
    const answer = (await response.json()) as { error: { code: number; message: string } }
    expect(answer.error.code).toBe(-32600)
    expect(answer.error.message).toMatch(/not a JSON-RPC request/)
  })

  it("415 for a body that is not JSON, 400 (-32700) for malformed JSON, 413 over the limit", async () => {
    const server = start({ maxBodyBytes: 1024 })
    expect((await post(server, initialize, { "content-type": "text/plain" })).status).toBe(415)
    const malformed = await post(server, "{\"jsonrpc\":")
    expect(malformed.status).toBe(400)
    expect((await readJson(malformed)).error.code).toBe(-32700)
    expect((await post(server, { ...initialize, pad: "x".repeat(2048) })).status).toBe(413)
  })

  it("400 without a session id, 404 for an unknown one, 400 for an unsupported protocol version", async () => {
    const server = start()
    const missing = await post(server, { jsonrpc: "2.0", id: 1, method: "tools/list" })
    expect(missing.status).toBe(400)
    expect(await readJson(missing)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } })
    const unknown = await post(server, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { "mcp-session-id": "x".repeat(32) })
    expect(unknown.status).toBe(404)
    const sessionId = await openSession(server)
    const badVersion = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, {
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "1999-01-01"
    })
    expect(badVersion.status).toBe(400)
  })

  it("a session belongs to the principal that created it: another gets 404", async () => {
    const server = start()
    const sessionId = await openSession(server, "arn:aws:iam::111111111111:user/alice")
    const alice = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-session-id": sessionId }, "arn:aws:iam::111111111111:user/alice")
    expect(alice.status).toBe(200)
    const mallory = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-session-id": sessionId }, "arn:aws:iam::222222222222:user/mallory")
    expect(mallory.status).toBe(404)
  })

  it("another principal can neither read a session's stream (GET) nor end it (DELETE): 404, and the owner's session goes on", async () => {
    const server = start()
    const alice = "arn:aws:iam::111111111111:user/alice"
    const mallory = "arn:aws:iam::222222222222:user/mallory"
    const sessionId = await openSession(server, alice)
    const get = (principal: string) =>
      server.fetch(new Request("http://local/mcp", { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } }), principal)
    const del = (principal: string) =>
      server.fetch(new Request("http://local/mcp", { method: "DELETE", headers: { "mcp-session-id": sessionId } }), principal)

    const read = await get(mallory)
    expect(read.status).toBe(404)
    expect(await readJson(read)).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/^Session not found/) } })
    expect((await del(mallory)).status).toBe(404)

    // Still Alice's: her stream opens and her requests are answered.
    const stream = await get(alice)
    expect(stream.status).toBe(200)
    await stream.body!.cancel()
    const ping = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-session-id": sessionId }, alice)
    expect(ping.status).toBe(200)
    expect((await del(alice)).status).toBe(204)
  })

  it("DELETE ends the session: 204, then 404", async () => {
    const server = start()
    const sessionId = await openSession(server)
    const del = await server.fetch(new Request("http://local/mcp", { method: "DELETE", headers: { "mcp-session-id": sessionId } }))
    expect(del.status).toBe(204)
    expect((await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-session-id": sessionId })).status).toBe(404)
    const again = await server.fetch(new Request("http://local/mcp", { method: "DELETE", headers: { "mcp-session-id": sessionId } }))
    expect(again.status).toBe(404)
  })

  it("GET opens the session's stream: 406 without SSE in Accept, 400 without a session, list_changed when registrations change", async () => {
    const server = start({ keepAliveInterval: "50 millis" })
    const sessionId = await openSession(server)
    const get = (headers: Record<string, string>) => server.fetch(new Request("http://local/mcp", { headers }))
    expect((await get({ accept: "application/json", "mcp-session-id": sessionId })).status).toBe(406)
    expect((await get({ accept: "text/event-stream" })).status).toBe(400)
    expect((await get({ accept: "text/event-stream", "mcp-session-id": "y".repeat(32) })).status).toBe(404)
    const stream = await get({ accept: "text/event-stream", "mcp-session-id": sessionId })
    expect(stream.status).toBe(200)
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const created = server.fetch(new Request("http://local/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "prompt", name: "new", description: "d", lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:x" })
    }))
    const text = await readEvents(stream, (seen) => seen.includes("list_changed") && seen.includes(": keep-alive"))
    expect((await created).status).toBe(201)
    expect(text).toContain(": keep-alive")
    const events = dataOf(text)
    expect(events.map((event) => event.method)).toEqual(["notifications/prompts/list_changed"])
    expect(text).toMatch(/^id: \d+$/m)
  })

  it("GET resumes after Last-Event-ID and ends cleanly after its maximum duration", async () => {
    // Long enough for the registration to reach the stream even on a loaded machine.
    const server = start({ maxStreamDuration: "1500 millis" })
    const sessionId = await openSession(server)
    const register = (name: string) =>
      server.fetch(new Request("http://local/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "tool", name, description: "d", lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:x" })
      }))
    const first = await server.fetch(new Request("http://local/mcp", { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } }))
    await register("one")
    // The body ends by itself when the duration is up: reading to the end terminates.
    const text = await first.text()
    // A priming event (2025-11-25) comes first: an id with empty data, and a retry interval.
    expect(text).toMatch(/^id: 0\nretry: \d+\ndata: \n\n/)
    const ids = [...text.matchAll(/^id: (\d+)\nevent: message$/gm)].map((match) => Number(match[1]))
    expect(ids).toHaveLength(1)
    const resumed = await server.fetch(new Request("http://local/mcp", {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId, "last-event-id": String(ids[0]) }
    }))
    expect(dataOf(await resumed.text())).toEqual([])
    const replayed = await server.fetch(new Request("http://local/mcp", {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId }
    }))
    expect(dataOf(await replayed.text()).map((event) => event.method)).toEqual(["notifications/tools/list_changed"])
  })

  it("other methods are 405 with Allow", async () => {
    const server = start()
    const put = await server.fetch(new Request("http://local/mcp", { method: "PUT" }))
    expect(put.status).toBe(405)
    expect(put.headers.get("allow")).toBe("POST, GET, DELETE, OPTIONS")
  })
})

describe("Streamable HTTP: what each refusal says, and which revision gets what", () => {
  const errorOf = async (response: Response) => ((await readJson(response)) as { error: { code: number; message: string } }).error
  const get = (server: ReturnType<typeof webHandler>, headers: Record<string, string>) =>
    server.fetch(new Request("http://local/mcp", { headers }))
  const initializeAt = (protocolVersion: string) => ({ ...initialize, params: { ...initialize.params, protocolVersion } })

  it("Accept: media types match whatever their case and parameters; a type/* range covers its subtypes, and only those", async () => {
    const server = start()
    for (const accept of ["Application/JSON;q=0.9, TEXT/Event-Stream", "application/*, text/*", "text/*;q=0.5,application/json", "*/*;q=0.1"]) {
      expect((await post(server, initialize, { accept })).status).toBe(200)
    }
    for (const accept of ["application/*", "text/*, image/json", "image/*, text/event-stream", "", "application/json text/event-stream"]) {
      const refused = await post(server, initialize, { accept })
      expect(refused.status).toBe(406)
      expect(await errorOf(refused)).toEqual({
        code: -32600,
        message: "Not Acceptable: Accept must allow application/json and text/event-stream"
      })
    }
    const withoutAccept = await server.fetch(new Request("http://local/mcp", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(initialize)
    }))
    expect(withoutAccept.status).toBe(406)
    const sessionId = await openSession(server)
    const stream = await get(server, { accept: "Text/*", "mcp-session-id": sessionId })
    expect(stream.status).toBe(200)
    await stream.body!.cancel()
    const refused = await get(server, { accept: "application/json, image/*", "mcp-session-id": sessionId })
    expect(refused.status).toBe(406)
    expect(await errorOf(refused)).toEqual({ code: -32600, message: "Not Acceptable: Accept must allow text/event-stream" })
  })

  it("each refusal names its reason: no JSON, no session id, an unknown session, an unsupported version", async () => {
    const server = start()
    expect(await errorOf(await post(server, "{\"jsonrpc\":"))).toEqual({ code: -32700, message: "Parse error: the body is not JSON" })
    const required = { code: -32600, message: "Bad Request: the Mcp-Session-Id header is required" }
    for (const headers of [{}, { "mcp-session-id": "" }]) {
      const missing = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, headers)
      expect(missing.status).toBe(400)
      expect(await errorOf(missing)).toEqual(required)
    }
    const unknown = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-session-id": "x".repeat(32) })
    expect(unknown.status).toBe(404)
    expect(await errorOf(unknown)).toEqual({ code: -32600, message: "Session not found: it may have expired or ended" })
    const sessionId = await openSession(server)
    const version = { "mcp-session-id": sessionId, "mcp-protocol-version": "1999-01-01" }
    const badPost = await post(server, { jsonrpc: "2.0", id: 1, method: "ping" }, version)
    expect(badPost.status).toBe(400)
    expect(await errorOf(badPost)).toEqual({ code: -32600, message: "Unsupported MCP-Protocol-Version: 1999-01-01" })
    const badGet = await get(server, { accept: "text/event-stream", ...version })
    expect(badGet.status).toBe(400)
    expect(await errorOf(badGet)).toEqual({ code: -32600, message: "Unsupported MCP-Protocol-Version: 1999-01-01" })
    const noSession = await server.fetch(new Request("http://local/mcp", { method: "DELETE" }))
    expect(noSession.status).toBe(400)
    expect(await errorOf(noSession)).toEqual(required)
  })

  it("an initialize that fails opens no session: its error comes back without a session id", async () => {
    const server = start()
    const failed = await post(server, { jsonrpc: "2.0", id: 0, method: "initialize", params: { capabilities: {} } })
    expect(failed.status).toBe(200)
    expect(failed.headers.get("mcp-session-id")).toBeNull()
    expect(await readJson(failed)).toMatchObject({ id: 0, error: { code: -32602 } })
  })

  it("an initialize under a 2026-07-28 header is a request of an older revision: its version header is unsupported", async () => {
    const server = start()
    const response = await post(server, initialize, { "mcp-protocol-version": "2026-07-28" })
    expect(response.status).toBe(400)
    expect(await errorOf(response)).toEqual({ code: -32600, message: "Unsupported MCP-Protocol-Version: 2026-07-28" })
  })

  it("a session negotiates the version its client asked for: a 2025-06-18 stream has no priming event, a 2025-11-25 one does", async () => {
    const server = start({ keepAliveInterval: "50 millis" })
    const older = (await post(server, initializeAt("2025-06-18"))).headers.get("mcp-session-id")!
    const newer = await openSession(server)
    const opening = async (sessionId: string) =>
      readEvents(await get(server, { accept: "text/event-stream", "mcp-session-id": sessionId }), (text) => text.includes(": keep-alive"))
    expect(await opening(older)).not.toMatch(/^(id|retry): /m)
    expect(await opening(newer)).toMatch(/^id: 0\nretry: \d+\ndata: \n\n/)
  })

  it("a 2025-11-25 session's standing stream ends when idle and says when to come back; it takes no stream lease", async () => {
    const server = (app = webHandler({ idleStreamWindow: "300 millis", idleStreamRetry: "7 seconds" }, undefined, {}, undefined, leasesMemory(1)))
    const sessions = [await openSession(server, "alice"), await openSession(server, "alice")]
    const texts = await Promise.all(sessions.map(async (sessionId) => {
      const stream = await server.fetch(new Request("http://local/mcp", { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } }), "alice")
      expect(stream.status).toBe(200)
      return stream.text()
    }))
    for (const text of texts) expect(text).toMatch(/^id: 0\nretry: 7000\ndata: \n\n/)
  })

  it("without an idle window a 2025-11-25 session's stream stays open, and so holds one of the caller's stream leases", async () => {
    const server = (app = webHandler({ idleStreamWindow: "0 millis", retryInterval: "3 seconds" }, undefined, {}, undefined, leasesMemory(1)))
    const open = async () => {
      const sessionId = await openSession(server, "alice")
      return server.fetch(new Request("http://local/mcp", { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } }), "alice")
    }
    const first = await open()
    expect(first.status).toBe(200)
    const reader = first.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^id: 0\nretry: 3000\ndata: \n\n/)
    const second = await open()
    expect(second.status).toBe(429)
    expect(await readJson(second)).toMatchObject({ error: { code: -32600, message: expect.stringContaining("Too many open streams") } })
    await reader.cancel()
  })

  it("a 2025-06-18 session's streamed answer has no event ids; a 2025-11-25 session's is resumable", async () => {
    const server = start()
    const call = async (sessionId: string) => {
      await post(server, { jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "debug" } }, { "mcp-session-id": sessionId })
      const response = await post(server, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "weather", arguments: { city: "Oslo" } } }, {
        "mcp-session-id": sessionId
      })
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
      const text = await response.text()
      expect(dataOf(text).map((message) => message.method ?? "response")).toEqual(["notifications/message", "response"])
      return text
    }
    const older = (await post(server, initializeAt("2025-06-18"))).headers.get("mcp-session-id")!
    expect(await call(older)).not.toMatch(/^id:/m)
    expect(await call(await openSession(server))).toMatch(/^id: \d+@[0-9a-f]{16}$/m)
  })

  it("a 2026-07-28 request is served on /mcp without a session", async () => {
    const server = start()
    const { body, headers } = modernRequest(1, "tools/list")
    const response = await post(server, body, headers)
    expect(response.status).toBe(200)
    expect(response.headers.get("mcp-session-id")).toBeNull()
    expect((await readJson(response)).result.tools).toHaveLength(7)
  })

  it("the capabilities a client declared at initialize are the session's: elicitation is asked of it only when declared", async () => {
    const server = start()
    const ask = async (capabilities: Record<string, unknown>) => {
      const init = await post(server, { ...initialize, params: { ...initialize.params, capabilities } })
      const sessionId = init.headers.get("mcp-session-id")!
      const call = await post(server, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "onboarding", arguments: {} } }, {
        "mcp-session-id": sessionId
      })
      const text = await readEvents(call, (seen) => seen.includes("elicitation/create") || /"result"|"error"/.test(seen), 3_000)
      return text.includes("elicitation/create") ? "asked" : dataOf(text)[0]?.result ?? JSON.parse(text).result
    }
    expect(await ask({ elicitation: {} })).toBe("asked")
    expect(await ask({})).toEqual({
      content: [{ type: "text", text: "Onboarding without a profile: The client did not declare the elicitation capability" }]
    })
  })

  it("2025-03-26: a batch holding a request streams the notifications it sends, as a single request does", async () => {
    const server = start()
    const sessionId = (await post(server, initializeAt("2025-03-26"))).headers.get("mcp-session-id")!
    const headers = { "mcp-session-id": sessionId }
    await post(server, { jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "debug" } }, headers)
    const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "weather", arguments: { city: "Oslo" } } }
    const batch = await post(server, [{ jsonrpc: "2.0", method: "notifications/initialized" }, call], headers)
    expect(batch.headers.get("content-type")).toMatch(/^text\/event-stream/)
    expect(dataOf(await batch.text()).map((message) => message.method ?? "response")).toContain("notifications/message")
  })

  it("2025-03-26 batches: notifications and answers alone are 202; a batch holding a request is answered with an array", async () => {
    const server = start()
    const sessionId = (await post(server, initializeAt("2025-03-26"))).headers.get("mcp-session-id")!
    const headers = { "mcp-session-id": sessionId }
    const quiet = await post(server, [{ jsonrpc: "2.0", method: "notifications/initialized" }, { jsonrpc: "2.0", id: 9, result: {} }], headers)
    expect(quiet.status).toBe(202)
    expect(await quiet.text()).toBe("")
    const mixed = await post(server, [{ jsonrpc: "2.0", method: "notifications/initialized" }, { jsonrpc: "2.0", id: 1, method: "ping" }], headers)
    expect(mixed.status).toBe(200)
    expect(await readJson(mixed)).toEqual([{ jsonrpc: "2.0", id: 1, result: {} }])
  })
})

describe("legacy HTTP+SSE at /sse and /message", () => {
  const message = (server: ReturnType<typeof webHandler>, query: string, body: unknown, principal?: string) =>
    server.fetch(
      new Request(`http://local/message${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body)
      }),
      principal
    )

  it("GET /sse sends the endpoint first; responses to POST /message arrive on the stream", async () => {
    const server = start()
    const stream = await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } }), "alice")
    expect(stream.status).toBe(200)
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    const endpoint = /^event: endpoint\ndata: (\/message\?sessionId=([^\n]+))\n\n/.exec(first)
    expect(endpoint).not.toBeNull()
    const query = `?sessionId=${endpoint![2]}`
    expect((await message(server, query, initialize, "alice")).status).toBe(202)
    expect((await message(server, query, { jsonrpc: "2.0", id: 1, method: "tools/list" }, "alice")).status).toBe(202)
    let text = first
    const decoder = new TextDecoder()
    while (dataOf(text).length < 2) {
      const next = await reader.read()
      if (next.done) break
      text += decoder.decode(next.value)
    }
    await reader.cancel()
    const [init, list] = dataOf(text)
    expect(init).toMatchObject({ id: 0, result: { protocolVersion: "2025-11-25" } })
    expect(list.result.tools).toHaveLength(7)
  })

  it("POST /message: 400 without sessionId or with a body that is not JSON-RPC, 404 for an unknown or foreign session", async () => {
    const server = start()
    expect((await message(server, "", initialize)).status).toBe(400)
    expect((await message(server, `?sessionId=${"z".repeat(32)}`, initialize)).status).toBe(404)
    const stream = await server.fetch(new Request("http://local/sse"), "alice")
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    const sessionId = /sessionId=([^\n]+)/.exec(first)![1]!
    expect((await message(server, `?sessionId=${sessionId}`, { hello: "world" }, "alice")).status).toBe(400)
    expect((await message(server, `?sessionId=${sessionId}`, "not json", "alice")).status).toBe(400)
    expect((await message(server, `?sessionId=${sessionId}`, initialize, "mallory")).status).toBe(404)
    // A Streamable HTTP session id is not a legacy session.
    const streamable = await openSession(server, "alice")
    expect((await message(server, `?sessionId=${streamable}`, initialize, "alice")).status).toBe(404)
    await reader.cancel()
  })
})

describe("legacy HTTP+SSE: what each refusal says, and the session's lifetime", () => {
  const message = (server: ReturnType<typeof webHandler>, query: string, body: unknown) =>
    server.fetch(
      new Request(`http://local/message${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      }),
      "alice"
    )
  const openLegacy = async (server: ReturnType<typeof webHandler>) => {
    const stream = await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } }), "alice")
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    return { reader, query: `?sessionId=${/sessionId=([^\n]+)/.exec(first)![1]!}` }
  }

  it("POST /message names what is wrong: no sessionId, an unknown session, a body that is not JSON-RPC", async () => {
    const server = start()
    for (const query of ["", "?sessionId=", "?other=1"]) {
      const missing = await message(server, query, initialize)
      expect(missing.status).toBe(400)
      expect(await readJson(missing)).toEqual({ error: "BadRequest", message: "The sessionId query parameter is required" })
    }
    const unknown = await message(server, `?sessionId=${"z".repeat(32)}`, initialize)
    expect(await readJson(unknown)).toMatchObject({ error: { code: -32600, message: "Session not found: it may have expired or ended" } })
    const { query, reader } = await openLegacy(server)
    for (const body of [[], [initialize, { hello: "world" }], { jsonrpc: "2.0", id: 1 }]) {
      const refused = await message(server, query, body)
      expect(refused.status).toBe(400)
      expect(await readJson(refused)).toEqual({ error: "BadRequest", message: "The body is not a JSON-RPC message" })
    }
    const accepted = await message(server, query, initialize)
    expect(accepted.status).toBe(202)
    expect(await accepted.text()).toBe("Accepted")
    await reader.cancel()
  })

  it("the endpoint event names /message whether the stream was opened at /sse or /sse/", async () => {
    const server = start()
    for (const path of ["/sse", "/sse/"]) {
      const stream = await server.fetch(new Request(`http://local${path}`, { headers: { accept: "text/event-stream" } }), "alice")
      const reader = stream.body!.getReader()
      const first = new TextDecoder().decode((await reader.read()).value)
      expect(first).toMatch(/^event: endpoint\ndata: \/message\?sessionId=[^\n]+\n\n/)
      await reader.cancel()
    }
  })

  it("notifications a request sends reach the stream while it runs, before its response", async () => {
    const server = start()
    const { query, reader } = await openLegacy(server)
    expect((await message(server, query, { jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "debug" } })).status).toBe(202)
    expect((await message(server, query, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "weather", arguments: { city: "Oslo" } } })).status)
      .toBe(202)
    const decoder = new TextDecoder()
    let text = ""
    while (!dataOf(text).some((event) => event.id === 2)) {
      const next = await reader.read()
      if (next.done) break
      text += decoder.decode(next.value)
    }
    await reader.cancel()
    expect(dataOf(text).map((event) => event.method ?? `response ${event.id}`)).toEqual(["response 1", "notifications/message", "response 2"])
  })

  it("a message whose session ends while it is handled is 404, saying so", async () => {
    const server = start()
    const { query, reader } = await openLegacy(server)
    expect((await message(server, query, { jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "debug" } })).status).toBe(202)
    const countdown = message(server, query, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "countdown", arguments: { steps: 10 } } })
    // The call has begun once its first log line reaches the stream; then the client leaves.
    const decoder = new TextDecoder()
    let text = ""
    while (!text.includes("notifications/message")) {
      const next = await reader.read()
      if (next.done) break
      text += decoder.decode(next.value)
    }
    await reader.cancel()
    const ended = await countdown
    expect(ended.status).toBe(404)
    expect(await readJson(ended)).toMatchObject({ error: { code: -32600, message: "Session not found: it ended while the message was handled" } })
  })

  it("the session ends with its stream: once the client leaves, POST /message is 404", async () => {
    const server = start()
    const { query, reader } = await openLegacy(server)
    expect((await message(server, query, initialize)).status).toBe(202)
    await reader.cancel()
    const deadline = Date.now() + 5_000
    let status = 202
    while (status !== 404 && Date.now() < deadline) {
      status = (await message(server, query, { jsonrpc: "2.0", id: 1, method: "ping" })).status
      if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(status).toBe(404)
  })
})

describe("rate limit", () => {
  it("429 with Retry-After once a principal is over its per-minute limit; others and /health are not counted", async () => {
    const server = (app = webHandler({}, frozenMinuteLimiter(2)))
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" }
    expect((await post(server, initialize, {}, "alice")).status).toBe(200)
    expect((await post(server, ping, {}, "alice")).status).toBe(400)
    const limited = await post(server, ping, {}, "alice")
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
    expect(await readJson(limited)).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/Too many requests/) } })
    expect((await post(server, initialize, {}, "bob")).status).toBe(200)
    expect((await server.fetch(new Request("http://local/health"), "alice")).status).toBe(200)
  })
})

describe("origin, CORS and health", () => {
  it("403 for an Origin outside the allowed list; allowed origins get CORS headers exposing Mcp-Session-Id", async () => {
    const server = start({ allowedOrigins: ["https://app.example.com", "http://localhost:*"] })
    expect((await post(server, initialize, { origin: "https://evil.example.net" })).status).toBe(403)
    const allowed = await post(server, initialize, { origin: "https://app.example.com" })
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com")
    expect(allowed.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id")
    expect((await post(server, initialize, { origin: "http://localhost:6274" })).status).toBe(200)
    const preflight = await server.fetch(new Request("http://local/mcp", {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" }
    }))
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get("access-control-allow-headers")).toContain("mcp-session-id")
  })

  it("GET /health is 200 JSON", async () => {
    const server = start()
    const health = await server.fetch(new Request("http://local/health"))
    expect(health.status).toBe(200)
    expect(await readJson(health)).toEqual({ status: "ok" })
  })
})
