/**
 * `mcp-lambda-sam dev` as a user runs it (what `npm start` runs), driven by the MCP Inspector
 * CLI over both transports, then stopped with Ctrl-C while a stream is open.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const run = promisify(execFile)

let dev: ChildProcess
let url: string
let output = ""

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once("exit", (code) => resolve(code))
  })

beforeAll(async () => {
  dev = spawn("node_modules/.bin/tsx", ["src/cli/bin.ts", "dev", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] })
  dev.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev server did not start:\n${output}`)), 30_000)
    dev.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Streamable HTTP:\s+(http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(output)
      if (match !== null && output.includes("Ctrl-C")) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
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
    expect(output).toContain(`${url}/sse`)
    expect(output).toContain(`${url}/register`)
    expect(output).toMatch(/tools:\s+inventory, statistics, weather/)
    expect(output).toMatch(/resources:\s+notes \(notes:\/\/\{id\}\)/)
    expect(output).toMatch(/prompts:\s+code-review/)
  })

  it("the MCP Inspector CLI lists and calls tools over Streamable HTTP", async () => {
    const listed = await inspector(`${url}/mcp`, "--transport", "http", "--method", "tools/list")
    expect(listed.tools.map((tool: { name: string }) => tool.name)).toEqual(["inventory", "statistics", "weather"])
    const called = await inspector(
      `${url}/mcp`, "--transport", "http", "--method", "tools/call", "--tool-name", "weather", "--tool-arg", "city=Paris"
    )
    expect(called.content[0].text).toMatch(/^Weather for Paris/)
  }, 120_000)

  it("the MCP Inspector CLI reads a resource over legacy SSE", async () => {
    const read = await inspector(`${url}/sse`, "--transport", "sse", "--method", "resources/read", "--uri", "notes://welcome")
    expect(read.contents[0]).toMatchObject({ uri: "notes://welcome", mimeType: "text/plain" })
  }, 60_000)

  it("logs one line per request with the MCP method, status and time", () => {
    expect(output).toMatch(/POST \/mcp tools\/call 200 \d+ms/)
    expect(output).toMatch(/POST \/message resources\/read 202 \d+ms/)
  })

  it("stops cleanly on Ctrl-C, closing an open stream", async () => {
    const stream = await fetch(`${url}/sse`)
    const reader = stream.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^event: endpoint/)
    dev.kill("SIGINT")
    const ended = (async () => {
      for (;;) {
        const next = await reader.read()
        if (next.done) return "ended"
      }
    })()
    expect(await ended).toBe("ended")
    expect(await exited(dev)).toBe(0)
  }, 20_000)
})
