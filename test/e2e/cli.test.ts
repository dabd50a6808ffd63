/**
 * `mcp-lambda-sam dev` as a user runs it (what `npm start` runs), driven by the MCP Inspector
 * CLI over both transports, then stopped with Ctrl-C while a stream is open.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"

const run = promisify(execFile)

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once("exit", (code) => resolve(code))
  })

/** Starts `mcp-lambda-sam dev` with these arguments and waits for its banner. */
const startDev = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  // Node itself with tsx's loader, not the tsx CLI: a kill must reach the server, not a wrapper
  // that would leave it running.
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/bin.ts", "dev", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env }
  })
  let text = ""
  child.stderr!.on("data", (chunk: Buffer) => {
    text += chunk.toString()
  })
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev server did not start:\n${text}`)), 30_000)
    child.once("exit", () => reject(new Error(`dev server exited:\n${text}`)))
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      const match = /Streamable HTTP:\s+(http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(text)
      if (match !== null && text.includes("Ctrl-C")) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  return { child, address, output: () => text }
}

let dev: ChildProcess
let url: string
let output: () => string

beforeAll(async () => {
  const started = await startDev([])
  dev = started.child
  url = started.address
  output = started.output
}, 40_000)

afterAll(async () => {
  if (dev.exitCode === null) {
    dev.kill("SIGKILL")
    await exited(dev)
  }
})

const inspector = async (...args: Array<string>) => {
  const { stdout } = await run("node_modules/.bin/mcp-inspector", ["--cli", ...args], { timeout: 60_000 })
  return JSON.parse(stdout)
}

describe("mcp-lambda-sam dev", () => {
  it("prints its URLs and the registered examples", () => {
    expect(output()).toContain(`${url}/sse`)
    expect(output()).toContain(`${url}/register`)
    expect(output()).toMatch(/tools:\s+countdown, inventory, onboarding, statistics, summarize, touch-note, weather/)
    expect(output()).toMatch(/resources:\s+notes \(notes:\/\/\{id\}\)/)
    expect(output()).toMatch(/prompts:\s+code-review, trip-plan/)
  })

  it("the MCP Inspector CLI lists and calls tools over Streamable HTTP", async () => {
    const listed = await inspector(`${url}/mcp`, "--transport", "http", "--method", "tools/list")
    expect(listed.tools.map((tool: { name: string }) => tool.name)).toEqual(["countdown", "inventory", "onboarding", "statistics", "summarize", "touch-note", "weather"])
    const called = await inspector(
      `${url}/mcp`, "--transport", "http", "--method", "tools/call", "--tool-name", "weather", "--tool-arg", "city=Paris"
    )
    expect(called.content[0].text).toMatch(/^Weather for Paris/)
  }, 120_000)

  it("the MCP Inspector CLI reads a resource over legacy SSE", async () => {
    const read = await inspector(`${url}/sse`, "--transport", "sse", "--method", "resources/read", "--uri", "notes://welcome")
    expect(read.contents[0]).toMatchObject({ uri: "notes://welcome", mimeType: "text/plain" })
  }, 60_000)

  it("logs one line per request with the MCP method, status and time", async () => {
    // Its own requests, so that it does not depend on what other tests sent, or in which order.
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify(body)
      })
    const initialized = await post("/mcp", {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "log-test", version: "1" } }
    })
    const session = { "mcp-session-id": initialized.headers.get("mcp-session-id")! }
    await initialized.text()
    const called = await post("/mcp", { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "weather", arguments: { city: "Oslo" } } }, session)
    expect(called.status).toBe(200)
    await called.text()
    const stream = await fetch(`${url}/sse`)
    const reader = stream.body!.getReader()
    const endpoint = /data: (\S+)/.exec(new TextDecoder().decode((await reader.read()).value))![1]!
    const read = await post(endpoint, { jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: "notes://welcome" } })
    expect(read.status).toBe(202)
    await reader.cancel()
    // The log is the server's stdout, read as it comes.
    await expect.poll(output, { timeout: 10_000 }).toMatch(/POST \/mcp tools\/call 200 \d+ms/)
    await expect.poll(output, { timeout: 10_000 }).toMatch(/POST \/message resources\/read 202 \d+ms/)
  }, 30_000)

  it("stops cleanly on Ctrl-C, closing an open stream", async () => {
    // A server of its own: stopping the shared one would leave the other tests without one.
    const own = await startDev([])
    const stream = await fetch(`${own.address}/sse`)
    const reader = stream.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^event: endpoint/)
    try {
      own.child.kill("SIGINT")
      const ended = (async () => {
        for (;;) {
          const next = await reader.read()
          if (next.done) return "ended"
        }
      })()
      expect(await ended).toBe("ended")
      expect(await exited(own.child)).toBe(0)
    } finally {
      own.child.kill("SIGKILL")
    }
  }, 60_000)
})

describe.skipIf(inject("dynamodbEndpoint") === "")("mcp-lambda-sam dev --store dynamodb", () => {
  const tables = { registrations: `dev-registrations-${process.pid}`, sessions: `dev-sessions-${process.pid}` }
  const start = () =>
    startDev([
      "--store", "dynamodb",
      "--dynamodb-endpoint", inject("dynamodbEndpoint"),
      "--create-tables",
      "--registration-table", tables.registrations,
      "--session-table", tables.sessions
    ], { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" })

  it("creates its tables, seeds them, serves MCP from them, and restarts over the same data", async () => {
    const first = await start()
    try {
      const listed = await inspector(`${first.address}/mcp`, "--transport", "http", "--method", "tools/list")
      expect(listed.tools.map((tool: { name: string }) => tool.name)).toEqual(["countdown", "inventory", "onboarding", "statistics", "summarize", "touch-note", "weather"])
      const registered = await fetch(`${first.address}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          type: "tool",
          name: "persisted",
          description: "Survives a restart",
          lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:weather",
          parameters: { city: "string" }
        })
      })
      expect(registered.status).toBe(201)
    } finally {
      first.child.kill("SIGINT")
      await exited(first.child)
    }
    const second = await start()
    try {
      const listed = await inspector(`${second.address}/mcp`, "--transport", "http", "--method", "tools/list")
      expect(listed.tools.map((tool: { name: string }) => tool.name)).toContain("persisted")
      const called = await inspector(
        `${second.address}/mcp`, "--transport", "http", "--method", "tools/call", "--tool-name", "persisted", "--tool-arg", "city=Rome"
      )
      expect(called.content[0].text).toMatch(/^Weather for Rome/)
    } finally {
      second.child.kill("SIGINT")
      expect(await exited(second.child)).toBe(0)
    }
  }, 120_000)
})
