/**
 * The Node host's composition root — the local server: both APIs on one port, functions from
 * a directory, stores in memory or on DynamoDB (DynamoDB Local, or a real table). `npm start`
 * runs it with the examples. Built from the same layer constructors as the Lambda host.
 */
import { createServer } from "node:http"
import { existsSync } from "node:fs"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ANY_FUNCTION } from "../domain/FunctionPattern.js"
import type { Registration } from "../domain/Registration.js"
import { Authenticator, layerOAuth, type OAuthSettings } from "../http/Authentication.js"
import { Caller, ServerShutdown } from "../http/HostContext.js"
import { guardLocal } from "../http/LocalGuard.js"
import * as McpApi from "../http/McpApi.js"
import * as RegistrationApi from "../http/RegistrationApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import { combine } from "../http/Server.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../layers/DynamoDBSessionStore.js"
import * as DynamoDBSubscriptionStore from "../layers/DynamoDBSubscriptionStore.js"
import * as DynamoDBTaskStore from "../layers/DynamoDBTaskStore.js"
import { layerMemory as taskStoreMemory } from "../layers/MemoryTaskStore.js"
import type { TaskStore } from "../services/TaskStore.js"
import { layerMemory as subscriptionsMemory } from "../layers/MemorySubscriptionStore.js"
import type { SubscriptionStore } from "../services/SubscriptionStore.js"
import type { Inbox } from "../services/Inbox.js"
import * as DynamoDBInbox from "../layers/DynamoDBInbox.js"
import { layerMemory as inboxMemory } from "../layers/MemoryInbox.js"
import * as LambdaInvoker from "../layers/LambdaInvoker.js"
import { listFunctions, makeWorkers } from "../layers/WorkerInvoker.js"
import { layerMemory as registryMemory } from "../layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../layers/MemorySessionStore.js"
import { loadSeed } from "../layers/Seed.js"
import * as Sessions from "../mcp/Sessions.js"
import { RateLimiter } from "../services/RateLimiter.js"
import { fromPatterns, localFunctionsOnly, RegistrationPolicy } from "../services/RegistrationPolicy.js"
import { FIXED } from "../Settings.js"
import { inProcessRuns, protocol } from "./Core.js"
import { createTables, type TableNames } from "../layers/Tables.js"
import { listAll, Registry } from "../services/Registry.js"
import type { SessionStore } from "../services/SessionStore.js"
import { ToolInvoker } from "../services/ToolInvoker.js"

export interface DevServerOptions {
  readonly port: number
  readonly host: string
  readonly functionsDir: string | undefined
  readonly seedFile: string | undefined
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  readonly maxStreamDuration?: Duration.DurationInput | undefined
  /** A 2025-11-25 session's idle `GET /mcp` stream: how long it stays open, and when its client comes back. */
  readonly idleStreamWindow?: Duration.DurationInput | undefined
  readonly idleStreamRetry?: Duration.DurationInput | undefined
  /** Let registrations name functions on AWS, invoked with the usual AWS credentials (default: local functions only). */
  readonly allowAws?: boolean | undefined
  /** The heap each local function's environment may use, in MB (default 256). */
  readonly functionMemoryMb?: number | undefined
  /** Print the banner (URLs and registrations) once listening. */
  readonly banner?: boolean | undefined
  /** A line for the banner, after the registrations (e.g. where they come from). */
  readonly bannerNote?: string | undefined
  /** Who may call `/mcp`: anyone, as `local` (default), or bearer tokens checked as on Lambda in OAUTH mode. */
  readonly auth?: { readonly kind: "local" } | ({ readonly kind: "oauth" } & OAuthSettings) | undefined
  /** Where registrations and sessions live (default: memory). */
  readonly store?: StoreOptions | undefined
}

export type StoreOptions =
  | { readonly kind: "memory" }
  | {
    readonly kind: "dynamodb"
    /** e.g. http://127.0.0.1:8000 for DynamoDB Local; the SDK's default endpoint otherwise. */
    readonly endpoint?: string | undefined
    readonly region?: string | undefined
    readonly tables: TableNames
    /** Create missing tables first (DynamoDB Local, or a sandbox account). */
    readonly createTables: boolean
  }

export const DEFAULT_TABLES: TableNames = {
  registrations: "mcp-lambda-sam-registrations",
  sessions: "mcp-lambda-sam-sessions"
}

const storeLayers = (store: StoreOptions): Layer.Layer<Registry | SessionStore | SubscriptionStore | Inbox | TaskStore, unknown> => {
  if (store.kind === "memory") return Layer.mergeAll(registryMemory, sessionsMemory(), subscriptionsMemory, inboxMemory, taskStoreMemory)
  const client = DynamoDB.layer({
    ...(store.endpoint === undefined ? {} : { endpoint: store.endpoint }),
    ...(store.region === undefined ? {} : { region: store.region })
  })
  const tables = store.createTables ? Layer.effectDiscard(createTables(store.tables)) : Layer.empty
  return Layer.mergeAll(
    DynamoDBRegistry.layer({ tableName: store.tables.registrations }),
    DynamoDBSessionStore.layer({ tableName: store.tables.sessions }),
    DynamoDBSubscriptionStore.layer({ tableName: store.tables.sessions }),
    DynamoDBInbox.layer({ tableName: store.tables.sessions }),
    DynamoDBTaskStore.layer({ tableName: store.tables.sessions })
  ).pipe(Layer.provide(tables), Layer.provide(client))
}

