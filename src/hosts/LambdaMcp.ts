/**
 * Where the MCP function's runtime is wired (MainRegistration.ts wires the other function, so
 * its bundle carries no MCP engine or Lambda client): its layers, configured from the environment. Building them creates SDK clients only — no network I/O — so a cold
 * start cannot cache a failed build.
 */
import type { HttpApp } from "@effect/platform"
import { Config, Context, Duration, Effect, Layer, Option } from "effect"
import * as McpApi from "../http/McpApi.js"
import * as Engine from "../mcp/Engine.js"
import type { Registry } from "../services/Registry.js"
import type { SessionStore } from "../services/SessionStore.js"
import * as DynamoDB from "./DynamoDB.js"
import * as DynamoDBRateLimiter from "./DynamoDBRateLimiter.js"
import * as DynamoDBRegistry from "./DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "./DynamoDBSessionStore.js"
import * as LambdaInvoker from "./LambdaInvoker.js"

/** The MCP app, built once from configuration. */
export class McpHttpApp extends Context.Tag("mcp-lambda-sam/McpHttpApp")<
  McpHttpApp,
  HttpApp.Default<never, Engine.McpEngine | SessionStore | Registry>
>() {}

const list = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.map((text) => text.split(",").map((item) => item.trim()).filter((item) => item !== "")))
  )

/** MCP API options from the environment (see the README for each variable). */
export const mcpApiOptions = Effect.gen(function* () {
  const allowedOrigins = yield* list("ALLOWED_ORIGINS")
  const invokeMode = yield* Config.literal("RESPONSE_STREAM", "BUFFERED")("INVOKE_MODE").pipe(
    Config.withDefault("RESPONSE_STREAM" as const)
  )
  const maxStreamSeconds = yield* Config.integer("MAX_STREAM_SECONDS").pipe(Config.withDefault(840))
  const minPollMillis = yield* Config.integer("POLL_MIN_MS").pipe(Config.withDefault(50))
  const maxPollMillis = yield* Config.integer("POLL_MAX_MS").pipe(Config.withDefault(6_000))
  const watchSeconds = yield* Config.integer("REGISTRY_WATCH_SECONDS").pipe(Config.withDefault(60))
  return {
    // On AWS, IAM authenticates callers; browsers only reach the URL from origins listed here.
    allowedOrigins: Option.getOrElse(allowedOrigins, () => [] as ReadonlyArray<string>),
    streaming: invokeMode === "RESPONSE_STREAM",
    maxStreamDuration: Duration.seconds(maxStreamSeconds),
    minPollInterval: Duration.millis(minPollMillis),
    maxPollInterval: Duration.millis(maxPollMillis),
    registryWatchInterval: Duration.seconds(watchSeconds)
  } satisfies McpApi.McpApiOptions
})

const registry = DynamoDBRegistry.layerConfig

/** `RATE_LIMIT_PER_MINUTE` (default 0: no limit) requests per principal, counted in the session table. */
const rateLimiter = Layer.unwrapEffect(
  Effect.gen(function* () {
    const limitPerMinute = yield* Config.integer("RATE_LIMIT_PER_MINUTE").pipe(Config.withDefault(0))
    if (limitPerMinute <= 0) return Layer.empty
    const tableName = yield* Config.string("SESSION_TABLE_NAME")
    return DynamoDBRateLimiter.layer({ tableName, limitPerMinute })
  })
)

/** Everything the MCP function needs: DynamoDB stores, the Lambda invoker, the engine, the app. */
export const mcpLayer = Layer.mergeAll(
  Layer.provideMerge(Engine.layer(), Layer.merge(registry, LambdaInvoker.layerConfig)),
  DynamoDBSessionStore.layerConfig,
  rateLimiter,
  Layer.effect(McpHttpApp, Effect.map(mcpApiOptions, McpApi.make))
).pipe(Layer.provide(DynamoDB.layerConfig))


export const mcpApp: HttpApp.Default<never, McpHttpApp | Engine.McpEngine | SessionStore | Registry> = Effect.flatMap(
  McpHttpApp,
  (app) => app
)
