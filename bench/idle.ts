/**
 * `npm run bench` (part 3): what one connected but idle Streamable HTTP client costs, for the
 * short standing streams of this design against the long-lived stream of the previous one, on
 * DynamoDB Local with the Lambda function's default settings.
 *
 * - Short streams (`IDLE_STREAM_SECONDS` 2, `IDLE_STREAM_RETRY_SECONDS` 30): real `GET /mcp`
 *   requests through the MCP app, each resuming the last with `Last-Event-ID` as a client does,
 *   timed and counted until the server ends them. The client's wait in between costs nothing
 *   on the server (no invocation runs), so the bench does not sit through it: ten minutes are
 *   `600 / (open + retry)` such cycles.
 * - Long-lived stream (`IDLE_STREAM_SECONDS` 0): open for all ten minutes (a new invocation
 *   each `MAX_STREAM_SECONDS`); its DynamoDB requests are counted over ten minutes of a test clock.
 *
 * Costs use published on-demand prices (us-east-1, read 2026-11-29): Lambda arm64 duration
 * $0.0000133334 per GB-second and $0.20 per million requests; DynamoDB on-demand $0.125 per
 * million read request units and $0.625 per million write request units (each request counted
 * as one unit: the items read here are far below 4 KB).
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
import { layerMemory as inboxMemory } from "../src/layers/MemoryInbox.js"
import { layerMemory as subscriptionsMemory } from "../src/layers/MemorySubscriptionStore.js"
import { createTables, type TableNames } from "../src/layers/Tables.js"
import * as Catalog from "../src/mcp/Catalog.js"
import { sessionMessages } from "../src/mcp/Outbox.js"
import * as Sessions from "../src/mcp/Sessions.js"
import { RateLimiter } from "../src/services/RateLimiter.js"
import { SessionStore } from "../src/services/SessionStore.js"
import { DEFAULTS } from "../src/Settings.js"
import { startDynamoDbLocal, stop } from "../test/support/localServices.js"

process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"

const PRICES = {
  gbSecond: 0.0000133334,
  request: 0.2 / 1e6,
  readUnit: 0.125 / 1e6,
  writeUnit: 0.625 / 1e6
}
/** The MCP function's memory in template.yaml. */
const MEMORY_GB = 1024 / 1024
const MONTH_SECONDS = 30 * 24 * 3600
const WINDOW_SECONDS = 600
const CYCLES = 4
const TARGET_SHARE_OPEN = 0.1

const POLLING = {
  minPollInterval: Duration.millis(DEFAULTS.POLL_MIN_MS),
  maxPollInterval: Duration.millis(DEFAULTS.POLL_MAX_MS),
  registryWatchInterval: Duration.seconds(DEFAULTS.REGISTRY_WATCH_SECONDS)
}

const isWrite = (operation: string) => /update|append|touch|create|remove|put|delete|write/i.test(operation)

/** Counts every DynamoDB call, reads and writes apart. */
const counting = (endpoint: string) => {
  let reads = 0
  let writes = 0
  const layer = Layer.effect(
    DynamoDB.DynamoDB,
    Effect.map(DynamoDB.DynamoDB, (real) => ({
      send: (operation, call) =>
        Effect.suspend(() => {
          if (isWrite(operation)) writes++
          else reads++
          return real.send(operation, call)
        })
    } satisfies DynamoDB.DynamoDBShape))
  ).pipe(
    Layer.provide(DynamoDB.layer({ endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } }))
  )
  return { layer, counts: () => ({ reads, writes }) }
}

interface Usage {
  readonly streamSeconds: number
  readonly invocations: number
  readonly reads: number
  readonly writes: number
}

const monthlyCost = (usage: Usage) => {
  const scale = MONTH_SECONDS / WINDOW_SECONDS
  return scale * (
    usage.streamSeconds * MEMORY_GB * PRICES.gbSecond +
    usage.invocations * PRICES.request +
    usage.reads * PRICES.readUnit +
    usage.writes * PRICES.writeUnit
  )
}

const SSE_REQUEST = { accept: "text/event-stream", "mcp-protocol-version": "2025-11-25" }

/** Reads one SSE response to its end: how long it was open, its priming event's id and `retry`. */
const drain = async (response: Response, started: number) => {
  const text = await response.text()
  const id = /^id: ?(.*)$/m.exec(text)?.[1]
  const retry = /^retry: ?(\d+)$/m.exec(text)?.[1]
  return { seconds: (performance.now() - started) / 1000, id, retryMillis: retry === undefined ? undefined : Number(retry) }
}

