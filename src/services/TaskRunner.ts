/**
 * Sets a task's run off in the background: on AWS an `Event` invocation of the task-runner
 * function, under `dev` a fiber of the server. The run itself (invoke the tool's function,
 * record what it answered) is the same everywhere: `src/mcp/TaskRun.ts`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { TaskStartFailed } from "../domain/errors.js"
import type { TaskId } from "../domain/Task.js"

export interface TaskRunnerShape {
  /** Has run `run` of the task carried out; returns once it is on its way, not when it ends. */
  readonly start: (taskId: TaskId, run: number) => Effect.Effect<void, TaskStartFailed>
}

/** For a server without tasks (the extension is then not offered, so nothing calls it). */
export const noRuns: TaskRunnerShape = {
  start: (taskId) => Effect.fail(new TaskStartFailed({ taskId, cause: new Error("this server runs no tasks") }))
}

export class TaskRunner extends Context.Tag("mcp-lambda-sam/TaskRunner")<TaskRunner, TaskRunnerShape>() {}
