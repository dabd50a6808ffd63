/**
 * One run of a task, the same wherever it happens (a fiber of the dev server, the task-runner
 * Lambda on AWS): claim the run, invoke the tool's function as a normal call — its arguments,
 * the creating call's `extra` plus `task: { taskId }`, every answer collected so far and the
 * function's own state — and record how it ended:
 *
 * - an input-required answer: the task waits for the client (`input_required`, its questions
 *   on `tasks/get`, answered with `tasks/update`, after which the next run starts);
 * - `{ "error": { "code": <integer>, "message": <string>, "data"? } }` and nothing else: the
 *   task `failed` with that JSON-RPC error;
 * - anything else, a thrown error or a timeout included: `completed`, with the result a
 *   synchronous call would have answered (`isError: true` for a tool error).
 *
 * Each write is conditional on the task's version and applies only while the task still works
 * on this run, so a cancel (or a newer run) always wins over a late answer. A running task
 * checks every few seconds whether it was cancelled, and drops the invocation if so.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { InvocationError } from "../domain/errors.js"
import { isPlainObject, type JsonObject } from "../domain/Registration.js"
import {
  claim,
  type RunOutcome,
  settle,
  type StoredTask,
  TaskError,
  type TaskId,
  type TaskInputRequest
} from "../domain/Task.js"
import { TaskRunner } from "../services/TaskRunner.js"
import { modify, TaskStore } from "../services/TaskStore.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import { readAnswer, type StreamProblem } from "./FunctionStream.js"
import { inputRequiredOf, missingCapability, notDeclared } from "./InputRounds.js"
import { describeInvocationError } from "./Invoke.js"
import { toCallToolResult, toolError, unwrap } from "./Results.js"
import { decodeUnknownOption } from "../domain/Decode.js"

export interface RunOptions {
  /** How long the function may run (default 15 minutes, Lambda's own limit). */
  readonly timeout?: Duration.DurationInput | undefined
  /** How often a running task checks whether it is still wanted (default 2 s). */
  readonly cancelCheck?: Duration.DurationInput | undefined
}

/** A result bigger than this is not kept (a DynamoDB item holds 400 KB, with the task's other fields). */
export const MAX_RESULT_BYTES = 300_000

const decodeTaskError = decodeUnknownOption(TaskError)

/** `{ "error": { code, message, data? } }` and nothing else: the function's JSON-RPC error. */
export const taskErrorOf = (answer: unknown): Option.Option<TaskError> => {
  const { body } = unwrap(answer)
  if (!isPlainObject(body) || Object.keys(body).length !== 1 || !("error" in body)) return Option.none()
  return decodeTaskError(body["error"])
}

/** The function's answer to `{ "resultType": "task" }`: it asks to go on in the background. */
export const isTaskAnswer = (answer: unknown) => {
  const { body } = unwrap(answer)
  return isPlainObject(body) && body["resultType"] === "task"
}

const completed = (result: JsonObject): RunOutcome => ({ _tag: "Completed", result })

/** The run's outcome from the function's answer. */
const outcomeOf = (task: StoredTask, answer: unknown): Effect.Effect<RunOutcome> => {
  const early = outcomeBeforeResult(task, answer)
  if (early !== undefined) return Effect.succeed(early)
  return Effect.map(toCallToolResult(task.tool, answer), (result) => {
    const bytes = Buffer.byteLength(JSON.stringify(result))
    return bytes > MAX_RESULT_BYTES
      ? { _tag: "Failed", error: { code: -32603, message: `The result is ${bytes} bytes; a task keeps at most ${MAX_RESULT_BYTES}` } }
      : completed(result)
  })
}

/** The outcome of an answer that is not a result (a question, an error, a request to continue), if it is one. */
const outcomeBeforeResult = (task: StoredTask, answer: unknown): RunOutcome | undefined => {
  const what = `Tool '${task.tool.name}'`
  const asked = inputRequiredOf(answer)
  if (Option.isSome(asked)) {
    if (Either.isLeft(asked.value)) return completed(toolError(`${what} ${asked.value.left.message}`))
    const declared = isPlainObject(task.extra["clientCapabilities"]) ? task.extra["clientCapabilities"] : {}
    const questions: Record<string, TaskInputRequest> = {}
    const unanswerable: Record<string, unknown> = {}
    const missing: Record<string, unknown> = {}
    // As in a call: only what the client declared it can answer is asked.
    for (const [key, question] of Object.entries(asked.value.right.inputRequests)) {
      const lacking = missingCapability(question, declared)
      if (lacking === undefined) {
        questions[key] = question
      } else {
        Object.assign(missing, lacking)
        unanswerable[key] = notDeclared(lacking)
      }
    }
    if (Object.keys(questions).length === 0) {
      return Object.keys(missing).length === 0
        ? completed(toolError(`${what} asked for input but named no question`))
        : {
          _tag: "Failed",
          error: {
            code: -32021,
            message: `Missing required client capability: ${Object.keys(missing).join(", ")}`,
            data: { requiredCapabilities: missing }
          }
        }
    }
    return { _tag: "InputRequired", questions, unanswerable, requestState: asked.value.right.requestState }
  }
  const error = taskErrorOf(answer)
  if (Option.isSome(error)) return { _tag: "Failed", error: error.value }
  if (isTaskAnswer(answer)) return completed(toolError(`${what} asked to continue as a task, and it is running as one`))
  return undefined
}