/**
 * Local functions first, each in worker threads of its own (`WorkerInvoker`): what one does
 * wrong (a loop, its memory, an uncaught throw) fails its invocation, not the server. Other
 * ARNs go to the Lambda API (with the usual AWS credentials) only
 * with `allowAws`: otherwise they are refused, at registration (400) and at invocation.
 */
const functionLayers = (functionsDir: string | undefined, allowAws: boolean, memoryLimitMb: number | undefined) =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const lambda = yield* LambdaInvoker.makeScoped()
      const functions = functionsDir === undefined ? new Map<string, string>() : yield* listFunctions(functionsDir)
      const fallback = allowAws
        ? lambda
        : LambdaInvoker.restrict(lambda, () => "the dev server invokes local functions only (start it with --allow-aws)")
      return Context.make(ToolInvoker, yield* makeWorkers(functions, { fallback, memoryLimitMb })).pipe(
        Context.add(RegistrationPolicy, allowAws ? fromPatterns([ANY_FUNCTION]) : localFunctionsOnly([...functions.keys()]))
      )
    })
  )

const describe = (registrations: ReadonlyArray<Registration>) => {
  const of = (type: Registration["type"]) =>
    registrations
      .filter((registration) => registration.type === type)
      .map((registration) =>
        registration.type === "resource" ? `${registration.name} (${registration.uri ?? registration.uriTemplate})` : registration.name
      )
      .join(", ") || "none"
  return [`  tools:      ${of("tool")}`, `  resources:  ${of("resource")}`, `  prompts:    ${of("prompt")}`]
}

/** The whole local server as a layer: building it listens; releasing it closes. */
export const devServer = (options: DevServerOptions) => {
  const stores = Layer.provideMerge(
    options.seedFile === undefined ? Layer.empty : Layer.effectDiscard(loadSeed(options.seedFile)),
    storeLayers(options.store ?? { kind: "memory" })
  )
  // One local client: keep the legacy relay snappy and list_changed prompt, whatever the store.
  const sessions = Sessions.layer({
    minPollInterval: Duration.millis(FIXED.devPolling.minMillis),
    maxPollInterval: Duration.millis(FIXED.devPolling.maxMillis),
    registryWatchInterval: Duration.seconds(FIXED.devPolling.watchSeconds)
  })
  // Tasks run as fibers of this server (a task outlives the request that started it, not the server).
  const services = Layer.mergeAll(
    protocol(sessions, {}, undefined, inProcessRuns),
    RateLimiter.unlimited,
    Caller.local,
    options.auth?.kind === "oauth" ? layerOAuth(options.auth) : Authenticator.iam
  ).pipe(Layer.provideMerge(Layer.merge(stores, functionLayers(options.functionsDir, options.allowAws === true, options.functionMemoryMb))))
  // The Registration API's `POST /resources/updated` publishes through the protocol's
  // Subscriptions: one instance for both APIs, over the same stores.
  const app = guardLocal({ allowedOrigins: options.allowedOrigins ?? McpApi.DEFAULT_ALLOWED_ORIGINS, listenHost: options.host })(combine(
    McpApi.make({
      allowedOrigins: options.allowedOrigins,
      maxStreamDuration: options.maxStreamDuration,
      idleStreamWindow: options.idleStreamWindow,
      idleStreamRetry: options.idleStreamRetry
    }),
    RegistrationApi.make()
  ))
  const banner = HttpServer.addressFormattedWith((address) =>
    Effect.gen(function* () {
      const registry = yield* Registry
      const registrations = yield* listAll(registry)
      yield* Console.log(
        [
          "mcp-lambda-sam dev server",
          `  MCP, Streamable HTTP:  ${address}/mcp`,
          `  MCP, legacy SSE:       ${address}/sse`,
          `  Registration API:      ${address}/register`,
          ...(options.auth?.kind === "oauth"
            ? [`  OAuth: tokens from ${options.auth.issuer} for ${options.auth.audience}; metadata at ${address}/.well-known/oauth-protected-resource/mcp`]
            : []),
          ...describe(registrations),
          ...(options.bannerNote === undefined ? [] : [options.bannerNote]),
          "Ctrl-C stops the server."
        ].join("\n")
      )
    })
  )
  const nodeServer = createServer()
  // Acquired after the listener, so released before it: end open streams, then drop idle
  // connections, so that closing the listener does not wait on them.
  const closeStreams = Layer.scopedDiscard(
    Effect.flatMap(ServerShutdown, (shutdown) =>
      Effect.addFinalizer(() =>
        Deferred.succeed(shutdown, undefined).pipe(
          Effect.zipRight(Effect.sleep(Duration.millis(200))),
          Effect.zipRight(Effect.sync(() => nodeServer.closeAllConnections()))
        )
      ))
  )
  const server = HttpServer.serve(withRequestLog(app)).pipe(
    Layer.tap(() => (options.banner === false ? Effect.void : banner)),
    Layer.provideMerge(closeStreams),
    Layer.provideMerge(NodeHttpServer.layer(() => nodeServer, { port: options.port, host: options.host }))
  )
  const shutdownSignal = Layer.effect(ServerShutdown, Deferred.make<void>())
  return Layer.provideMerge(server, Layer.merge(services, shutdownSignal))
}

/** A default path when it exists here, so `npm start` finds the examples and elsewhere nothing breaks. */
export const defaultIfPresent = (path: string) => (existsSync(path) ? path : undefined)
