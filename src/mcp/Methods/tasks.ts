/**
 * `tasks/get`, `tasks/update` and `tasks/cancel` (2026-07-28, the tasks extension). Each needs
 * the extension declared on the request itself (-32021 otherwise) and names a task of the
 * caller (-32602 otherwise). `tasks/result` and `tasks/list` are not part of the revision.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { EmptyResult } from "../../domain/Mcp.js"
import { isPlainObject } from "../../domain/Registration.js"
import { answer, cancel as cancelTask, DetailedTask, toDetailedTask } from "../../domain/Task.js"
import { modify, TaskStore } from "../../services/TaskStore.js"
import { InvalidParams } from "../Errors.js"
import { hideStoreError } from "../Lookup.js"
import { McpRequest } from "../McpRequest.js"
import { method } from "../Method.js"
import { findTask, requireTasks, resume } from "../Tasks.js"

const TaskParams = Schema.Struct({ taskId: Schema.String })

export const get = method("tasks/get", {
  era: "modern",
  params: TaskParams,
  result: DetailedTask,
  handle: ({ taskId }) =>
    Effect.gen(function* () {
      yield* requireTasks
      return toDetailedTask(yield* findTask(taskId))
    })
})

/**
 * Answers to the task's questions. Answers to keys that are not outstanding are ignored; the
 * task waits until every question is answered, then its next run starts. The acknowledgement
 * is empty: the new state shows on the next `tasks/get`.
 */
export const update = method("tasks/update", {
  era: "modern",
  params: Schema.Struct({ taskId: Schema.String, inputResponses: Schema.Unknown }),
  result: EmptyResult,
  handle: ({ inputResponses, taskId }) =>
    Effect.gen(function* () {
      yield* requireTasks
      if (!isPlainObject(inputResponses) || !Object.values(inputResponses).every(isPlainObject)) {
        return yield* new InvalidParams({ message: "Invalid params: inputResponses must map each key to an object" })
      }
      const task = yield* findTask(taskId)
      const { principal } = yield* McpRequest
      const store = yield* TaskStore
      const { written } = yield* modify(store, task.taskId, (current, now) =>
        current.owner === (principal ?? "") ? answer(current, inputResponses, now) : Option.none()).pipe(
          Effect.catchTag("StoreError", hideStoreError)
        )
      if (Option.isSome(written) && written.value.status === "working") yield* resume(written.value)
      return {}
    })
})

/** Cooperative: the task is `cancelled` at once (unless already over), and a run still going is dropped. */
export const cancel = method("tasks/cancel", {
  era: "modern",
  params: TaskParams,
  result: EmptyResult,
  handle: ({ taskId }) =>
    Effect.gen(function* () {
      yield* requireTasks
      const task = yield* findTask(taskId)
      const store = yield* TaskStore
      yield* modify(store, task.taskId, (current, now) => cancelTask(current, now)).pipe(
        Effect.catchTag("StoreError", hideStoreError)
      )
      return {}
    })
})
