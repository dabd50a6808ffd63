/**
 * Short standing streams (issue 16): an idle 2025-11-25 client holds its `GET /mcp` stream open
 * only briefly — the server ends it after the idle window, having told the client (priming
 * event `retry`) when to come back — and still hears of registration changes, including those
 * made while no stream was open. Checked with the official clients, SDK v1 and SDK v2 (its
 * 2025 `legacy` negotiation), through a fetch that times each GET stream from its answer to
 * its end; neither client may report an error.
 *
 * The server's window and retry are scaled down (250 ms and 4 s, against the defaults' 2 s and
 * 30 s: about the same share of time open) so the idle period fits a test; `IDLE_SECONDS`,
 * `IDLE_WINDOW_MS` and `IDLE_RETRY_MS` set them (e.g. 120, 2000 and 30000: the issue's two
 * minutes at the defaults).
 */
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from "@modelcontextprotocol/client"
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startDevServer } from "../support/servers.js"

const WINDOW_MS = Number(process.env["IDLE_WINDOW_MS"] ?? 250)
const RETRY_MS = Number(process.env["IDLE_RETRY_MS"] ?? 4_000)
const IDLE_MS = Number(process.env["IDLE_SECONDS"] ?? 18) * 1000

/** A fetch that times every GET stream: from its answer to the end of its body (now, if still open). */
const timingFetch = () => {
  const intervals: Array<{ readonly opened: number; closed: number | undefined; status: number }> = []
  const fetchTimed = async (url: string | URL, init?: RequestInit) => {
    const response = await fetch(url, init)
    if ((init?.method ?? "GET") !== "GET" || response.body === null) return response
    const interval = { opened: performance.now(), closed: undefined as number | undefined, status: response.status }
    intervals.push(interval)
    const close = () => {
      interval.closed ??= performance.now()
    }
    const reader = response.body.getReader()
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) {
            close()
            controller.close()
          } else controller.enqueue(value)
        } catch (error) {
          close()
          controller.error(error)
        }
      },
      cancel(reason) {
        close()
        return reader.cancel(reason)
      }
    })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  /** Milliseconds any GET stream was open between `from` and `to`. */
  const openBetween = (from: number, to: number) =>
    intervals.reduce((sum, { closed, opened }) => sum + Math.max(0, Math.min(closed ?? to, to) - Math.max(opened, from)), 0)
  return { fetch: fetchTimed, intervals, openBetween }
}

let server: RunningServer

beforeAll(async () => {
  server = await startDevServer({ idleStreamWindow: WINDOW_MS, idleStreamRetry: RETRY_MS })
})
afterAll(() => server?.close())

const register = async (name: string) => {
  const response = await fetch(`${server.url}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      type: "tool",
      name,
      description: "Added while the client was idle",
      lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:weather",
      parameters: { city: "string" }
    })
  })
  expect(response.status).toBe(201)
}

const clients = {
  "SDK v1": async (fetchTimed: typeof fetch) => {
    const client = new V1Client({ name: "idle-v1", version: "1.0.0" })
    const errors: Array<unknown> = []
    client.onerror = (error) => errors.push(error)
    await client.connect(new V1Transport(new URL(`${server.url}/mcp`), { fetch: fetchTimed }))
    let changed = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++
    })
    return { errors, changes: () => changed, close: () => client.close() }
  },
  "SDK v2": async (fetchTimed: typeof fetch) => {
    const client = new V2Client({ name: "idle-v2", version: "2.0.0" }, { versionNegotiation: { mode: "legacy" } })
    const errors: Array<unknown> = []
    client.onerror = (error) => errors.push(error)
    await client.connect(new V2Transport(new URL(`${server.url}/mcp`), { fetch: fetchTimed }))
    let changed = 0
    client.setNotificationHandler("notifications/tools/list_changed", () => {
      changed++
    })
    return { errors, changes: () => changed, close: () => client.close() }
  }
} as const

describe.each(Object.keys(clients) as Array<keyof typeof clients>)("%s left idle on the dev server", (name) => {
  it("holds its stream open for a small share of the time, keeps coming back, and hears of a change made meanwhile", async () => {
    const timed = timingFetch()
    const client = await clients[name](timed.fetch as typeof fetch)
    try {
      const from = performance.now()
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
      const to = performance.now()
      const share = timed.openBetween(from, to) / (to - from)
      if (process.env["IDLE_REPORT"] !== undefined) console.log(`${name}: ${timed.intervals.length} streams, open ${(share * 100).toFixed(1)} %`)
      // Every stream was answered 200, ended by the server, and reopened: at least one per retry.
      expect(timed.intervals.every((interval) => interval.status === 200)).toBe(true)
      expect(timed.intervals.length).toBeGreaterThanOrEqual(Math.floor(IDLE_MS / (RETRY_MS + WINDOW_MS)))
      expect(share).toBeLessThanOrEqual(0.1)

      // A change made while no stream is open reaches the client when it comes back.
      await expect.poll(() => timed.intervals.at(-1)?.closed !== undefined, { timeout: 5_000 }).toBe(true)
      const changedAt = performance.now()
      await register(`idle_${name.replace(/\W/g, "").toLowerCase()}`)
      await expect.poll(client.changes, { timeout: RETRY_MS + 5_000, interval: 50 }).toBeGreaterThan(0)
      const delay = performance.now() - changedAt
      if (process.env["IDLE_REPORT"] !== undefined) console.log(`${name}: list_changed ${(delay / 1000).toFixed(1)} s after the change`)
      expect(delay).toBeLessThanOrEqual(RETRY_MS + 5_000)
      expect(client.errors).toEqual([])
    } finally {
      await client.close()
    }
  }, IDLE_MS + 30_000)
})
