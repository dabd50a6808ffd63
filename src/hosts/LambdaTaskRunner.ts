/**
 * The task runner's composition root: the function the MCP function invokes with `Event` to
 * carry out a task's run (`{ taskId, run }`). It reads and writes the task in the session table
 * and invokes the tool's function with the Lambda invoker, as a normal call. Configured from
 * the environment: `SESSION_TABLE_NAME`, `AWS_REGION`, `DYNAMODB_ENDPOINT`, `LAMBDA_ENDPOINT`,
 * `TOOL_FUNCTION_ARNS` (functions outside it are refused without a call).
 *
 * The handler never throws for a run that went wrong (the run records that on the task), so
 * Lambda does not retry it; a repeated delivery is harmless anyway, since a run begins once.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import { onFirstUse } from "../domain/Decode.js"
import { TaskRunEvent } from "../domain/Task.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBTaskStore from "../layers/DynamoDBTaskStore.js"
import * as LambdaInvoker from "../layers/LambdaInvoker.js"
import { runTask } from "../mcp/TaskRun.js"
import { TaskStore } from "../services/TaskStore.js"
import { ToolInvoker } from "../services/ToolInvoker.js"
import { add, containerRuntime, logLevelConfig } from "./Services.js"

/** The task store and the invoker, built one after another (`Services.ts`). */
export const taskRunnerServices = add(DynamoDB.DynamoDB, DynamoDB.makeConfig)(Context.empty()).pipe(
  Effect.flatMap(add(TaskStore, DynamoDBTaskStore.makeConfig)),
  Effect.flatMap(add(ToolInvoker, LambdaInvoker.makeConfig))
)

/** `taskRunnerServices` as a layer (for other Effect programs; the handler builds the context directly). */
export const taskRunnerLayer = Layer.scopedContext(taskRunnerServices)

/** What the runner reads of the Lambda context. */
export interface RunnerContext {
  readonly getRemainingTimeInMillis: () => number
}

const decodeEvent = onFirstUse(() => Schema.decodeUnknown(TaskRunEvent.built()))

/** Lambda's limit for one invocation (the tool's), and the runner's time to record the outcome after it. */
const MAX_RUN = Duration.seconds(885)
const RECORD_MARGIN = Duration.seconds(10)

/** The function may run until the runner's own deadline, less the time to record its answer. */
const timeoutFor = (context: RunnerContext) =>
  Duration.millis(Math.max(
    1000,
    Math.min(Duration.toMillis(MAX_RUN), context.getRemainingTimeInMillis() - Duration.toMillis(RECORD_MARGIN))
  ))

export const runEvent = (event: unknown, context: RunnerContext) =>
  decodeEvent(event).pipe(
    Effect.flatMap(({ run, taskId }) => runTask(taskId, run, { timeout: timeoutFor(context) })),
    Effect.catchTag("ParseError", (error) => Effect.logError("The task runner got an event that is not a task run", error))
  )

/**
 * The task runner's handler (invoked asynchronously by the MCP function). The runtime is built
 * once per container, on the first event (a build that fails is tried again by the next).
 */
export const taskRunnerHandler = () => {
  const runtime = containerRuntime("task runner", taskRunnerServices, logLevelConfig)
  return (event: unknown, context: RunnerContext): Promise<void> =>
    runtime().then((ready) => Runtime.runPromise(ready)(runEvent(event, context)))
}
