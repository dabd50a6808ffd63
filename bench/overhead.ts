/**
 * `npm run bench` (issue 13, overhead): `dev` (memory store, a local `adder` function) against
 * the MCP SDK's own `McpServer` + `StreamableHTTPServerTransport` serving the same tool on
 * node:http (`bench/yardstick/server.mjs`), each in its own process, under the same load:
 * `CLIENTS` concurrent clients, each with its own session, making `CALLS` `tools/call` in all,
 * each answer checked. Throughput, p50 and p99 latency, the server's CPU time per call (steadier
 * than throughput on a shared machine) and its peak RSS (`VmHWM`);
 * `ROUNDS` rounds, the servers taken in turn, a fresh process each; medians.
 *
 * Targets (issue 13): `dev` throughput ≥ 1.0× the reference server's, p50 ≤ 1.0×.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { cpuMillis, median, met, peakRssMiB, quantile, serverUrl, stopServer } from "./support.js"
import { answerText } from "../test/support/sse.js"

export const CLIENTS = 8
export const CALLS = Number(process.env["BENCH_CALLS"] ?? 3000)
/** Calls per client before measuring: the JIT warm, and each session's first request out of the figures. */
const WARMUP = 25
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3)
const PROTOCOL_VERSION = "2025-11-25"

const ADDER = `export const handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ content: [{ type: "text", text: String(event.args.a + event.args.b) }] })
})
`
const SEED = [{
  type: "tool",
  name: "adder",
  description: "Adds two numbers",
  lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:adder",
  inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] }
}]

export interface Served {
  readonly child: ChildProcess
  readonly url: string
}

/** `node dist/cli/bin.js dev` on a free port with the `adder` function only; `nodeOptions` e.g. `--cpu-prof`. */
export const serveDev = async (nodeOptions: ReadonlyArray<string> = []): Promise<Served> => {
  const dir = mkdtempSync(join(tmpdir(), "bench-dev-"))
  mkdirSync(join(dir, "functions"))
  writeFileSync(join(dir, "functions", "adder.mjs"), ADDER)
  writeFileSync(join(dir, "registrations.json"), JSON.stringify(SEED))
  const child = spawn(
    process.execPath,
    [...nodeOptions, resolve("dist/cli/bin.js"), "dev", "--port", "0", "--functions", join(dir, "functions"), "--seed", join(dir, "registrations.json")],
    { stdio: ["ignore", "pipe", "pipe"] }
  )
  return { child, url: await serverUrl(child) }
}

/**
 * The Effect floor (`bench/yardstick/effectFloor.mjs`): the same exchange on `@effect/platform-node`
 * with none of this project's code — what the runtime and the platform's server cost by themselves.
 */
export const serveFloor = async (nodeOptions: ReadonlyArray<string> = []): Promise<Served> => {
  const child = spawn(process.execPath, [...nodeOptions, resolve("bench/yardstick/effectFloor.mjs")], { stdio: ["ignore", "pipe", "pipe"] })
  return { child, url: await serverUrl(child) }
}

/** The SDK's reference server on a free port. */
export const serveReference = async (nodeOptions: ReadonlyArray<string> = []): Promise<Served> => {
  const child = spawn(process.execPath, [...nodeOptions, resolve("bench/yardstick/server.mjs")], { stdio: ["ignore", "pipe", "pipe"] })
  return { child, url: await serverUrl(child) }
}

const post = async (url: string, body: unknown, sessionId?: string) => {
  const response = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId, "mcp-protocol-version": PROTOCOL_VERSION })
    },
    body: JSON.stringify(body)
  })
  return { response, text: await response.text() }
}

/** The JSON-RPC message of an answer. */
const message = (text: string) => {
  return JSON.parse(answerText(text)) as { readonly id?: number; readonly result?: { readonly content?: ReadonlyArray<{ readonly text?: string }> } }
}

const session = async (url: string) => {
  const { response } = await post(url, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } }
  })
  const id = response.headers.get("mcp-session-id")
  if (id === null) throw new Error(`initialize answered ${response.status} without a session`)
  await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, id)
  return id
}

/** One checked `tools/call`; its latency in ms. */
const add = async (url: string, sessionId: string, id: number) => {
  const a = id % 1000
  const b = 7
  const started = performance.now()
  const { response, text } = await post(url, { jsonrpc: "2.0", id, method: "tools/call", params: { name: "adder", arguments: { a, b } } }, sessionId)
  const elapsed = performance.now() - started
  const answer = response.ok ? message(text) : undefined
  if (answer?.id !== id || answer.result?.content?.[0]?.text !== String(a + b)) {
    throw new Error(`tools/call ${id} answered ${response.status}: ${text.slice(0, 300)}`)
  }
  return elapsed
}

