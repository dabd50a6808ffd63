/**
 * Where tasks live (the tasks extension of MCP 2026-07-28). Reads are strongly consistent, so a
 * task is visible to `tasks/get` in any container as soon as `create` returns; every change is a
 * compare-and-set on the task's `version`, so concurrent writers (a run ending, a cancel, two
 * `tasks/update`s) never undo each other.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { StoreError, TaskChanged } from "../domain/errors.js"
import type { StoredTask, TaskId } from "../domain/Task.js"

export interface TaskStoreShape {
  /** Writes a new task; readable everywhere once this succeeds. */
  readonly create: (task: StoredTask) => Effect.Effect<void, StoreError>
  /** The task, unless it is unknown or expired. */
  readonly get: (taskId: TaskId) => Effect.Effect<Option.Option<StoredTask>, StoreError>
  /** Writes `task` if the stored one is still at `task.version - 1`; TaskChanged otherwise (or when it expired). */
  readonly replace: (task: StoredTask) => Effect.Effect<void, StoreError | TaskChanged>
}

export class TaskStore extends Context.Tag("mcp-lambda-sam/TaskStore")<TaskStore, TaskStoreShape>() {}

/** Attempts of a read-change-write before giving up on a task that keeps changing under it. */
const MAX_ATTEMPTS = 10

export interface Modified {
  /** The task as read last (none: unknown or expired). */
  readonly found: Option.Option<StoredTask>
  /** The task as written (none: `change` did not apply, or the task is unknown). */
  readonly written: Option.Option<StoredTask>
}

/**
 * Applies `change` to the current task and writes the result, reading again when another
 * writer came first. `change` returns none when it does not apply, and nothing is written.
 */
export const modify = (
  store: TaskStoreShape,
  taskId: TaskId,
  change: (task: StoredTask, now: number) => Option.Option<StoredTask>
): Effect.Effect<Modified, StoreError> => {
  const attempt = (left: number): Effect.Effect<Modified, StoreError> =>
    Effect.gen(function* () {
      const found = yield* store.get(taskId)
      if (Option.isNone(found)) return { found, written: Option.none() }
      const changed = change(found.value, yield* Clock.currentTimeMillis)
      if (Option.isNone(changed)) return { found, written: changed }
      return yield* store.replace(changed.value).pipe(
        Effect.as<Modified>({ found, written: changed }),
        // Someone else wrote first: decide again on what they wrote.
        Effect.catchTag("TaskChanged", (conflict) => (left > 1 ? attempt(left - 1) : Effect.die(conflict)))
      )
    })
  return attempt(MAX_ATTEMPTS)
}

/** For an engine without tasks: knows no task and keeps none. */
export const noTaskStore: TaskStoreShape = {
  create: (task) => Effect.fail(new StoreError({ operation: "TaskStore.create", cause: new Error(`no task store (task ${task.taskId})`) })),
  get: () => Effect.succeed(Option.none()),
  replace: (task) => Effect.fail(new TaskChanged({ taskId: task.taskId, version: task.version - 1 }))
}
