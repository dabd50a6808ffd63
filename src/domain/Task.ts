/**
 * Tasks (MCP 2026-07-28's extension `io.modelcontextprotocol/tasks`): a `tools/call` answered
 * with a task handle while the function runs in the background; the client polls `tasks/get`,
 * answers the function's questions with `tasks/update` and may `tasks/cancel`.
 *
 * `StoredTask` is what the task store keeps: the task as `tasks/get` shows it, plus what a run
 * needs (the tool, its arguments, the caller's `extra`, the answers collected so far) and the
 * bookkeeping that keeps runs and writers apart (`version`, `runs`, `started`). Every change
 * is a pure function here, applied by the store as a compare-and-set on `version`: a late
 * result cannot overwrite a cancel, because it was computed from an older version.
 */
import { randomBytes } from "node:crypto"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { LambdaArn } from "./LambdaArn.js"
import { JsonObject } from "./Registration.js"
import { lazySchema } from "./Decode.js"

export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks"

export const TaskId = Schema.String.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type

/** 144 random bits: a task id is its only credential besides the owner check. */
export const newTaskId = (): TaskId => randomBytes(18).toString("base64url") as TaskId

export const TaskStatus = Schema.Literal("working", "input_required", "completed", "failed", "cancelled")
export type TaskStatus = typeof TaskStatus.Type

export const isTerminal = (status: TaskStatus) => status === "completed" || status === "failed" || status === "cancelled"

/** A JSON-RPC error object: why a task failed. */
export const TaskError = lazySchema(() => Schema.Struct({
  code: Schema.Int,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown)
}))
export type TaskError = typeof TaskError.Type

/** A question for the client (`elicitation/create`, `sampling/createMessage`, `roots/list`). */
export const TaskInputRequest = lazySchema(() => Schema.Struct({
  method: Schema.String,
  params: Schema.optional(JsonObject)
}))
export type TaskInputRequest = typeof TaskInputRequest.Type

/** The registration as it was when the task was created: a run needs nothing else from it. */
export const TaskTool = lazySchema(() => Schema.Struct({
  name: Schema.String,
  lambdaArn: LambdaArn,
  streaming: Schema.optional(Schema.Boolean),
  outputSchema: Schema.optional(JsonObject)
}))
export type TaskTool = typeof TaskTool.Type

export const StoredTask = lazySchema(() => Schema.Struct({
  taskId: TaskId,
  /** The principal that created it; no one else may see or change it. */
  owner: Schema.String,
  status: TaskStatus,
  statusMessage: Schema.optional(Schema.String),
  createdAt: Schema.String,
  lastUpdatedAt: Schema.String,
  ttlMs: Schema.Int,
  pollIntervalMs: Schema.Int,
  /** Epoch milliseconds: `createdAt + ttlMs`; an expired task is gone. */
  expiresAt: Schema.Number,
  /** Bumped by every write; writes are conditional on it. */
  version: Schema.Int,
  tool: TaskTool.built(),
  args: JsonObject,
  /** The `extra` of the call that created it (without progress token or log level: tasks send no notifications). */
  extra: JsonObject,
  /** Outstanding questions, by the key the client sees. */
  inputRequests: Schema.optional(Schema.Record({ key: Schema.String, value: TaskInputRequest.built() })),
  /** The function's own key behind each outstanding key (they differ when the function reuses a key). */
  inputKeys: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  /** Every key the client has been given: a key is never reused over a task's lifetime. */
  issuedKeys: Schema.Array(Schema.String),
  /** The answers collected so far, by the function's key: each run gets them all. */
  inputResponses: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  /** The function's own state from its last question (or from the call that started the task). */
  requestState: Schema.optional(Schema.String),
  result: Schema.optional(JsonObject),
  error: Schema.optional(TaskError.built()),
  /** Runs asked for (the first at creation, one more each time all questions are answered). */
  runs: Schema.Int,
  /** Runs begun: a run begins once, however often its start is delivered. */
  started: Schema.Int
}))
export type StoredTask = typeof StoredTask.Type