/** The load: `CLIENTS` sessions sharing `calls` `tools/call`; throughput (per s) and latencies (ms). */
export const drive = async (url: string, calls = CALLS) => {
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => session(url)))
  await Promise.all(sessions.map(async (sessionId, client) => {
    for (let i = 0; i < WARMUP; i++) await add(url, sessionId, 1_000_000 + client * WARMUP + i)
  }))
  let next = 0
  const latencies: Array<number> = []
  const started = performance.now()
  await Promise.all(sessions.map(async (sessionId) => {
    while (next < calls) latencies.push(await add(url, sessionId, ++next))
  }))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return { throughput: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }
}

const round = async (serve: () => Promise<Served>) => {
  const { child, url } = await serve()
  try {
    const cpuBefore = cpuMillis(child.pid!)
    const figures = await drive(url)
    // Every request the load made: initialize and initialized per session, the warm-up, the calls.
    const requests = CLIENTS * (2 + WARMUP) + CALLS
    return { ...figures, cpu: (cpuMillis(child.pid!) - cpuBefore) / requests, rss: peakRssMiB(child.pid!) }
  } finally {
    await stopServer(child)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const servers = { dev: () => serveDev(), reference: () => serveReference(), floor: () => serveFloor() }
  const rounds = {
    dev: [] as Array<Awaited<ReturnType<typeof round>>>,
    reference: [] as Array<Awaited<ReturnType<typeof round>>>,
    floor: [] as Array<Awaited<ReturnType<typeof round>>>
  }
  for (let i = 0; i < ROUNDS; i++) {
    rounds.dev.push(await round(servers.dev))
    rounds.reference.push(await round(servers.reference))
    rounds.floor.push(await round(servers.floor))
  }
  const of = (name: keyof typeof rounds) => {
    const runs = rounds[name]
    return {
      throughput: median(runs.map((run) => run.throughput)),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
      cpu: median(runs.map((run) => run.cpu)),
      rss: median(runs.map((run) => run.rss))
    }
  }
  const dev = of("dev")
  const reference = of("reference")
  const floor = of("floor")
  console.log(`Overhead (${CLIENTS} concurrent clients, ${CALLS} tools/call of a local adder, answers checked; median of ${ROUNDS} rounds)`)
  for (const [name, figures] of [["dev", dev], ["SDK reference", reference], ["Effect floor", floor]] as const) {
    console.log(
      `  ${name.padEnd(14)} ${figures.throughput.toFixed(0).padStart(6)} req/s   p50 ${figures.p50.toFixed(2).padStart(6)} ms   ` +
        `p99 ${figures.p99.toFixed(2).padStart(6)} ms   CPU ${figures.cpu.toFixed(2)} ms/request   peak RSS ${figures.rss.toFixed(0)} MiB`
    )
  }
  const throughput = dev.throughput / reference.throughput
  const p50 = dev.p50 / reference.p50
  console.log(
    `  ratio dev / reference: throughput ${throughput.toFixed(2)} (≥ 1.0: ${met(throughput >= 1)})   p50 ${p50.toFixed(2)} (≤ 1.0: ${met(p50 <= 1)})   ` +
      `p99 ${(dev.p99 / reference.p99).toFixed(2)}   CPU per request ${(dev.cpu / reference.cpu).toFixed(2)}   peak RSS ${(dev.rss / reference.rss).toFixed(2)} (+${(dev.rss - reference.rss).toFixed(0)} MiB)`
  )
  // Not a target: how much of the gap the runtime and the platform's server take by themselves.
  console.log(
    `  Effect floor / reference: throughput ${(floor.throughput / reference.throughput).toFixed(2)}   p50 ${(floor.p50 / reference.p50).toFixed(2)}   ` +
      `CPU per request ${(floor.cpu / reference.cpu).toFixed(2)}   (the same exchange on effect + @effect/platform-node, no code of ours)`
  )
  console.log(
    `  dev / Effect floor:       throughput ${(dev.throughput / floor.throughput).toFixed(2)}   p50 ${(dev.p50 / floor.p50).toFixed(2)}   ` +
      `CPU per request ${(dev.cpu / floor.cpu).toFixed(2)}   (what this project's code adds on top)`
  )
  console.log("")
}
