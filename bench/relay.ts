/**
 * `npm run bench`: the legacy relay and DynamoDB request counts, on DynamoDB Local.
 *
 * - Relay latency: POST /message accepted → its response event on the GET /sse stream, for
 *   tools/call messages sent one after another; p50 and p99. The baseline, run in the same
 *   process on the same tables, is the original design: the stream polls once a second.
 * - DynamoDB requests per operation: tools/call over Streamable HTTP (the POST) and over the
 *   legacy transport (the POST, plus the stream's reads until delivery).
 * - Idle stream: DynamoDB requests per session-minute over six minutes of an idle GET /sse,
 *   on a test clock (so six minutes take seconds), against the baseline's 60.
 *
 * Targets (issue 13): relay p50 ≤ 50 ms and p99 ≤ 150 ms; idle ≤ 12 requests per session-minute
 * after the first minute. `BENCH_POLL_MIN_MS` tries another `POLL_MIN_MS` than the default.
 */
import type { ChildProcess } from "node:child_process"
import { HttpApp } from "@effect/platform"
import { Duration, Effect, Fiber, Layer, Logger, LogLevel, Stream, TestClock, TestContext } from "effect"
import type { SessionId } from "../src/domain/Session.js"
import { Authenticator } from "../src/http/Authentication.js"
import { Caller } from "../src/http/HostContext.js"
import * as McpApi from "../src/http/McpApi.js"
import { protocol } from "../src/hosts/Core.js"
import * as DynamoDB from "../src/layers/DynamoDB.js"
import * as DynamoDBRegistry from "../src/layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../src/layers/DynamoDBSessionStore.js"
import { layerLocal } from "../src/layers/LocalFunctionInvoker.js"
import { layerMemory as subscriptionsMemory } from "../src/layers/MemorySubscriptionStore.js"
import { layerMemory as inboxMemory } from "../src/layers/MemoryInbox.js"
import { createTables, type TableNames } from "../src/layers/Tables.js"
import * as Catalog from "../src/mcp/Catalog.js"
import { sessionMessages } from "../src/mcp/Outbox.js"
import * as Sessions from "../src/mcp/Sessions.js"
import { RateLimiter } from "../src/services/RateLimiter.js"
import { Registry } from "../src/services/Registry.js"
import { SessionStore } from "../src/services/SessionStore.js"
import * as Settings from "../src/Settings.js"
import { startDynamoDbLocal, stop } from "../test/support/localServices.js"
import { readSse } from "../test/support/sse.js"

process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"

const MESSAGES = Number(process.env["BENCH_MESSAGES"] ?? 200)
const TARGET_P50_MS = 50
const TARGET_P99_MS = 150
const TARGET_IDLE_PER_MINUTE = 12

/** The AWS defaults of the MCP function (src/Settings.ts). */
const LAMBDA_POLLING = {
  minPollInterval: Duration.millis(Number(process.env["BENCH_POLL_MIN_MS"] ?? Settings.DEFAULTS.POLL_MIN_MS)),
  maxPollInterval: Duration.millis(Settings.DEFAULTS.POLL_MAX_MS)
}
/** The original design: one poll a second, whatever happens. */
const BASELINE_POLLING = { minPollInterval: Duration.seconds(1), maxPollInterval: Duration.seconds(1) }

/** Counts every DynamoDB call by operation. */
const counting = (endpoint: string) => {
  const counts = new Map<string, number>()
  const total = () => [...counts.values()].reduce((a, b) => a + b, 0)
  const layer = Layer.effect(
    DynamoDB.DynamoDB,
    Effect.map(DynamoDB.DynamoDB, (real) => ({
      send: (operation, call) =>
        Effect.suspend(() => {
          counts.set(operation, (counts.get(operation) ?? 0) + 1)
          return real.send(operation, call)
        })
    } satisfies DynamoDB.DynamoDBShape))
  ).pipe(
    Layer.provide(DynamoDB.layer({ endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } }))
  )
  return { layer, counts, total }
}

const stores = (tables: TableNames, dynamo: Layer.Layer<DynamoDB.DynamoDB>) =>
  Layer.merge(
    DynamoDBRegistry.layer({ tableName: tables.registrations }),
    DynamoDBSessionStore.layer({ tableName: tables.sessions })
  ).pipe(Layer.provide(dynamo))

