/**
 * No single request holds the event loop (issue 12, "Bounded work"): against the dev server,
 * in this process, each attack runs while `/health` is asked again and again; the answers
 * come within 200 ms. Before, the ReDoS call held the loop 34.9 s and the 150 KB URI 9.2 s.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FIXED } from "../../src/Settings.js"
import { arn } from "../support/fixtures.js"
import { frozenMinuteLimiter } from "../support/rateLimit.js"
import { type RunningServer, startDevServer, webHandler } from "../support/servers.js"

const HEALTH_BOUND_MS = 200
const BOTH = "application/json, text/event-stream"

let server: RunningServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bounded-work-"))
  const seedFile = join(dir, "registrations.json")
  await writeFile(seedFile, JSON.stringify([
    {
      type: "tool",
      name: "redos",
      description: "A tool whose schema has a catastrophic pattern for a backtracking engine",
      lambdaArn: arn("weather"),
      inputSchema: { type: "object", properties: { text: { type: "string", pattern: "^(a+)+$" } }, required: ["text"] }
    },
    {
      type: "resource",
      name: "repo",
      description: "A template with two adjacent variables",
      lambdaArn: arn("notes"),
      uriTemplate: "repo://{owner}-{name}"
    }
  ]))
  server = await startDevServer({ seedFile })
}, 60_000)

afterAll(async () => {
  await server?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", accept: BOTH, ...headers }, body })

const openSession = async (protocolVersion: string) => {
  const response = await post("/mcp", JSON.stringify({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion, capabilities: {}, clientInfo: { name: "bounded", version: "1" } }
  }), { "mcp-protocol-version": protocolVersion })
  expect(response.status).toBe(200)
  await response.text()
  const sessionId = response.headers.get("mcp-session-id")!
  const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": protocolVersion }
  const initialized = await post("/mcp", JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), headers)
  await initialized.text()
  return headers
}

/**
 * Runs the attack and, until it is answered, asks `/health` one request after another (each
 * awaited: no sleeping). Returns the attack's answer and how long each `/health` took.
 */
const once = async (attack: () => Promise<Response>) => {
  let answered = false
  const started = performance.now()
  const running = attack().then(async (response) => {
    const body = await response.text()
    answered = true
    return { status: response.status, body, millis: performance.now() - started }
  })
  const health: Array<number> = []
  do {
    const asked = performance.now()
    const response = await fetch(`${server.url}/health`)
    expect(await response.json()).toEqual({ status: "ok" })
    health.push(performance.now() - asked)
  } while (!answered)
  return { ...(await running), health, slowest: Math.max(...health) }
}

/**
 * The attack three times over; `slowest` is the best run's slowest `/health`. An attack that
 * holds the event loop delays `/health` in every run; a busy machine (other suites running)
 * rarely delays all three, so the bound tests the server, not the machine's load.
 */
const whileRunning = async (attack: () => Promise<Response>) => {
  const runs = [await once(attack), await once(attack), await once(attack)]
  for (const run of runs) expect(run.body).toBe(runs[0]!.body)
  return { ...runs[0]!, slowest: Math.min(...runs.map((run) => run.slowest)), millis: Math.min(...runs.map((run) => run.millis)) }
}