/** Short streams: `CYCLES` real GET /mcp requests of one idle session, each resuming the last. */
const shortStreams = async (tables: TableNames, endpoint: string) => {
  const meter = counting(endpoint)
  const sessions = Sessions.layer(POLLING)
  const services = Layer.mergeAll(protocol(sessions), RateLimiter.unlimited, Caller.local, Authenticator.iam).pipe(
    Layer.provideMerge(Layer.mergeAll(
      DynamoDBRegistry.layer({ tableName: tables.registrations }),
      DynamoDBSessionStore.layer({ tableName: tables.sessions }),
      layerLocal(new Map()),
      subscriptionsMemory,
      inboxMemory
    ).pipe(Layer.provide(meter.layer))),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  const app = HttpApp.toWebHandlerLayer(McpApi.make(), services)
  try {
    const post = (body: unknown, sessionId?: string) =>
      app.handler(new Request("http://bench/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" })
        },
        body: JSON.stringify(body)
      }))
    const init = await post({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } }
    })
    const sessionId = init.headers.get("mcp-session-id")!
    await init.text()
    await (await post({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)).text()

    const cycles: Array<Usage & { readonly retryMillis: number }> = []
    let lastEventId: string | undefined
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const before = meter.counts()
      const started = performance.now()
      const response = await app.handler(new Request("http://bench/mcp", {
        headers: { ...SSE_REQUEST, "mcp-session-id": sessionId, ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }) }
      }))
      if (response.status !== 200) throw new Error(`GET /mcp answered ${response.status}`)
      const { id, retryMillis, seconds } = await drain(response, started)
      lastEventId = id ?? lastEventId
      const after = meter.counts()
      cycles.push({
        streamSeconds: seconds,
        invocations: 1,
        reads: after.reads - before.reads,
        writes: after.writes - before.writes,
        retryMillis: retryMillis ?? 0
      })
    }
    return cycles
  } finally {
    await app.dispose()
  }
}

/** Long-lived stream: DynamoDB requests of one idle session stream over ten minutes of a test clock. */
const longStream = (tables: TableNames, endpoint: string) => {
  const meter = counting(endpoint)
  const program = Effect.gen(function* () {
    const store = yield* SessionStore
    const id = `bench-idle-long-${Date.now()}` as SessionId
    yield* store.create({ id, principal: "bench", transport: "streamable-http", protocolVersion: "2025-11-25", initialized: true })
    const before = meter.counts()
    // The GET's own read of its session, then the stream.
    yield* store.get(id)
    const fiber = yield* Effect.fork(Stream.runDrain(sessionMessages(id, 0, POLLING)))
    for (let second = 0; second < WINDOW_SECONDS; second++) {
      yield* TestClock.adjust(Duration.seconds(1))
      // Real time for DynamoDB Local's answers.
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
    yield* Fiber.interrupt(fiber)
    const after = meter.counts()
    return { reads: after.reads - before.reads, writes: after.writes - before.writes }
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

const row = (label: string, usage: Usage) =>
  `  ${label.padEnd(22)} open ${usage.streamSeconds.toFixed(1).padStart(6)} s   invocations ${usage.invocations.toFixed(1).padStart(5)}   ` +
  `DynamoDB ${usage.reads.toFixed(0).padStart(4)} reads ${usage.writes.toFixed(0).padStart(3)} writes   ` +
  `$${monthlyCost(usage).toFixed(3)} per client-month`

const main = async () => {
  const children: Array<ChildProcess> = []
  try {
    const endpoint = await startDynamoDbLocal(children, (what, why) => {
      throw new Error(`${what}: ${why}`)
    })
    const tables: TableNames = { registrations: `bench-idle-reg-${Date.now()}`, sessions: `bench-idle-sess-${Date.now()}` }
    await Effect.runPromise(createTables(tables).pipe(Effect.provide(counting(endpoint).layer)))

    const cycles = await shortStreams(tables, endpoint)
    // The first stream of a session also records what it saw of the registry (one write).
    const steady = cycles.slice(1)
    const mean = (pick: (usage: Usage) => number) => steady.reduce((sum, usage) => sum + pick(usage), 0) / steady.length
    const open = mean((usage) => usage.streamSeconds)
    const retrySeconds = steady[0]!.retryMillis / 1000
    const perWindow = WINDOW_SECONDS / (open + retrySeconds)
    const short: Usage = {
      streamSeconds: perWindow * open,
      invocations: perWindow,
      reads: perWindow * mean((usage) => usage.reads),
      writes: perWindow * mean((usage) => usage.writes)
    }
    const longCounts = await longStream(tables, endpoint)
    const long: Usage = {
      streamSeconds: WINDOW_SECONDS,
      invocations: WINDOW_SECONDS / DEFAULTS.MAX_STREAM_SECONDS,
      ...longCounts
    }
    const share = short.streamSeconds / WINDOW_SECONDS
    console.log(`Idle Streamable HTTP client, per 10 minutes (DynamoDB Local; ${MEMORY_GB * 1024} MB arm64 prices)`)
    console.log(`  short streams: each open ${open.toFixed(2)} s, retry ${retrySeconds} s; first stream ${cycles[0]!.reads} reads, ${cycles[0]!.writes} writes`)
    console.log(row("short streams", short))
    console.log(row("long-lived stream", long))
    console.log(`  ratio (short / long-lived): cost ${(monthlyCost(short) / monthlyCost(long)).toFixed(3)}   ` +
      `open ${(short.streamSeconds / long.streamSeconds).toFixed(3)}   DynamoDB ${((short.reads + short.writes) / (long.reads + long.writes)).toFixed(3)}`)
    console.log(`  share of time a stream is open ≤ ${TARGET_SHARE_OPEN * 100} %: ${(share * 100).toFixed(1)} % ${share <= TARGET_SHARE_OPEN ? "(met)" : "(MISSED)"}`)
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
