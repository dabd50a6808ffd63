/**
 * The local server: both APIs on one port, memory stores, functions from a directory.
 * `npm start` runs it with the examples.
 */
import { createServer } from "node:http"
import { existsSync } from "node:fs"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Console, Deferred, Duration, Effect, Layer } from "effect"
import type { Registration } from "../domain/Registration.js"
import { ServerShutdown } from "../http/Caller.js"
import * as McpApi from "../http/McpApi.js"
import * as RegistrationApi from "../http/RegistrationApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import { combine } from "../http/Server.js"
import { layerDirectory, layerLocal } from "../layers/LocalFunctionInvoker.js"
import { layerMemory as registryMemory } from "../layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../layers/MemorySessionStore.js"
import { loadSeed } from "../layers/Seed.js"
import * as Engine from "../mcp/Engine.js"
import { listAll, Registry } from "../services/Registry.js"

export interface DevServerOptions {
  readonly port: number
  readonly host: string
  readonly functionsDir: string | undefined
  readonly seedFile: string | undefined
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  readonly maxStreamDuration?: Duration.DurationInput | undefined
  /** Print the banner (URLs and registrations) once listening. */
  readonly banner?: boolean | undefined
}

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
  // Without a directory every invocation fails with FunctionNotFound, a readable tool error.
  const functions = options.functionsDir === undefined ? layerLocal(new Map()) : layerDirectory(options.functionsDir)
  const registry = Layer.provideMerge(
    options.seedFile === undefined ? Layer.empty : Layer.effectDiscard(loadSeed(options.seedFile)),
    registryMemory
  )
  const services = Layer.mergeAll(
    Layer.provideMerge(Engine.layer(), Layer.merge(registry, functions)),
    sessionsMemory()
  )
  const app = combine(
    McpApi.make({
      allowedOrigins: options.allowedOrigins,
      // In memory, polling is free: keep the legacy relay snappy.
      minPollInterval: Duration.millis(10),
      maxPollInterval: Duration.millis(100),
      registryWatchInterval: Duration.seconds(1),
      maxStreamDuration: options.maxStreamDuration
    }),
    RegistrationApi.make()
  )
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
          ...describe(registrations),
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
