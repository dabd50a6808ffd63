/** The apps under test: a web handler (no network) and the dev server on a free port. */
import { HttpApp, HttpServer } from "@effect/platform"
import { Context, Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { protocol } from "../../src/hosts/Core.js"
import { devServer } from "../../src/hosts/Node.js"
import { Authenticator } from "../../src/http/Authentication.js"
import { Caller } from "../../src/http/HostContext.js"
import * as McpApi from "../../src/http/McpApi.js"
import * as RegistrationApi from "../../src/http/RegistrationApi.js"
import { combine } from "../../src/http/Server.js"
import { layerWorkers } from "../../src/layers/WorkerInvoker.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import { layerMemory as subscriptionsMemory } from "../../src/layers/MemorySubscriptionStore.js"
import { layerMemory as inboxMemory } from "../../src/layers/MemoryInbox.js"
import { loadSeed } from "../../src/layers/Seed.js"
import * as Sessions from "../../src/mcp/Sessions.js"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import { RegistrationPolicy } from "../../src/services/RegistrationPolicy.js"
import type { Registry } from "../../src/services/Registry.js"
import type { SessionStore } from "../../src/services/SessionStore.js"
import type { StreamLeases } from "../../src/services/StreamLeases.js"

export const EXAMPLE_FUNCTIONS = "examples/functions"
export const EXAMPLE_SEED = "examples/registrations.json"

/** Stores to use instead of the memory ones (e.g. from `outage.ts`). */
export interface StoreLayers {
  readonly registry?: Layer.Layer<Registry> | undefined
  readonly sessions?: Layer.Layer<SessionStore> | undefined
}

/** Both apps as one `(Request, principal?) => Promise<Response>`, over memory stores and the examples. */
export const webHandler = (
  options: McpApi.McpApiOptions = {},
  extra: Layer.Layer<RateLimiter> | undefined = undefined,
  stores: StoreLayers = {},
  policy: Layer.Layer<RegistrationPolicy> | undefined = undefined,
  leases: Layer.Layer<StreamLeases> | undefined = undefined
) => {
  const registry = Layer.provideMerge(Layer.effectDiscard(loadSeed(EXAMPLE_SEED)), stores.registry ?? registryMemory)
  const sessions = Sessions.layer({
    minPollInterval: Duration.millis(5),
    maxPollInterval: Duration.millis(20),
    registryWatchInterval: Duration.millis(50)
  })
  const services = Layer.mergeAll(protocol(sessions), extra ?? RateLimiter.unlimited, Caller.local, Authenticator.iam, policy ?? RegistrationPolicy.open, leases ?? Layer.empty).pipe(
    Layer.provideMerge(Layer.mergeAll(registry, Layer.orDie(layerWorkers(EXAMPLE_FUNCTIONS)), stores.sessions ?? sessionsMemory(), subscriptionsMemory, inboxMemory))
  )
  // `protocol` provides Subscriptions to both apps: `POST /resources/updated` reaches the MCP sessions.
  const app = combine(McpApi.make(options), RegistrationApi.make())
  const { dispose, handler } = HttpApp.toWebHandlerLayer(app, services)
  return {
    dispose,
    fetch: (request: Request, principal?: string) =>
      handler(request, principal === undefined ? undefined : (Context.make(Caller, { principal }) as Context.Context<never>))
  }
}

export interface RunningServer {
  readonly url: string
  readonly close: () => Promise<void>
}

export interface DevServerTestOptions {
  readonly maxStreamDuration?: Duration.DurationInput
  readonly idleStreamWindow?: Duration.DurationInput
  readonly idleStreamRetry?: Duration.DurationInput
  readonly functionsDir?: string
  readonly seedFile?: string
  /** Accept registrations of functions that are not local (`dev --allow-aws`). */
  readonly allowAws?: boolean
}

export const startDevServer = async (options: DevServerTestOptions = {}): Promise<RunningServer> => {
  const runtime = ManagedRuntime.make(
    // Request log lines would drown the test output; warnings and errors still show.
    devServer({
      port: 0,
      host: "127.0.0.1",
      functionsDir: options.functionsDir ?? EXAMPLE_FUNCTIONS,
      seedFile: options.seedFile ?? EXAMPLE_SEED,
      allowAws: options.allowAws,
      banner: false,
      maxStreamDuration: options.maxStreamDuration,
      idleStreamWindow: options.idleStreamWindow,
      idleStreamRetry: options.idleStreamRetry
    }).pipe(
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
  )
  const port = await runtime.runPromise(HttpServer.addressWith((address) =>
    Effect.succeed(address._tag === "TcpAddress" ? address.port : 0)
  ))
  return { url: `http://127.0.0.1:${port}`, close: () => runtime.dispose() }
}