/** Invokes the task's function once; never fails (a failed invocation is a tool error, as in a call). */
const invokeOnce = (task: StoredTask, timeout: Duration.Duration) =>
  Effect.gen(function* () {
    const invoker = yield* ToolInvoker
    const payload = {
      args: task.args,
      extra: { ...task.extra, task: { taskId: task.taskId } },
      ...(Object.keys(task.inputResponses).length === 0 ? {} : { inputResponses: task.inputResponses }),
      ...(task.requestState === undefined ? {} : { requestState: task.requestState })
    }
    const invocation = { lambdaArn: task.tool.lambdaArn, payload, timeout }
    // Tasks carry no notifications: a streaming function's progress and log lines are dropped.
    const answer: Effect.Effect<unknown, InvocationError | StreamProblem> = task.tool.streaming === true
      ? readAnswer(invoker.invokeStream(invocation), () => Effect.void)
      : invoker.invoke(invocation)
    const what = `Tool '${task.tool.name}'`
    return yield* Effect.matchEffect(answer, {
      onFailure: (error) =>
        Effect.map(
          error._tag === "StreamProblem" ? Effect.succeed(`${what} ${error.message}`) : describeInvocationError(what, error),
          (message) => completed(toolError(message))
        ),
      onSuccess: (answer) => outcomeOf(task, answer)
    })
  })

/** Completes once the task no longer works on `run` (cancelled, expired, or moved on). */
const noLongerWanted = (taskId: TaskId, run: number, every: Duration.Duration) =>
  Effect.flatMap(TaskStore, (store) =>
    store.get(taskId).pipe(
      Effect.map((task) => Option.isSome(task) && task.value.status === "working" && task.value.runs === run),
      // A failed read proves nothing: keep running.
      Effect.orElseSucceed(() => true),
      Effect.delay(every),
      Effect.repeat({ while: (wanted) => wanted }),
      Effect.asVoid
    ))

/** Run `run` of a task: at most once, however often it is started. Never fails; what goes wrong is logged. */
export const runTask = (taskId: TaskId, run: number, options: RunOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const timeout = Duration.decode(options.timeout ?? Duration.minutes(15))
    const every = Duration.decode(options.cancelCheck ?? Duration.seconds(2))
    const claimed = yield* modify(store, taskId, (task, now) => claim(task, run, now))
    if (Option.isNone(claimed.written)) {
      return yield* Effect.logDebug(`Task run ${run} is not due (already begun, cancelled or expired)`)
    }
    const task = claimed.written.value
    const outcome = yield* Effect.race(
      Effect.map(invokeOnce(task, timeout), Option.some),
      Effect.as(noLongerWanted(taskId, run, every), Option.none<RunOutcome>())
    )
    if (Option.isNone(outcome)) return yield* Effect.logDebug(`Task run ${run} was dropped: the task no longer works on it`)
    const { written } = yield* modify(store, taskId, (current, now) => settle(current, run, outcome.value, now))
    if (Option.isNone(written)) yield* Effect.logDebug(`Task run ${run} ended after the task moved on; its outcome is dropped`)
  }).pipe(
    Effect.catchAllCause((cause) =>
      // Interrupted (the dev server stopping): nothing to record, the run just did not finish.
      Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logError("A task run failed", cause).pipe(
        // Best effort: say so on the task, unless something else already ended it.
        Effect.zipRight(Effect.flatMap(TaskStore, (store) =>
          modify(store, taskId, (current, now) =>
            settle(current, run, { _tag: "Failed", error: { code: -32603, message: "Internal error" } }, now)))),
        Effect.catchAllCause((again) => Effect.logError("Recording a failed task run failed", again))
      )),
    Effect.asVoid,
    Effect.annotateLogs({ taskId, run }),
    Effect.withSpan("TaskRun.run", { attributes: { taskId, run } })
  )

/**
 * Runs tasks in this process (the dev server, tests): each run is a fiber of the layer's scope,
 * so it outlives the request that started it and ends with the server.
 */
export const layerLocal = (options: RunOptions = {}): Layer.Layer<TaskRunner, never, TaskStore | ToolInvoker> =>
  Layer.scoped(
    TaskRunner,
    Effect.gen(function* () {
      const context = yield* Effect.context<TaskStore | ToolInvoker>()
      const fibers = yield* FiberSet.make()
      return {
        start: (taskId: TaskId, run: number) =>
          Effect.asVoid(FiberSet.run(fibers, Effect.provide(runTask(taskId, run, options), context)))
      }
    })
  )
