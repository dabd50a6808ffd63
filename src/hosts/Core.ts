/**
 * The layer constructors every host builds from: the protocol (catalog, engine, sessions)
 * over the ports (registry, session store, invoker). Hosts only choose the ports' layers and
 * where the settings come from.
 */
import * as Layer from "effect/Layer"
import { layerMemory as taskStoreMemory } from "../layers/MemoryTaskStore.js"
import { type Catalog, layer as catalogLayer } from "../mcp/Catalog.js"
import * as Engine from "../mcp/Engine.js"
import type { Sessions } from "../mcp/Sessions.js"
import * as TaskRun from "../mcp/TaskRun.js"
import type { Registry } from "../services/Registry.js"
import type { SessionStore } from "../services/SessionStore.js"
import type { Inbox } from "../services/Inbox.js"
import type { SubscriptionStore } from "../services/SubscriptionStore.js"
import type { TaskRunner } from "../services/TaskRunner.js"
import { TaskStore } from "../services/TaskStore.js"
import type { ToolInvoker } from "../services/ToolInvoker.js"
import * as RequestState from "../mcp/RequestState.js"
import * as Subscriptions from "../mcp/Subscriptions.js"

/** What the engine reads and writes besides the registry and the invoker. */
export type EnginePorts = Registry | ToolInvoker | SessionStore | SubscriptionStore | Inbox

/** Tasks run by fibers of this process, kept in the task store the host provides (the dev server on DynamoDB). */
export const inProcessRuns: Layer.Layer<TaskStore | TaskRunner, never, TaskStore | ToolInvoker> = Layer.merge(
  TaskRun.layerLocal(),
  Layer.effect(TaskStore, TaskStore)
)

/** Tasks kept in memory and run by fibers of this process (tests, the dev server's memory store). */
export const inProcessTasks: Layer.Layer<TaskStore | TaskRunner, never, ToolInvoker> = TaskRun.layerLocal().pipe(
  Layer.provideMerge(taskStoreMemory)
)

/** The engine, the catalog it reads and the subscriptions it keeps, over the ports (tasks in this process). */
export const engine = (
  options: Engine.EngineOptions = {}
): Layer.Layer<Engine.McpEngine | Catalog | Subscriptions.Subscriptions, never, EnginePorts> =>
  Layer.provideMerge(
    Engine.layer(options, undefined, inProcessTasks),
    Layer.mergeAll(catalogLayer, Subscriptions.layer, RequestState.layerConfig)
  )

/** Everything the MCP API needs but its ports: engine, catalog, subscriptions and sessions (one catalog). */
export const protocol = <E, SE = never, RS = never, TE = never, TR = never>(
  sessions: Layer.Layer<Sessions, E, SessionStore | Catalog>,
  options: Engine.EngineOptions = {},
  /** How `requestState` is sealed: by default with `REQUEST_STATE_KEY` or a key of this process. */
  seal: Layer.Layer<RequestState.RequestStateSeal, SE, RS> = RequestState.layerConfig as Layer.Layer<RequestState.RequestStateSeal, SE, RS>,
  /** Where tasks live and how their runs are set off: by default in memory, run in this process. */
  tasks: Layer.Layer<TaskStore | TaskRunner, TE, TR | ToolInvoker> = inProcessTasks
): Layer.Layer<Engine.McpEngine | Catalog | Subscriptions.Subscriptions | Sessions, E | SE | TE, EnginePorts | RS | TR> =>
  Layer.provideMerge(
    Layer.merge(Engine.layer(options, undefined, tasks), sessions),
    Layer.mergeAll(catalogLayer, Subscriptions.layer, seal)
  )
