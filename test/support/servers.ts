/** The apps under test: a web handler (no network) and the dev server on a free port. */
import { HttpApp, HttpServer } from "@effect/platform"
import { Context, Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { devServer } from "../../src/cli/Dev.js"
import { Caller } from "../../src/http/HostContext.js"
import * as McpApi from "../../src/http/McpApi.js"
import * as RegistrationApi from "../../src/http/RegistrationApi.js"
import { combine } from "../../src/http/Server.js"
import { layerDirectory } from "../../src/layers/LocalFunctionInvoker.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import { loadSeed } from "../../src/layers/Seed.js"
import * as Engine from "../../src/mcp/Engine.js"
import type { RateLimiter } from "../../src/services/RateLimiter.js"

export const EXAMPLE_FUNCTIONS = "examples/functions"
export const EXAMPLE_SEED = "examples/registrations.json"

/** Both apps as one `(Request, principal?) => Promise<Response>`, over memory stores and the examples. */
export const webHandler = (options: McpApi.McpApiOptions = {}, extra: Layer.Layer<RateLimiter> | undefined = undefined) => {
  const registry = Layer.provideMerge(Layer.effectDiscard(loadSeed(EXAMPLE_SEED)), registryMemory)
  const services = Layer.mergeAll(
    Layer.provideMerge(Engine.layer(), Layer.merge(registry, layerDirectory(EXAMPLE_FUNCTIONS))),
    sessionsMemory(),
    extra ?? Layer.empty
  )
  const app = combine(
    McpApi.make({
      minPollInterval: Duration.millis(5),
      maxPollInterval: Duration.millis(20),
      registryWatchInterval: Duration.millis(50),
      ...options
    }),
    RegistrationApi.make()
  )
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

export const startDevServer = async (options: { readonly maxStreamDuration?: Duration.DurationInput } = {}): Promise<RunningServer> => {
  const runtime = ManagedRuntime.make(
    // Request log lines would drown the test output; warnings and errors still show.
    devServer({
      port: 0,
      host: "127.0.0.1",
      functionsDir: EXAMPLE_FUNCTIONS,
      seedFile: EXAMPLE_SEED,
      banner: false,
      maxStreamDuration: options.maxStreamDuration
    }).pipe(
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
  )
  const port = await runtime.runPromise(HttpServer.addressWith((address) =>
    Effect.succeed(address._tag === "TcpAddress" ? address.port : 0)
  ))
  return { url: `http://127.0.0.1:${port}`, close: () => runtime.dispose() }
}
