// The reference server of bench/overhead.ts: the MCP SDK's own McpServer and
// StreamableHTTPServerTransport (sessions, JSON responses) on node:http, serving the `adder` tool
// that bench/overhead.ts also gives `dev`. Plain JavaScript run by plain Node, as `dev` runs
// compiled JavaScript: no loader between the server and the measurement.
import { Buffer } from "node:buffer"
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"
import { z } from "zod"

const transports = new Map()

const newSession = async () => {
  const mcp = new McpServer({ name: "reference", version: "1.0.0" })
  mcp.registerTool(
    "adder",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] })
  )
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: true,
    onsessioninitialized: (id) => transports.set(id, transport)
  })
  transport.onclose = () => transports.delete(transport.sessionId)
  await mcp.connect(transport)
  return transport
}

const readJson = async (request) => {
  const chunks = []
  for await (const chunk of request) chunks.push(chunk)
  return chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString("utf8"))
}

const server = createServer(async (request, response) => {
  if (!request.url?.startsWith("/mcp")) return response.writeHead(404).end()
  const body = request.method === "POST" ? await readJson(request) : undefined
  const sessionId = request.headers["mcp-session-id"]
  const known = typeof sessionId === "string" ? transports.get(sessionId) : undefined
  if (known !== undefined) return known.handleRequest(request, response, body)
  if (sessionId === undefined && isInitializeRequest(body)) return (await newSession()).handleRequest(request, response, body)
  response.writeHead(sessionId === undefined ? 400 : 404, { "content-type": "application/json" })
  response.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "No valid session" }, id: null }))
})

server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
process.once("SIGINT", () => server.close(() => process.exit(0)))
process.once("SIGTERM", () => server.close(() => process.exit(0)))
