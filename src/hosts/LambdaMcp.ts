/**
 * The MCP function's composition root: DynamoDB stores, the Lambda invoker and the protocol,
 * each configured from the environment by its own `layerConfig`. Building the layers creates
 * SDK clients only — no network I/O — so a cold start cannot cache a failed build. (The
 * registration function has its own root, so its bundle carries no MCP engine or Lambda client.)
 */
import type { HttpApp } from "@effect/platform"
import { Config, Context, Effect, Layer } from "effect"
import * as McpApi from "../http/McpApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBRateLimiter from "../layers/DynamoDBRateLimiter.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../layers/DynamoDBSessionStore.js"
import * as DynamoDBInbox from "../layers/DynamoDBInbox.js"
import * as DynamoDBSubscriptionStore from "../layers/DynamoDBSubscriptionStore.js"
import * as LambdaInvoker from "../layers/LambdaInvoker.js"
import * as RequestState from "../mcp/RequestState.js"
import * as Sessions from "../mcp/Sessions.js"
import { sharedKey } from "../layers/DynamoDBRequestStateKey.js"
import { protocol } from "./Core.js"
import { lambdaHandler } from "./LambdaRuntime.js"

/** The MCP app, built once from configuration. */
export class McpHttpApp extends Context.Tag("mcp-lambda-sam/McpHttpApp")<
  McpHttpApp,
  HttpApp.Default<never, McpApi.McpApiServices>
>() {}

const ports = Layer.mergeAll(
  DynamoDBRegistry.layerConfig,
  DynamoDBSessionStore.layerConfig,
  DynamoDBSubscriptionStore.layerConfig,
  DynamoDBInbox.layerConfig,
  LambdaInvoker.layerConfig
)

/** Everything the MCP function needs: DynamoDB stores, the Lambda invoker, the protocol, the app. */
/** Every container seals with the same key: `REQUEST_STATE_KEY`, else one kept in the session table. */
const requestStateSeal = Layer.unwrapEffect(
  Effect.map(Config.string("SESSION_TABLE_NAME"), (table) => RequestState.layerWithFallback(sharedKey(table)))
)

export const mcpLayer = Layer.mergeAll(
  protocol(Sessions.layerConfig, {}, requestStateSeal),
  DynamoDBRateLimiter.layerConfig,
  Layer.effect(McpHttpApp, Effect.map(McpApi.optionsConfig, McpApi.make))
).pipe(Layer.provideMerge(ports), Layer.provide(DynamoDB.layerConfig))

export const mcpApp: HttpApp.Default<never, McpHttpApp | McpApi.McpApiServices> = Effect.flatMap(McpHttpApp, (app) => app)

/** The MCP function's handler (Function URL, `AWS_IAM`). */
export const mcpHandler = () => lambdaHandler(withRequestLog(mcpApp), mcpLayer)
