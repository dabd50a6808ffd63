/** An engine over memory layers, seeded with registrations and in-process functions. */
import { Duration, Effect, Layer } from "effect"
import type { RegistrationSpec } from "../../src/domain/Registration.js"
import { layerLocal, type LambdaHandler } from "../../src/layers/LocalFunctionInvoker.js"
import { layerMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import { layerMemory as subscriptionsMemory } from "../../src/layers/MemorySubscriptionStore.js"
import { layerMemory as inboxMemory } from "../../src/layers/MemoryInbox.js"
import { engine } from "../../src/hosts/Core.js"
import { type EngineOptions, McpEngine, type RequestContext } from "../../src/mcp/Engine.js"
import { Registry } from "../../src/services/Registry.js"

/** The session store and subscriptions an engine keeps (in memory). */
export const sessionStores = Layer.mergeAll(sessionsMemory(), subscriptionsMemory, inboxMemory)

export const seeded = (specs: ReadonlyArray<RegistrationSpec>) =>
  Layer.effectDiscard(Effect.flatMap(Registry, (registry) => Effect.forEach(specs, (spec) => registry.create(spec), { discard: true })))

export const engineWith = (
  specs: ReadonlyArray<RegistrationSpec>,
  functions: Record<string, LambdaHandler>,
  options: EngineOptions = {}
) => {
  const registry = Layer.provideMerge(seeded(specs), layerMemory)
  const invoker = layerLocal(new Map(Object.entries(functions)), { timeout: Duration.seconds(5) })
  return Layer.provideMerge(engine(options), Layer.mergeAll(registry, invoker, sessionStores))
}

export const context: RequestContext = { protocolVersion: "2025-11-25" }

let nextId = 1
export const request = (method: string, params?: Record<string, unknown>) => ({
  jsonrpc: "2.0" as const,
  id: nextId++,
  method,
  ...(params === undefined ? {} : { params })
})

/** Sends one request and returns its single response. */
export const rpc = (method: string, params?: Record<string, unknown>, ctx: RequestContext = context) =>
  Effect.gen(function* () {
    const engine = yield* McpEngine
    const outcome = yield* engine.handle(ctx, request(method, params))
    if (outcome.responses.length !== 1) throw new Error(`expected one response, got ${outcome.responses.length}`)
    return outcome.responses[0]!
  })

/** The result of a request that must succeed. */
export const result = (method: string, params?: Record<string, unknown>, ctx: RequestContext = context) =>
  Effect.map(rpc(method, params, ctx), (response) => {
    if (!("result" in response)) throw new Error(`expected a result, got ${JSON.stringify(response)}`)
    return response.result as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  })

/** The error of a request that must fail. */
export const rpcError = (method: string, params?: Record<string, unknown>, ctx: RequestContext = context) =>
  Effect.map(rpc(method, params, ctx), (response) => {
    if (!("error" in response)) throw new Error(`expected an error, got ${JSON.stringify(response)}`)
    return response.error
  })
