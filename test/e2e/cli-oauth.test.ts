/**
 * `mcp-lambda-sam dev --auth oauth --issuer URL --audience AUD` as a user runs it: the same
 * bearer-token check as a deployment with McpAuth=OAUTH, against a real authorization server
 * on loopback; and the flags it refuses.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  AUDIENCE,
  type AuthorizationServer,
  clientCredentialsToken,
  startAuthorizationServer,
  TOOLS_SCOPE
} from "../support/authorizationServer.js"

const run = promisify(execFile)
const CLI = ["src/cli/bin.ts", "dev", "--port", "0", "--seed", "examples/registrations.json", "--functions", "examples/functions"]

let issuer: AuthorizationServer
let dev: ChildProcess
let url = ""
let output = ""

beforeAll(async () => {
  issuer = await startAuthorizationServer()
  // Node itself with tsx's loader, not the tsx CLI: a kill must reach the server, not a wrapper
  // that would leave it running.
  dev = spawn(process.execPath, ["--import", "tsx", ...CLI, "--auth", "oauth", "--issuer", issuer.issuer, "--audience", AUDIENCE, "--required-scope", TOOLS_SCOPE], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  dev.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev server did not start:\n${output}`)), 30_000)
    dev.once("exit", () => reject(new Error(`dev server exited:\n${output}`)))
    dev.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Streamable HTTP:\s+(http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(output)
      if (match !== null && output.includes("Ctrl-C")) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  issuer.expectResource(`${url}/mcp`)
}, 40_000)

afterAll(async () => {
  if (dev !== undefined && dev.exitCode === null) {
    dev.kill("SIGKILL")
    await new Promise((resolve) => dev.once("exit", resolve))
  }
  await issuer?.close()
})

const initialize = (headers: Record<string, string> = {}) =>
  fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
    })
  })

describe("mcp-lambda-sam dev --auth oauth", () => {
  it("says where the metadata is, challenges a request without a token, and admits the issuer's token", async () => {
    expect(output).toContain(`OAuth: tokens from ${issuer.issuer} for ${AUDIENCE}`)
    const challenged = await initialize()
    expect(challenged.status).toBe(401)
    expect(challenged.headers.get("www-authenticate")).toContain(`resource_metadata="${url}/.well-known/oauth-protected-resource/mcp"`)
    const token = await clientCredentialsToken(issuer.issuer, `${url}/mcp`)
    expect((await initialize({ authorization: `Bearer ${token}` })).status).toBe(200)
  })

  it("refuses --auth oauth without an issuer and an audience, and --issuer without --auth oauth", async () => {
    const failed = (args: ReadonlyArray<string>) =>
      run("node_modules/.bin/tsx", [...CLI, ...args], { timeout: 30_000 }).then(
        () => ({ code: 0, text: "" }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, text: `${error.stdout}${error.stderr}` })
      )
    const withoutIssuer = await failed(["--auth", "oauth", "--audience", AUDIENCE])
    expect(withoutIssuer.code).not.toBe(0)
    expect(withoutIssuer.text).toContain("--auth oauth needs --issuer URL and --audience AUD")
    const withoutMode = await failed(["--issuer", issuer.issuer])
    expect(withoutMode.code).not.toBe(0)
    expect(withoutMode.text).toContain("--issuer and --audience need --auth oauth")
    // Not OAuth, but refused the same way before anything starts: a function heap under 16 MB.
    const tinyHeap = await failed(["--function-memory", "8"])
    expect(tinyHeap.code).not.toBe(0)
    expect(tinyHeap.text).toContain("--function-memory is in MB: 16 or more")
  }, 60_000)
})