describe("with the dev server answering /health throughout", () => {
  it("tools/call with ^(a+)+$ and 30 a's + '!' is an invalid argument, at once", async () => {
    const headers = await openSession("2025-11-25")
    const result = await whileRunning(() =>
      post("/mcp", JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "redos", arguments: { text: `${"a".repeat(30)}!` } }
      }), headers))
    expect(result.status).toBe(200)
    expect(JSON.parse(result.body)).toMatchObject({
      result: { isError: true, content: [{ type: "text", text: expect.stringContaining("must match pattern") }] }
    })
    expect(result.slowest).toBeLessThan(HEALTH_BOUND_MS)
    expect(result.millis).toBeLessThan(HEALTH_BOUND_MS)
  })

  it("resources/read of a 150 KB URI against repo://{owner}-{name} is -32602 naming the limit", async () => {
    const headers = await openSession("2025-11-25")
    const result = await whileRunning(() =>
      post("/mcp", JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "resources/read",
        params: { uri: `repo://${"a-".repeat(75_000)}/` }
      }), headers))
    expect(JSON.parse(result.body)).toMatchObject({
      error: { code: -32602, message: expect.stringContaining(`must be at most ${FIXED.limits.maxUriLength} characters`) }
    })
    expect(result.slowest).toBeLessThan(HEALTH_BOUND_MS)
  })

  it("a 10,000-item 2025-03-26 batch of tools/call is one -32600; nothing in it runs", async () => {
    const headers = await openSession("2025-03-26")
    const batch = Array.from({ length: 10_000 }, (_, id) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "redos", arguments: { text: "aaaa" } }
    }))
    const result = await whileRunning(() => post("/mcp", JSON.stringify(batch), headers))
    expect(JSON.parse(result.body)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: expect.stringContaining(`at most ${FIXED.limits.maxBatchItems} messages`) }
    })
    expect(result.slowest).toBeLessThan(HEALTH_BOUND_MS)
  })

  it("registering a 940 KB schema is refused before anything compiles it", async () => {
    const inputSchema = {
      type: "object",
      properties: Object.fromEntries(Array.from({ length: 19_000 }, (_, i) => [`property${i}`, { type: "string", minLength: i }]))
    }
    const body = JSON.stringify({ type: "tool", name: "huge", description: "d", lambdaArn: arn("weather"), inputSchema })
    expect(body.length).toBeGreaterThan(900_000)
    const result = await whileRunning(() => post("/register", body))
    expect([400, 413]).toContain(result.status)
    if (result.status === 400) expect(result.body).toContain("is larger than 64 KB")
    expect(result.slowest).toBeLessThan(HEALTH_BOUND_MS)
  })
})

describe("registering a pattern RE2 cannot run", () => {
  it("is a 400 whose problem names the rule's path", async () => {
    const response = await post("/register", JSON.stringify({
      type: "tool",
      name: "lookahead",
      description: "d",
      lambdaArn: arn("weather"),
      inputSchema: { type: "object", properties: { user: { type: "string", pattern: "^(?!admin$)\\w+$" } } }
    }))
    expect(response.status).toBe(400)
    const body = await response.json() as { problems: Array<{ path: string; message: string }> }
    expect(body.problems).toContainEqual({
      path: "inputSchema.properties.user.pattern",
      message: expect.stringMatching(/cannot run on the linear-time engine \(RE2: no lookaround or backreferences\)/)
    })
  })
})

describe("over HTTP with a rate limit of 5 a minute", () => {
  it("each item of a batch after the first takes a token: the caller's items over the limit are refused, then the next POST is 429", async () => {
    const app = webHandler({}, frozenMinuteLimiter(5))
    try {
      const send = (body: unknown, headers: Record<string, string> = {}) =>
        app.fetch(new Request("http://local/mcp", {
          method: "POST",
          headers: { "content-type": "application/json", accept: BOTH, "mcp-protocol-version": "2025-03-26", ...headers },
          body: JSON.stringify(body)
        }))
      const init = await send({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "batch", version: "1" } }
      })
      const session = { "mcp-session-id": init.headers.get("mcp-session-id")! }
      await init.text()
      await (await send({ jsonrpc: "2.0", method: "notifications/initialized" }, session)).text()
      // Tokens so far: initialize, initialized, and this POST; its items 2 and 3 take the last two.
      const batch = await send(Array.from({ length: 5 }, (_, id) => ({ jsonrpc: "2.0", id, method: "ping" })), session)
      const responses = await batch.json() as Array<{ id: number; result?: unknown; error?: { message: string } }>
      expect(responses.filter((response) => "result" in response).map((response) => response.id)).toEqual([0, 1, 2])
      expect(responses.filter((response) => "error" in response).map((response) => response.error!.message))
        .toEqual([expect.stringMatching(/^Too many requests/), expect.stringMatching(/^Too many requests/)])
      const after = await send({ jsonrpc: "2.0", id: 9, method: "ping" }, session)
      expect(after.status).toBe(429)
    } finally {
      await app.dispose()
    }
  })
})
