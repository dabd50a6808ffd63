/**
 * The cap on long-lived streams per caller (`MAX_STREAMS_PER_CALLER`, `StreamLeases`): a caller
 * at the cap is refused a legacy `GET /sse` (problem body) or an older session's `GET /mcp`
 * (JSON-RPC body) with 429 and Retry-After, before any session is created; another caller is
 * not; a stream that ends gives its lease back. A 2025-11-25 session's short standing stream
 * takes no lease: it ends by itself within seconds.
 */
import { afterEach, describe, expect, it } from "vitest"
import { layerMemory } from "../../src/services/StreamLeases.js"
import { readSse, type SseReader } from "../support/sse.js"
import { webHandler } from "../support/servers.js"

const ALICE = "arn:aws:iam::123456789012:user/alice"
const BOB = "arn:aws:iam::123456789012:user/bob"
const LIMIT = 2

let app: ReturnType<typeof webHandler> | undefined
afterEach(() => app?.dispose())

const start = () => {
  app = webHandler({}, undefined, {}, undefined, layerMemory(LIMIT))
  return app
}

const openSse = async (server: ReturnType<typeof webHandler>, principal: string) => {
  const response = await server.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } }), principal)
  if (response.status !== 200) return { response, sse: undefined }
  const sse = readSse(response)
  await sse.until((events) => events.some((event) => event.event === "endpoint"))
  return { response, sse }
}

const initialize = async (server: ReturnType<typeof webHandler>, principal: string, protocolVersion: string) => {
  const response = await server.fetch(new Request("http://local/mcp", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion, capabilities: {}, clientInfo: { name: "limit", version: "1" } }
    })
  }), principal)
  expect(response.status).toBe(200)
  return response.headers.get("mcp-session-id")!
}

const getMcp = (server: ReturnType<typeof webHandler>, principal: string, sessionId: string, protocolVersion: string) =>
  server.fetch(new Request("http://local/mcp", {
    headers: { accept: "text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": protocolVersion }
  }), principal)

describe("long-lived streams per caller", () => {
  it("a caller at the cap is refused another legacy stream with 429, another caller is not, and a closed stream frees its lease", async () => {
    const server = start()
    const held: Array<SseReader> = []
    for (let i = 0; i < LIMIT; i++) {
      const { response, sse } = await openSse(server, ALICE)
      expect(response.status).toBe(200)
      held.push(sse!)
    }
    const refused = await openSse(server, ALICE)
    expect(refused.response.status).toBe(429)
    expect(refused.response.headers.get("retry-after")).toBe("5")
    expect(await refused.response.json()).toMatchObject({ error: "TooManyStreams", message: expect.stringContaining(`${LIMIT}`) })

    const other = await openSse(server, BOB)
    expect(other.response.status).toBe(200)
    await other.sse!.cancel()

    await held.pop()!.cancel()
    await expect.poll(async () => {
      const again = await openSse(server, ALICE)
      if (again.sse !== undefined) held.push(again.sse)
      return again.response.status
    }).toBe(200)
    await Promise.all(held.map((sse) => sse.cancel()))
  })

  it("an older session's GET /mcp holds a lease (refused with a JSON-RPC 429); a 2025-11-25 session's short stream needs none", async () => {
    const server = start()
    const held = await Promise.all(Array.from({ length: LIMIT }, () => openSse(server, ALICE)))
    expect(held.every(({ response }) => response.status === 200)).toBe(true)

    const older = await initialize(server, ALICE, "2025-06-18")
    const refused = await getMcp(server, ALICE, older, "2025-06-18")
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600, message: expect.stringContaining("Too many open streams") } })

    const current = await initialize(server, ALICE, "2025-11-25")
    const short = await getMcp(server, ALICE, current, "2025-11-25")
    expect(short.status).toBe(200)
    await short.body!.cancel()
    await Promise.all(held.map(({ sse }) => sse!.cancel()))
  })
})
