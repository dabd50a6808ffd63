/**
 * The tasks extension on the protocol side: whether a request may get a task, how a
 * `tools/call` becomes one (the task is written first — readable in every container before the
 * client hears of it — then its first run is set off), and finding a caller's task.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { isPlainObject, type JsonObject, type ToolRegistration } from "../domain/Registration.js"
import { META } from "../domain/Modern.js"
import {
  type CreateTaskResult,
  newTask,
  newTaskId,
  settle,
  type StoredTask,
  TaskId,
  TASKS_EXTENSION,
  toCreateTaskResult
} from "../domain/Task.js"
import { TaskRunner } from "../services/TaskRunner.js"
import { modify, TaskStore } from "../services/TaskStore.js"
import { InvalidParams, MethodNotFound, MissingRequiredClientCapability } from "./Errors.js"
import { hideStoreError } from "./Lookup.js"
import { extra, isModern, McpRequest } from "./McpRequest.js"
import { EngineSettings } from "./Method.js"

/** -32021 naming the extension: the request needs it and does not declare it. */
export const extensionRequired = () =>
  new MissingRequiredClientCapability({ requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } })

/** Whether this request may be answered with a task: 2026-07-28, declaring the extension, on a server offering it. */
export const declaresTasks = Effect.gen(function* () {
  const request = yield* McpRequest
  const { tasks } = yield* EngineSettings
  const extensions = request.clientCapabilities?.["extensions"]
  return tasks.enabled && isModern(request) && isPlainObject(extensions) && extensions[TASKS_EXTENSION] !== undefined
})

/** For `tasks/*`: unknown on a server without tasks (-32601), refused when the request does not declare the extension (-32021). */
export const requireTasks = Effect.gen(function* () {
  const request = yield* McpRequest
  const { tasks } = yield* EngineSettings
  if (!tasks.enabled) return yield* new MethodNotFound({ method: request.method })
  if (!(yield* declaresTasks)) return yield* extensionRequired()
})

/**
 * How a `tools/call` runs: synchronously, as a task created at once, or with a synchronous
 * first invocation that may ask for input and then turn into a task (`function`). A tool that
 * requires tasks refuses a 2026-07-28 request that does not declare the extension; the 2025
 * revisions know no tasks, so their calls always run synchronously.
 */
export const taskModeOf = (tool: ToolRegistration) =>
  Effect.gen(function* () {
    const support = tool.taskSupport ?? "forbidden"
    if (support === "forbidden" || !isModern(yield* McpRequest)) return "sync" as const
    if (yield* declaresTasks) return tool.taskStart ?? "immediate"
    if (support === "required") return yield* extensionRequired()
    return "sync" as const
  })

/** The caller's `extra` as a task keeps it: no progress token or log level, since tasks send no notifications. */
const taskExtra = Effect.map(extra, (all): JsonObject => {
  const { progressToken: _token, logLevel: _level, _meta, ...rest } = all
  if (_meta === undefined) return rest
  const { progressToken: _metaToken, [META.logLevel]: _metaLevel, ...meta } = _meta
  return { ...rest, _meta: meta }
})

/**
 * Makes `tool`'s call a task and sets its first run off. `input` is what the run gets besides
 * the arguments: answers gathered before the task (`inputResponses`) and the function's state.
 */
export const startTask = (tool: ToolRegistration, args: JsonObject, input: Readonly<Record<string, unknown>>) =>
  Effect.gen(function* () {
    const request = yield* McpRequest
    const store = yield* TaskStore
    const { tasks } = yield* EngineSettings
    const responses = input["inputResponses"]
    const state = input["requestState"]
    const task = newTask({
      taskId: newTaskId(),
      owner: request.principal ?? "",
      tool: {
        name: tool.name,
        lambdaArn: tool.lambdaArn,
        ...(tool.streaming === undefined ? {} : { streaming: tool.streaming }),
        ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema })
      },
      args,
      extra: yield* taskExtra,
      inputResponses: isPlainObject(responses) ? responses : {},
      requestState: typeof state === "string" ? state : undefined,
      ttlMs: Math.round(Duration.toMillis(tasks.ttl)),
      pollIntervalMs: Math.max(1, Math.round(Duration.toMillis(tasks.pollInterval))),
      now: yield* Clock.currentTimeMillis
    })
    // Durable first: the client may ask for it in another container the moment it hears of it.
    yield* Effect.catchTag(store.create(task), "StoreError", hideStoreError)
    const started = yield* resume(task)
    return toCreateTaskResult(started) satisfies CreateTaskResult
  })

/**
 * Sets the task's current run off. When that fails the task says so (failed, -32603) and is
 * answered as it now is: the client learns of the failure as of any other.
 */
export const resume = (task: StoredTask) =>
  Effect.gen(function* () {
    const runner = yield* TaskRunner
    const store = yield* TaskStore
    return yield* runner.start(task.taskId, task.runs).pipe(
      Effect.as(task),
      Effect.catchTag("TaskStartFailed", (error) =>
        Effect.logError("Starting a task run failed", error).pipe(
          Effect.zipRight(modify(store, task.taskId, (current, now) =>
            settle(current, task.runs, { _tag: "Failed", error: { code: -32603, message: "The task could not be started" } }, now))),
          Effect.map(({ found, written }) => Option.getOrElse(Option.orElse(written, () => found), () => task)),
          Effect.catchTag("StoreError", hideStoreError)
        ))
    )
  })

/** The caller's task: an unknown, expired or someone else's task is -32602 (without saying which). */
export const findTask = (taskId: string) =>
  Effect.gen(function* () {
    const request = yield* McpRequest
    const store = yield* TaskStore
    const found = yield* Effect.catchTag(store.get(TaskId.make(taskId)), "StoreError", hideStoreError)
    if (Option.isNone(found) || found.value.owner !== (request.principal ?? "")) {
      return yield* new InvalidParams({ message: "Failed to retrieve task: Task not found" })
    }
    return found.value
  })