const echo = async (event: unknown) => ({ echoed: (event as { args: unknown }).args })

const appFor = (tables: TableNames, dynamo: Layer.Layer<DynamoDB.DynamoDB>, polling: typeof LAMBDA_POLLING) => {
  const sessions = Sessions.layer({ ...polling, registryWatchInterval: Duration.seconds(60) })
  const services = Layer.mergeAll(protocol(sessions), RateLimiter.unlimited, Caller.local, Authenticator.iam).pipe(
    Layer.provideMerge(Layer.mergeAll(stores(tables, dynamo), layerLocal(new Map([["echo", echo]])), subscriptionsMemory, inboxMemory)),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  return HttpApp.toWebHandlerLayer(McpApi.make(), services)
}

const quantile = (sorted: ReadonlyArray<number>, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

const call = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: { n: id } }
})

/** Relay latencies (ms) of `count` tools/call messages over the legacy transport. */
const relay = async (handler: (request: Request) => Promise<Response>, count: number) => {
  const stream = readSse(await handler(new Request("http://bench/sse")))
  await stream.until((events) => events.some((event) => event.event === "endpoint"))
  const endpoint = stream.events.find((event) => event.event === "endpoint")!.data
  const latencies: Array<number> = []
  for (let i = 1; i <= count; i++) {
    const started = performance.now()
    const response = await handler(new Request(`http://bench${endpoint}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(call(i))
    }))
    if (response.status !== 202) throw new Error(`POST /message answered ${response.status}`)
    await stream.until((events) => events.some((event) => event.event === "message" && JSON.parse(event.data).id === i), 30_000)
    latencies.push(performance.now() - started)
  }
  await stream.cancel()
  return latencies.sort((a, b) => a - b)
}

/** DynamoDB requests for one tools/call on each transport. */
const requestsPerCall = async (
  handler: (request: Request) => Promise<Response>,
  total: () => number
) => {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" }
  const init = await handler(new Request("http://bench/mcp", {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } }
    })
  }))
  const sessionId = init.headers.get("mcp-session-id")!
  const before = total()
  const answered = await handler(new Request("http://bench/mcp", {
    method: "POST",
    headers: { ...headers, "mcp-session-id": sessionId },
    body: JSON.stringify(call(1))
  }))
  await answered.text()
  const streamable = total() - before

  const stream = readSse(await handler(new Request("http://bench/sse")))
  await stream.until((events) => events.some((event) => event.event === "endpoint"))
  const endpoint = stream.events.find((event) => event.event === "endpoint")!.data
  // Let the new stream settle into its idle backoff, as a session does between calls.
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const legacyBefore = total()
  await handler(new Request(`http://bench${endpoint}`, { method: "POST", headers, body: JSON.stringify(call(2)) }))
  const postOnly = total() - legacyBefore
  await stream.until((events) => events.some((event) => event.event === "message"))
  const legacy = total() - legacyBefore
  await stream.cancel()
  return { streamable, legacyPost: postOnly, legacy }
}

/** DynamoDB requests in each minute of an idle stream, on a test clock. */
const idlePerMinute = (tables: TableNames, endpoint: string, polling: typeof LAMBDA_POLLING, minutes: number) => {
  const meter = counting(endpoint)
  const program = Effect.gen(function* () {
    const sessions = yield* SessionStore
    const id = `bench-idle-${Date.now()}-${Math.random().toString(36).slice(2)}` as SessionId
    // A TTL longer than the run: the session must stay live while idle.
    yield* sessions.create({ id, principal: "bench", transport: "sse", protocolVersion: "2024-11-05", initialized: true })
    const start = meter.total()
    const stream = sessionMessages(id, 0, { ...polling, registryWatchInterval: Duration.seconds(60) })
    const fiber = yield* Effect.fork(Stream.runDrain(stream))
    const perMinute: Array<number> = []
    let last = start
    for (let minute = 0; minute < minutes; minute++) {
      // One test-clock second at a time, with real time in between for DynamoDB's answers.
      for (let second = 0; second < 60; second++) {
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 15)))
      }
      perMinute.push(meter.total() - last)
      last = meter.total()
    }
    yield* Fiber.interrupt(fiber)
    return perMinute
  })
  const layer = Layer.provideMerge(
    Catalog.layer,
    Layer.merge(
      DynamoDBSessionStore.layer({ tableName: tables.sessions, ttl: Duration.hours(2) }),
      DynamoDBRegistry.layer({ tableName: tables.registrations })
    )
  ).pipe(Layer.provide(meter.layer))
  return Effect.runPromise(program.pipe(Effect.provide(layer), Effect.provide(TestContext.TestContext)))
}