/** What `tasks/get` shows, and the fields of the `resultType: "task"` answer that creates it. */
export const DetailedTask = lazySchema(() => Schema.Struct({
  taskId: Schema.String,
  status: TaskStatus,
  statusMessage: Schema.optional(Schema.String),
  createdAt: Schema.String,
  lastUpdatedAt: Schema.String,
  ttlMs: Schema.NullOr(Schema.Int),
  pollIntervalMs: Schema.optional(Schema.Int),
  inputRequests: Schema.optional(Schema.Record({ key: Schema.String, value: TaskInputRequest.built() })),
  result: Schema.optional(JsonObject),
  error: Schema.optional(TaskError.built())
}))
export type DetailedTask = typeof DetailedTask.Type

/** The `tools/call` answer that hands out a task: flat, without result, error or questions. */
export const CreateTaskResult = lazySchema(() => Schema.Struct({
  resultType: Schema.Literal("task"),
  taskId: Schema.String,
  status: TaskStatus,
  statusMessage: Schema.optional(Schema.String),
  createdAt: Schema.String,
  lastUpdatedAt: Schema.String,
  ttlMs: Schema.NullOr(Schema.Int),
  pollIntervalMs: Schema.optional(Schema.Int)
}))
export type CreateTaskResult = typeof CreateTaskResult.Type

/** What the MCP function sends the task runner (Lambda `Event` invocation). */
export const TaskRunEvent = lazySchema(() => Schema.Struct({ taskId: TaskId, run: Schema.Int.pipe(Schema.positive()) }))
export type TaskRunEvent = typeof TaskRunEvent.Type

const taskFields = (task: StoredTask) => ({
  taskId: task.taskId,
  status: task.status,
  ...(task.statusMessage === undefined ? {} : { statusMessage: task.statusMessage }),
  createdAt: task.createdAt,
  lastUpdatedAt: task.lastUpdatedAt,
  ttlMs: task.ttlMs,
  pollIntervalMs: task.pollIntervalMs
})

export const toDetailedTask = (task: StoredTask): DetailedTask => ({
  ...taskFields(task),
  ...(task.status === "input_required" && task.inputRequests !== undefined ? { inputRequests: task.inputRequests } : {}),
  ...(task.status === "completed" && task.result !== undefined ? { result: task.result } : {}),
  ...(task.status === "failed" && task.error !== undefined ? { error: task.error } : {})
})

export const toCreateTaskResult = (task: StoredTask): CreateTaskResult => ({ resultType: "task", ...taskFields(task) })

// ---------------------------------------------------------------------------
// Changes: each returns the next version, or none when it does not apply

const next = (task: StoredTask, now: number, changes: Partial<StoredTask>): StoredTask => ({
  ...task,
  ...changes,
  version: task.version + 1,
  lastUpdatedAt: new Date(now).toISOString()
})

/** Without the fields of a status that is over. */
const settled = (task: StoredTask): StoredTask => {
  const { inputKeys: _keys, inputRequests: _requests, statusMessage: _message, ...rest } = task
  return rest as StoredTask
}

export interface NewTask {
  readonly taskId: TaskId
  readonly owner: string
  readonly tool: TaskTool
  readonly args: JsonObject
  readonly extra: JsonObject
  readonly inputResponses: Readonly<Record<string, unknown>>
  readonly requestState: string | undefined
  readonly ttlMs: number
  readonly pollIntervalMs: number
  readonly now: number
}

/** A task at its start: working, its first run asked for. */
export const newTask = (input: NewTask): StoredTask => {
  const at = new Date(input.now).toISOString()
  return {
    taskId: input.taskId,
    owner: input.owner,
    status: "working",
    createdAt: at,
    lastUpdatedAt: at,
    ttlMs: input.ttlMs,
    pollIntervalMs: input.pollIntervalMs,
    expiresAt: input.now + input.ttlMs,
    version: 1,
    tool: input.tool,
    args: input.args,
    extra: input.extra,
    issuedKeys: [],
    inputResponses: input.inputResponses,
    ...(input.requestState === undefined ? {} : { requestState: input.requestState }),
    runs: 1,
    started: 0
  }
}

