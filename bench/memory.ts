/**
 * `npm run bench` (part 4): how much memory the MCP function needs. Lambda gives a function CPU
 * in proportion to its memory (1,769 MB is one vCPU), so a smaller setting costs less per
 * second but runs CPU-bound work longer.
 *
 * - Peak RSS (`VmHWM`) of the server under load: `dev` (the same engine and HTTP app as the
 *   Lambda handler, memory store, the example functions in-process) serving 50 concurrent
 *   clients, each making `CALLS` `tools/call` requests; with the CPU time it used per request.
 * - Cold start: CPU time and peak RSS of a fresh process importing the MCP bundle and answering
 *   its first request (`/health`).
 * - Then, per memory size, a model (not a measurement on Lambda): CPU-bound time stretched by
 *   the CPU share (`cpu / min(1, MB / 1769)`), for the cold start and for each request.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { lastLine, LAMBDA_ENV, median, peakRssMiB, quantile, runNode, serverUrl, stopServer } from "./support.js"

const CLIENTS = 50
const CALLS = 20
const SIZES = [256, 512, 1024, 1769]
const TICKS_PER_SECOND = 100

/** CPU time (user + system) of a process so far, in ms. */
const cpuMillis = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000
}

const startDev = async () => {
  const child = spawn(process.execPath, [resolve("dist/cli/bin.js"), "dev", "--port", "0"], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, LOG_LEVEL: "WARNING" }
  })
  return { child, url: await serverUrl(child) }
}

const rpc = async (url: string, body: unknown, sessionId?: string) => {
  const response = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" })
    },
    body: JSON.stringify(body)
  })
  return { response, text: await response.text() }
}

const underLoad = async () => {
  const { child, url } = await startDev()
  try {
    const { response } = await rpc(url, {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } }
    })
    const sessionId = response.headers.get("mcp-session-id")!
    await rpc(url, { jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)
    const idleRss = peakRssMiB(child.pid!)
    const cpuBefore = cpuMillis(child.pid!)
    const latencies: Array<number> = []
    await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
      for (let call = 0; call < CALLS; call++) {
        const started = performance.now()
        const { text } = await rpc(url, {
          jsonrpc: "2.0",
          id: client * CALLS + call + 1,
          method: "tools/call",
          params: { name: "weather", arguments: { city: "Lisbon", days: 1 } }
        }, sessionId)
        if (!text.includes("Lisbon")) throw new Error(`unexpected answer: ${text.slice(0, 200)}`)
        latencies.push(performance.now() - started)
      }
    }))
    const cpuPerRequest = (cpuMillis(child.pid!) - cpuBefore) / (CLIENTS * CALLS)
    latencies.sort((a, b) => a - b)
    return { idleRss, peakRss: peakRssMiB(child.pid!), cpuPerRequest, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }
  } finally {
    await stopServer(child)
  }
}

/** CPU time and peak RSS of a fresh process importing the MCP bundle and answering `/health`. */
const coldStart = async () => {
  const script = `
    const { handler } = await import(${JSON.stringify(resolve("dist/lambda/mcp/index.mjs"))})
    await handler({ rawPath: "/health", headers: {}, requestContext: { http: { method: "GET" } } }, { getRemainingTimeInMillis: () => 30000 })
    const { user, system } = process.cpuUsage()
    const peak = Number(/VmHWM:\\s+(\\d+) kB/.exec((await import("node:fs")).readFileSync("/proc/self/status", "utf8"))[1]) / 1024
    console.log(JSON.stringify({ cpu: (user + system) / 1000, peak }))
  `
  const runs: Array<{ cpu: number; peak: number }> = []
  for (let run = 0; run < 5; run++) {
    runs.push(JSON.parse(lastLine(await runNode(["--input-type=module", "-e", script], { ...process.env, ...LAMBDA_ENV }))))
  }
  return { cpu: median(runs.map((run) => run.cpu)), peak: median(runs.map((run) => run.peak)) }
}

const load = await underLoad()
const cold = await coldStart()
console.log(`MCP function memory (${CLIENTS} concurrent clients × ${CALLS} tools/call on dev; cold start: median of 5 fresh processes)`)
console.log(`  peak RSS: idle ${load.idleRss.toFixed(0)} MiB, under load ${load.peakRss.toFixed(0)} MiB; cold start ${cold.peak.toFixed(0)} MiB`)
console.log(`  CPU: ${load.cpuPerRequest.toFixed(2)} ms per tools/call (p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms at ${CLIENTS} concurrent); cold start ${cold.cpu.toFixed(0)} ms`)
console.log("  model per memory size (CPU time ÷ CPU share):")
for (const size of SIZES) {
  const share = Math.min(1, size / 1769)
  const fits = load.peakRss < size * 0.8 ? "fits" : "TOO SMALL"
  console.log(
    `    ${String(size).padStart(5)} MB  share ${share.toFixed(2)}  cold start ≈ ${(cold.cpu / share).toFixed(0).padStart(5)} ms  ` +
      `CPU per tools/call ≈ ${(load.cpuPerRequest / share).toFixed(1).padStart(5)} ms  idle-stream cost ×${(size / 1024).toFixed(2)}  peak RSS ${fits}`
  )
}
