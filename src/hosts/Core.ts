/**
 * The layer constructors every host builds from: the protocol (catalog, engine, sessions)
 * over the ports (registry, session store, invoker). Hosts only choose the ports' layers and
 * where the settings come from.
 */
import { Layer } from "effect"
import { type Catalog, layer as catalogLayer } from "../mcp/Catalog.js"
import * as Engine from "../mcp/Engine.js"
import type { Sessions } from "../mcp/Sessions.js"
import type { Registry } from "../services/Registry.js"
import type { SessionStore } from "../services/SessionStore.js"
import type { ToolInvoker } from "../services/ToolInvoker.js"

/** The engine and the catalog it reads, over a registry and an invoker. */
export const engine = (options: Engine.EngineOptions = {}): Layer.Layer<Engine.McpEngine | Catalog, never, Registry | ToolInvoker> =>
  Layer.provideMerge(Engine.layer(options), catalogLayer)

/** Everything the MCP API needs but its ports: engine, catalog and sessions (sharing the catalog). */
export const protocol = <E>(
  sessions: Layer.Layer<Sessions, E, SessionStore | Catalog>,
  options: Engine.EngineOptions = {}
): Layer.Layer<Engine.McpEngine | Catalog | Sessions, E, Registry | ToolInvoker | SessionStore> =>
  Layer.provideMerge(Layer.merge(Engine.layer(options), sessions), catalogLayer)