const main = async () => {
  const children: Array<ChildProcess> = []
  try {
    const endpoint = await startDynamoDbLocal(children, (what, why) => {
      throw new Error(`${what}: ${why}`)
    })
    const tables: TableNames = { registrations: `bench-registrations-${Date.now()}`, sessions: `bench-sessions-${Date.now()}` }
    const meter = counting(endpoint)
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* createTables(tables)
        const registry = yield* Registry
        yield* registry.create({
          type: "tool",
          name: "echo",
          description: "Echoes its arguments",
          lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:echo",
          inputSchema: { type: "object", properties: { n: { type: "integer" } } }
        } as never)
      }).pipe(Effect.provide(Layer.provideMerge(DynamoDBRegistry.layer({ tableName: tables.registrations }), meter.layer)))
    )

    const ours = appFor(tables, meter.layer, LAMBDA_POLLING)
    const baseline = appFor(tables, meter.layer, BASELINE_POLLING)
    const baselineCount = Math.min(MESSAGES, 30)

    console.log(`mcp-lambda-sam bench (DynamoDB Local, ${MESSAGES} messages; baseline ${baselineCount})\n`)
    const oursLatency = await relay(ours.handler, MESSAGES)
    const baseLatency = await relay(baseline.handler, baselineCount)
    const p50 = quantile(oursLatency, 0.5)
    const p99 = quantile(oursLatency, 0.99)
    const b50 = quantile(baseLatency, 0.5)
    const b99 = quantile(baseLatency, 0.99)
    console.log("Legacy relay latency (POST accepted → response event on the stream)")
    console.log(`  this design:   p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms`)
    console.log(`  baseline (1 s polling): p50 ${b50.toFixed(1)} ms   p99 ${b99.toFixed(1)} ms`)
    console.log(`  ratio (this / baseline): p50 ${(p50 / b50).toFixed(3)}   p99 ${(p99 / b99).toFixed(3)}`)
    console.log(
      `  targets: p50 ≤ ${TARGET_P50_MS} ms ${p50 <= TARGET_P50_MS ? "met" : "MISSED"}   p99 ≤ ${TARGET_P99_MS} ms ${p99 <= TARGET_P99_MS ? "met" : "MISSED"}\n`
    )

    const perCall = await requestsPerCall(ours.handler, meter.total)
    console.log("DynamoDB requests per tools/call (REGISTRY_STAMP_CACHE_MS=0, the library default: the registry stamp read on every call; the template's 1 s cache: bench/dynamodb.ts)")
    console.log(`  Streamable HTTP (POST /mcp):               ${perCall.streamable}`)
    console.log(`  legacy SSE (POST /message):                ${perCall.legacyPost}`)
    console.log(`  legacy SSE (POST + stream reads to delivery): ${perCall.legacy}\n`)

    const minutes = 6
    const idle = await idlePerMinute(tables, endpoint, LAMBDA_POLLING, minutes)
    const idleBaseline = await idlePerMinute(tables, endpoint, BASELINE_POLLING, 2)
    const steady = idle.slice(1)
    const worst = Math.max(...steady)
    console.log(`Idle SSE stream: DynamoDB requests per session-minute (minutes 1–${minutes}, test clock)`)
    console.log(`  this design:            ${idle.join(", ")}`)
    console.log(`  baseline (1 s polling): ${idleBaseline.join(", ")}`)
    console.log(`  ratio after the first minute (worst / baseline): ${(worst / idleBaseline[1]!).toFixed(3)}`)
    console.log(`  target ≤ ${TARGET_IDLE_PER_MINUTE} after the first minute: ${worst <= TARGET_IDLE_PER_MINUTE ? "met" : "MISSED"}`)
    await ours.dispose()
    await baseline.dispose()
  } finally {
    await Promise.all(children.map(stop))
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
