/**
 * A new user's first minutes, from the package as npm delivers it: `npm pack`, installed into an
 * empty directory (one install, shared), then `npx mcp-lambda-sam dev` there — the packaged
 * examples — and `npx mcp-lambda-sam init demo` + `dev --functions demo/functions --seed
 * demo/registrations.json` — the new tool. Reads dist/: `npm test` builds first.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const PROTOCOL = "2025-11-25"
const INSTALL_TIMEOUT = 600_000

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end; its output, whatever the exit code. */
const exec = (command: string, args: ReadonlyArray<string>, cwd: string) =>
  new Promise<Finished>((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.once("error", fail)
    child.once("close", (code) => done({ code, stdout, stderr }))
  })

const succeed = async (command: string, args: ReadonlyArray<string>, cwd: string) => {
  const result = await exec(command, args, cwd)
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`)
  return result
}

interface Dev {
  readonly url: string
  readonly banner: string
  readonly stop: () => Promise<void>
}

/** `npx mcp-lambda-sam dev --port 0 …` in its own process group (npx starts node under it), up once the banner is out. */
const startDev = async (cwd: string, args: ReadonlyArray<string>): Promise<Dev> => {
  const child: ChildProcess = spawn("npx", ["mcp-lambda-sam", "dev", "--port", "0", ...args], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_update_notifier: "false" }
  })
  const exited = new Promise<void>((done) => child.once("exit", () => done()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    try {
      process.kill(-child.pid!, "SIGTERM")
    } catch {
      return
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        // already gone
      }
    }, 5_000)
    await exited
    clearTimeout(timer)
  }
  let text = ""
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`dev did not start:\n${text}`)), 60_000)
    child.once("exit", () => fail(new Error(`dev exited:\n${text}`)))
    child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()))
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      const match = /Streamable HTTP:\s+(http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(text)
      if (match !== null && text.includes("Ctrl-C")) {
        clearTimeout(timer)
        done(match[1]!)
      }
    })
  }).catch(async (error: unknown) => {
    await stop()
    throw error
  })
  return { url, banner: text, stop }
}

/** A JSON-RPC answer from either kind of response: JSON, or the SSE stream's event carrying it. */
const answerOf = async (response: Response, id: number) => {
  const text = await response.text()
  if ((response.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const messages = text.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim())
      .filter((data) => data !== "").map((data) => JSON.parse(data) as { id?: number })
    const answer = messages.find((message) => message.id === id)
    if (answer === undefined) throw new Error(`no answer to ${id} in ${text}`)
    return answer as Record<string, unknown>
  }
  return JSON.parse(text) as Record<string, unknown>
}

/** initialize, notifications/initialized, then requests on that session: fetch, as any HTTP client. */
const mcpSession = async (url: string) => {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream"
  }
  let next = 1
  const post = (body: object) => fetch(`${url}/mcp`, { method: "POST", headers, body: JSON.stringify(body) })
  const initialize = await post({
    jsonrpc: "2.0",
    id: next,
    method: "initialize",
    params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "first-minutes", version: "1.0.0" } }
  })
  expect(initialize.status).toBe(200)
  const initialized = await answerOf(initialize, next)
  expect(initialized).toHaveProperty("result.protocolVersion", PROTOCOL)
  const session = initialize.headers.get("mcp-session-id")
  if (session !== null) headers["mcp-session-id"] = session
  headers["mcp-protocol-version"] = PROTOCOL
  expect((await post({ jsonrpc: "2.0", method: "notifications/initialized" })).status).toBe(202)
  return async (method: string, params: object = {}) => {
    next += 1
    const response = await post({ jsonrpc: "2.0", id: next, method, params })
    expect(response.status).toBe(200)
    const answer = await answerOf(response, next)
    if (!("result" in answer)) throw new Error(`${method}: ${JSON.stringify(answer)}`)
    return answer["result"] as Record<string, unknown>
  }
}

const toolNames = (listed: Record<string, unknown>) => (listed["tools"] as ReadonlyArray<{ name: string }>).map((tool) => tool.name)

let work = ""
let app = ""
const running: Array<Dev> = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "first-minutes-"))
  // Packs dist/ as it is (no prepack build: `npm test` has just built it).
  const packed = await succeed("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work, resolve(".")], work)
  const tarball = join(work, packed.stdout.trim().split("\n").at(-1)!)
  app = join(work, "app")
  await succeed("mkdir", [app], work)
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "first-minutes-app", private: true }))
  await succeed("npm", ["install", tarball, "--no-audit", "--no-fund", "--loglevel", "error"], app)
}, INSTALL_TIMEOUT)

afterAll(async () => {
  for (const dev of running) await dev.stop()
  if (work !== "") await rm(work, { recursive: true, force: true })
}, 30_000)

describe("from a packed tarball, installed in an empty directory", () => {
  it("npx mcp-lambda-sam dev serves the packaged examples, and says so", async () => {
    const dev = await startDev(app, [])
    running.push(dev)
    expect(dev.banner).toMatch(/examples:\s+packaged with mcp-lambda-sam \(.*node_modules\/mcp-lambda-sam\/examples\)/)
    const request = await mcpSession(dev.url)
    expect(toolNames(await request("tools/list"))).toEqual(
      expect.arrayContaining(["countdown", "inventory", "statistics", "weather"])
    )
    const called = await request("tools/call", { name: "weather", arguments: { city: "Paris" } })
    expect(called).toHaveProperty("content.0.text", expect.stringMatching(/^Weather for Paris/))
    await dev.stop()
  }, 120_000)

  it("npx mcp-lambda-sam init demo, its test, then dev serves the new tool", async () => {
    const init = await succeed("npx", ["mcp-lambda-sam", "init", "demo"], app)
    expect(init.stdout).toContain("demo/functions/mcp-tool-demo.mjs")
    // The scaffold's own test passes as written.
    await succeed("node", ["--test", "demo/test"], app)
    // A second init refuses to overwrite, and says which files are in the way.
    const again = await exec("npx", ["mcp-lambda-sam", "init", "demo"], app)
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain("Not overwriting demo/functions/mcp-tool-demo.mjs")

    const dev = await startDev(app, ["--functions", "demo/functions", "--seed", "demo/registrations.json"])
    running.push(dev)
    expect(dev.banner).toMatch(/tools:\s+demo\n/)
    expect(dev.banner).not.toContain("packaged with")
    const request = await mcpSession(dev.url)
    expect(toolNames(await request("tools/list"))).toEqual(["demo"])
    const called = await request("tools/call", { name: "demo", arguments: { name: "Ada" } })
    expect(called).toEqual({ content: [{ type: "text", text: "Hello, Ada!" }] })
    await dev.stop()
  }, 120_000)
})