/** The client cancels: from any status that is not over. */
export const cancel = (task: StoredTask, now: number): Option.Option<StoredTask> =>
  isTerminal(task.status)
    ? Option.none()
    : Option.some(next(settled(task), now, { status: "cancelled", statusMessage: "Cancelled by the client" }))

/** A run begins: only the run last asked for, only once, only while the task works. */
export const claim = (task: StoredTask, run: number, now: number): Option.Option<StoredTask> =>
  task.status === "working" && task.runs === run && task.started < run
    ? Option.some(next(task, now, { started: run }))
    : Option.none()

/** How a run ended. */
export type RunOutcome =
  | { readonly _tag: "Completed"; readonly result: JsonObject }
  | { readonly _tag: "Failed"; readonly error: TaskError }
  | {
    readonly _tag: "InputRequired"
    /** By the function's key. */
    readonly questions: Readonly<Record<string, TaskInputRequest>>
    /** Answers the client cannot give (undeclared capabilities), kept for the next run. */
    readonly unanswerable: Readonly<Record<string, unknown>>
    readonly requestState: string | undefined
  }

/** The key the client sees for a function's key: the same, unless it was issued before. */
const freshKey = (key: string, issued: ReadonlySet<string>, run: number) => {
  if (!issued.has(key)) return key
  for (let n = run; ; n++) {
    const candidate = `${key}.${n}`
    if (!issued.has(candidate)) return candidate
  }
}

/** A run ends: recorded only when it is the task's current run and nothing (a cancel) came first. */
export const settle = (task: StoredTask, run: number, outcome: RunOutcome, now: number): Option.Option<StoredTask> => {
  if (task.status !== "working" || task.runs !== run) return Option.none()
  switch (outcome._tag) {
    case "Completed":
      return Option.some(next(settled(task), now, { status: "completed", result: outcome.result }))
    case "Failed":
      return Option.some(next(settled(task), now, {
        status: "failed",
        statusMessage: `Tool execution failed: ${outcome.error.message}`,
        error: outcome.error
      }))
    case "InputRequired": {
      const issued = new Set(task.issuedKeys)
      const inputRequests: Record<string, TaskInputRequest> = {}
      const inputKeys: Record<string, string> = {}
      for (const [key, question] of Object.entries(outcome.questions)) {
        const wire = freshKey(key, issued, run)
        issued.add(wire)
        inputRequests[wire] = question
        inputKeys[wire] = key
      }
      const { requestState: _state, ...rest } = task
      return Option.some(next(rest, now, {
        status: "input_required",
        statusMessage: "Waiting for the client's input",
        inputRequests,
        inputKeys,
        issuedKeys: [...issued],
        inputResponses: { ...task.inputResponses, ...outcome.unanswerable },
        ...(outcome.requestState === undefined ? {} : { requestState: outcome.requestState })
      }))
    }
  }
}

/**
 * The client answers (`tasks/update`): answers to outstanding keys are kept and those keys
 * leave `inputRequests`; others are ignored. With nothing left outstanding the task works
 * again, its next run asked for (the caller starts it).
 */
export const answer = (task: StoredTask, responses: Readonly<Record<string, unknown>>, now: number): Option.Option<StoredTask> => {
  if (task.status !== "input_required" || task.inputRequests === undefined) return Option.none()
  const answered = Object.keys(responses).filter((key) => Object.hasOwn(task.inputRequests!, key))
  if (answered.length === 0) return Option.none()
  const inputResponses = { ...task.inputResponses }
  const inputRequests = { ...task.inputRequests }
  const inputKeys = { ...task.inputKeys }
  for (const key of answered) {
    inputResponses[inputKeys[key] ?? key] = responses[key]
    delete inputRequests[key]
    delete inputKeys[key]
  }
  return Object.keys(inputRequests).length > 0
    ? Option.some(next(task, now, { inputRequests, inputKeys, inputResponses }))
    : Option.some(next(settled(task), now, { status: "working", inputResponses, runs: task.runs + 1 }))
}
