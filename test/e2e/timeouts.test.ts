/**
 * The admin commands and the proxy against servers that do not answer: one that accepts the
 * connection and never says a word (before, the CLI waited 5 minutes and said "fetch failed"),
 * one that refuses, and one whose connection never completes (a listening socket whose accept
 * queue is full, held by python3). Each ends within its deadline with a sentence saying which.
 * The CLI runs in a child process started with `spawn`, so this process's servers keep running.
 */
import { spawn } from "node:child_process"
import { createServer, type Server, type Socket } from "node:net"
import type { AddressInfo } from "node:net"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runProxy } from "../../src/admin/Proxy.js"
import { makeSigner } from "../../src/admin/SigV4.js"
import { timedFetch } from "../../src/admin/TimedFetch.js"
import { TEST_CREDENTIALS } from "../support/sigv4Recorder.js"

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** When it ended (ms since the epoch). */
  readonly endedAt: number
}

/** The CLI in a child process; with `input` (for the proxy, which runs until it is stopped), stopped after its first line. */
const cli = (args: ReadonlyArray<string>, input?: string) =>
  new Promise<Finished>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/bin.ts", ...args, "--region", "us-east-1"], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
      },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (input !== undefined && stdout.includes("\n")) child.kill()
    })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr, endedAt: Date.now() }))
    if (input !== undefined) child.stdin.write(input)
    else child.stdin.end()
  })

let silent: Server
const held: Array<Socket> = []
let acceptedAt = 0
/** Seconds from the silent server's last accepted connection to the end of the command (tsx's start left out). */
const waited = (finished: Finished) => (finished.endedAt - acceptedAt) / 1000
let silentUrl = ""
let refusedUrl = ""

beforeAll(async () => {
  // Accepts every connection, reads nothing, answers nothing.
  silent = createServer((socket) => {
    acceptedAt = Date.now()
    held.push(socket)
  })
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
  await new Promise<void>((resolve) => closed.close(() => resolve()))
})

afterAll(async () => {
  for (const socket of held) socket.destroy()
  await new Promise<void>((resolve) => silent.close(() => resolve()))
})

describe("a server that accepts and never answers", () => {
  it("the admin commands give up after --timeout, saying so", async () => {
    const listed = await cli(["list", "--url", `${silentUrl}/`, "--timeout", "1"])
    expect(listed.code).not.toBe(0)
    expect(listed.stderr).toMatch(/^Error: GET register failed: 127\.0\.0\.1:\d+ accepted the connection but sent no response within 1 s$/m)
    // The deadline was one second; before, the wait was five minutes.
    expect(waited(listed)).toBeGreaterThanOrEqual(0.9)
    expect(waited(listed)).toBeLessThan(10)
  }, 60_000)

  it("tools gives up after --timeout, saying so", async () => {
    const listed = await cli(["tools", "--url", `${silentUrl}/mcp`, "--timeout", "1"])
    expect(listed.code).not.toBe(0)
    expect(listed.stderr).toMatch(/^Error: Cannot reach http:\/\/127\.0\.0\.1:\d+\/mcp: .*accepted the connection but sent no response within 1 s$/m)
    expect(waited(listed)).toBeGreaterThanOrEqual(0.9)
    expect(waited(listed)).toBeLessThan(10)
  }, 60_000)

  it("the proxy answers the client's request with an error naming the deadline", async () => {
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }
    const proxied = await cli(["proxy", "--url", `${silentUrl}/mcp`, "--timeout", "0.5"], `${JSON.stringify(initialize)}\n`)
    const answer = JSON.parse(proxied.stdout.split("\n")[0]!) as { id: number; error: { code: number; message: string } }
    expect(answer).toMatchObject({ id: 1, error: { code: -32603 } })
    expect(answer.error.message).toMatch(/could not be reached: 127\.0\.0\.1:\d+ accepted the connection but sent no response within 0\.5 s/)
    expect(waited(proxied)).toBeLessThan(10)
  }, 60_000)

  it("a 2026-07-28 client's request through the proxy gets the same error", async () => {
    const [client, local] = InMemoryTransport.createLinkedPair()
    const answers: Array<JSONRPCMessage> = []
    const answered = new Promise<void>((resolve) => {
      client.onmessage = (message) => {
        answers.push(message)
        resolve()
      }
    })
    const signer = makeSigner({ region: "us-east-1", credentials: TEST_CREDENTIALS })
    const running = runProxy({ url: `${silentUrl}/mcp`, signer, local, timeouts: { connectMs: 1000, responseMs: 300 }, log: () => undefined })
    await client.start()
    const started = Date.now()
    await client.send({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/list",
      params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } }
    } as JSONRPCMessage)
    await answered
    expect(Date.now() - started).toBeLessThan(3000)
    expect(answers[0]).toMatchObject({ id: 7, error: { message: expect.stringMatching(/no response within 0\.3 s/) } })
    await client.close()
    await running
  }, 30_000)
})

describe("a server that cannot be reached", () => {
  it("a refused connection is said plainly", async () => {
    const listed = await cli(["list", "--url", `${refusedUrl}/`])
    expect(listed.code).not.toBe(0)
    expect(listed.stderr).toMatch(/Nothing accepts connections at 127\.0\.0\.1:\d+ \(connection refused\)/)
  }, 60_000)

  it("a connection that never completes ends at the connect deadline", async () => {
    // python3 (which moto needs) holds a listening socket that never accepts; its queue is full.
    const holder = spawn("python3", ["-c", [
      "import socket,sys,time",
      "s=socket.socket();s.bind(('127.0.0.1',0));s.listen(0)",
      "p=s.getsockname()[1];f=[]",
      "for i in range(4):\n c=socket.socket();c.setblocking(False)\n try: c.connect(('127.0.0.1',p))\n except BlockingIOError: pass\n f.append(c)",
      "time.sleep(0.3);print(p,flush=True);sys.stdin.read()"
    ].join("\n")], { stdio: ["pipe", "pipe", "inherit"] })
    try {
      const port = await new Promise<string>((resolve, reject) => {
        holder.on("error", reject)
        holder.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()))
      })
      const url = new URL(`http://127.0.0.1:${port}/register`)
      const started = Date.now()
      const error = await timedFetch(url, {}, { connectMs: 400, responseMs: 5000 }).then(() => undefined, (cause: unknown) => cause)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(error).toMatchObject({ name: "RemoteTimeout", message: `Could not connect to 127.0.0.1:${port} within 0.4 s` })
    } finally {
      holder.stdin.end()
      holder.kill()
    }
  }, 30_000)
})
