/**
 * The MCP function's composition root: DynamoDB stores, the Lambda invoker and the protocol,
 * each configured from the environment by its own `layerConfig`. Building the layers creates
 * SDK clients only — no network I/O — so a cold start cannot cache a failed build. (The
 * registration function has its own root, so its bundle carries no MCP engine or Lambda client.)
 */
import type { HttpApp } from "@effect/platform"
import { Config, Context, Effect, Layer, Option } from "effect"
import * as Authentication from "../http/Authentication.js"
import * as McpApi from "../http/McpApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBRateLimiter from "../layers/DynamoDBRateLimiter.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../layers/DynamoDBSessionStore.js"
import * as DynamoDBStreamLeases from "../layers/DynamoDBStreamLeases.js"
import * as DynamoDBInbox from "../layers/DynamoDBInbox.js"
import * as DynamoDBSubscriptionStore from "../layers/DynamoDBSubscriptionStore.js"
import * as DynamoDBTaskStore from "../layers/DynamoDBTaskStore.js"
import * as LambdaTaskRunner from "../layers/LambdaTaskRunner.js"
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

/**
 * Tasks live in the session table and run in the task-runner function (`TASK_RUNNER_FUNCTION`,
 * invoked with `Event`). Without that variable the server offers no tasks.
 */
const protocolWithTasks = Layer.unwrapEffect(
  Effect.map(Config.option(Config.string("TASK_RUNNER_FUNCTION")), (runner) =>
    Option.match(runner, {
      onNone: () => protocol(Sessions.layerConfig, { tasks: { enabled: false } }, requestStateSeal),
      onSome: (functionName) =>
        protocol(
          Sessions.layerConfig,
          {},
          requestStateSeal,
          Layer.merge(
            DynamoDBTaskStore.layerConfig,
            Layer.unwrapEffect(Effect.map(LambdaTaskRunner.clientConfig, (client) => LambdaTaskRunner.layer({ functionName, client })))
          )
        )
    }))
)

export const mcpLayer = Layer.mergeAll(
  protocolWithTasks,
  DynamoDBRateLimiter.layerConfig,
  // MAX_STREAMS_PER_CALLER: leases for long-lived streams (none, and no cap, when 0).
  DynamoDBStreamLeases.layerConfig,
  // MCP_AUTH: the Function URL's IAM caller (default), bearer tokens (OAUTH), or public (NONE).
  Authentication.layerConfig,
  Layer.effect(McpHttpApp, Effect.map(McpApi.optionsConfig, McpApi.make))
).pipe(Layer.provideMerge(ports), Layer.provide(DynamoDB.layerConfig))

export const mcpApp: HttpApp.Default<never, McpHttpApp | McpApi.McpApiServices> = Effect.flatMap(McpHttpApp, (app) => app)

/** The MCP function's handler (Function URL: `AWS_IAM`, or `NONE` when the function checks bearer tokens). */
export const mcpHandler = () => lambdaHandler(withRequestLog(mcpApp), mcpLayer)
