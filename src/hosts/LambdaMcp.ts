/**
 * The MCP function's composition root: DynamoDB stores, the Lambda invoker and the protocol,
 * configured from the environment, built one after another into one context (`Services.ts`:
 * cheaper at a cold start than a graph of layers). Building them creates SDK clients only — no
 * network I/O — so a cold start cannot cache a failed build. (The registration function has
 * its own root, so its bundle carries no MCP engine or Lambda client.)
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Authentication from "../http/Authentication.js"
import * as McpApi from "../http/McpApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBInbox from "../layers/DynamoDBInbox.js"
import * as DynamoDBRateLimiter from "../layers/DynamoDBRateLimiter.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import { sharedKey } from "../layers/DynamoDBRequestStateKey.js"
import * as DynamoDBSessionStore from "../layers/DynamoDBSessionStore.js"
import * as DynamoDBStreamLeases from "../layers/DynamoDBStreamLeases.js"
import * as DynamoDBSubscriptionStore from "../layers/DynamoDBSubscriptionStore.js"
import * as DynamoDBTaskStore from "../layers/DynamoDBTaskStore.js"
import * as LambdaInvoker from "../layers/LambdaInvoker.js"
import * as LambdaTaskRunner from "../layers/LambdaTaskRunner.js"
import * as Catalog from "../mcp/Catalog.js"
import * as Engine from "../mcp/Engine.js"
import * as RequestState from "../mcp/RequestState.js"
import * as Sessions from "../mcp/Sessions.js"
import * as Subscriptions from "../mcp/Subscriptions.js"
import { Inbox } from "../services/Inbox.js"
import { RateLimiter } from "../services/RateLimiter.js"
import { Registry } from "../services/Registry.js"
import { SessionStore } from "../services/SessionStore.js"
import { StreamLeases } from "../services/StreamLeases.js"
import { SubscriptionStore } from "../services/SubscriptionStore.js"
import { TaskRunner } from "../services/TaskRunner.js"
import { TaskStore } from "../services/TaskStore.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import { lambdaHandler } from "./LambdaRuntime.js"
import { add, addOption } from "./Services.js"

/** The MCP app, built once from configuration. */
export class McpHttpApp extends Context.Tag("mcp-lambda-sam/McpHttpApp")<
  McpHttpApp,
  HttpApp.Default<never, McpApi.McpApiServices>
>() {}

/**
 * The engine, with tasks when `TASK_RUNNER_FUNCTION` names the task-runner function (tasks
 * live in the session table and run there, invoked with `Event`); without it, no tasks.
 */
const engine = (runner: Option.Option<string>) =>
  Option.isNone(runner)
    ? Engine.makeWithoutTasks()
    : Effect.gen(function* () {
      const store = yield* DynamoDBTaskStore.makeConfig
      const client = yield* LambdaTaskRunner.clientConfig
      const runs = yield* LambdaTaskRunner.makeScoped({ functionName: runner.value, client })
      return yield* Engine.make().pipe(Effect.provideService(TaskStore, store), Effect.provideService(TaskRunner, runs))
    })

/** Everything the MCP function needs: DynamoDB stores, the Lambda invoker, the protocol, the app. */
export const mcpServices = Effect.gen(function* () {
  // Every container seals `requestState` with the same key: `REQUEST_STATE_KEY`, else one kept in the session table.
  const sessionTable = yield* Config.string("SESSION_TABLE_NAME")
  const runner = yield* Config.option(Config.string("TASK_RUNNER_FUNCTION"))
  const ports = yield* add(DynamoDB.DynamoDB, DynamoDB.makeConfig)(Context.empty()).pipe(
    Effect.flatMap(add(Registry, DynamoDBRegistry.makeConfig)),
    Effect.flatMap(add(SessionStore, DynamoDBSessionStore.makeConfig)),
    Effect.flatMap(add(SubscriptionStore, DynamoDBSubscriptionStore.makeConfig)),
    Effect.flatMap(add(Inbox, DynamoDBInbox.makeConfig)),
    Effect.flatMap(add(ToolInvoker, LambdaInvoker.makeConfig)),
    Effect.flatMap(add(Catalog.Catalog, Catalog.make)),
    Effect.flatMap(add(Subscriptions.Subscriptions, Subscriptions.make)),
    Effect.flatMap(add(RequestState.RequestStateSeal, RequestState.makeWithFallback(sharedKey(sessionTable)))),
    Effect.flatMap(add(Sessions.Sessions, Sessions.makeConfig))
  )
  return yield* add(Engine.McpEngine, engine(runner))(ports).pipe(
    // RATE_LIMIT_PER_MINUTE (none when 0); MAX_STREAMS_PER_CALLER: leases for long-lived streams (none, and no cap, when 0).
    Effect.flatMap(add(RateLimiter, DynamoDBRateLimiter.makeConfig)),
    Effect.flatMap(addOption(StreamLeases, DynamoDBStreamLeases.makeConfig)),
    // MCP_AUTH: the Function URL's IAM caller (default), bearer tokens (OAUTH), or public (NONE).
    Effect.flatMap(add(Authentication.Authenticator, Authentication.makeConfig)),
    Effect.flatMap(add(McpHttpApp, Effect.map(McpApi.optionsConfig, McpApi.make)))
  )
})

/** `mcpServices` as a layer (for other Effect programs; the handler builds the context directly). */
export const mcpLayer = Layer.scopedContext(mcpServices)

export const mcpApp: HttpApp.Default<never, McpHttpApp | McpApi.McpApiServices> = Effect.flatMap(McpHttpApp, (app) => app)

/** The MCP function's handler (Function URL: `AWS_IAM`, or `NONE` when the function checks bearer tokens). */
export const mcpHandler = () => lambdaHandler(withRequestLog(mcpApp), mcpServices)
