/**
 * The MCP protocol engine: one function from (request context, JSON-RPC message) to the
 * messages to send back and the session changes to keep. Transports (Streamable HTTP, legacy
 * SSE) decide how the messages travel; the engine never touches HTTP or the session store.
 *
 * It is the method table (`Methods/`) under JSON-RPC dispatch (`Dispatch.ts`), reading the
 * registry through the shared `Catalog`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Inbox } from "../services/Inbox.js"
import type { Registry } from "../services/Registry.js"
import { noRuns, TaskRunner } from "../services/TaskRunner.js"
import { noTaskStore, TaskStore } from "../services/TaskStore.js"
import type { ToolInvoker } from "../services/ToolInvoker.js"
import type { Catalog } from "./Catalog.js"
import type { RequestStateSeal } from "./RequestState.js"
import type { Subscriptions } from "./Subscriptions.js"
import * as Dispatch from "./Dispatch.js"
import type { RequestContext } from "./McpRequest.js"
import { type EngineOptions, EngineSettings, engineSettings, type Method } from "./Method.js"
import { METHODS } from "./Methods/index.js"

export type { Live, Outcome } from "./Dispatch.js"
export type { RequestContext } from "./McpRequest.js"
export { type EngineOptions, SERVER_INFO } from "./Method.js"

export interface McpEngineShape {
  /**
   * Handles one parsed JSON value: a message or, under 2025-03-26, a batch. Never fails.
   * With `live`, notifications (progress, logs) go there while the request runs.
   */
  readonly handle: (context: RequestContext, input: unknown, live?: Dispatch.Live) => Effect.Effect<Dispatch.Outcome>
  /** Parses JSON text first (-32700 when it is not JSON). */
  readonly handleText: (context: RequestContext, text: string, live?: Dispatch.Live) => Effect.Effect<Dispatch.Outcome>
}

export class McpEngine extends Context.Tag("mcp-lambda-sam/McpEngine")<McpEngine, McpEngineShape>() {}

/**
 * The engine over a method table (every MCP method by default) and the task store and runner
 * its tasks use; without them the engine offers no tasks.
 */
export const layer = <E = never, R = never>(
  options: EngineOptions = {},
  methods: ReadonlyArray<Method<any, any>> = METHODS, // eslint-disable-line @typescript-eslint/no-explicit-any
  tasks?: Layer.Layer<TaskStore | TaskRunner, E, R>
): Layer.Layer<McpEngine, E, Catalog | Registry | ToolInvoker | Subscriptions | Inbox | RequestStateSeal | R> =>
  tasks === undefined
    ? Layer.scoped(McpEngine, makeWithoutTasks(options, methods))
    : Layer.scoped(McpEngine, make(options, methods)).pipe(Layer.provide(tasks))

/** The engine as an effect, over the ports and the task store and runner in its context. */
export const make = (options: EngineOptions = {}, methods: ReadonlyArray<Method<any, any>> = METHODS) => // eslint-disable-line @typescript-eslint/no-explicit-any
  Effect.provideService(Dispatch.make(methods), EngineSettings, engineSettings(options))

/** The engine of a server without tasks: the extension not offered, nothing to keep or run one. */
export const makeWithoutTasks = (options: EngineOptions = {}, methods: ReadonlyArray<Method<any, any>> = METHODS) => // eslint-disable-line @typescript-eslint/no-explicit-any
  make({ ...options, tasks: { ...options.tasks, enabled: false } }, methods).pipe(
    Effect.provideService(TaskStore, noTaskStore),
    Effect.provideService(TaskRunner, noRuns)
  )
