/**
 * Sets task runs off on AWS: an `Event` (asynchronous) invocation of the task-runner function
 * with `{ taskId, run }`. Lambda queues the event and answers at once, so a `tools/call` that
 * creates a task returns without waiting for the run; the runner records the outcome in the
 * task store. A delivery Lambda repeats is harmless: a run begins only once (`claim`).
 */
import type { LambdaClientConfig } from "@aws-sdk/client-lambda"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { TaskStartFailed } from "../domain/errors.js"
import type { TaskId, TaskRunEvent } from "../domain/Task.js"
import { TaskRunner, type TaskRunnerShape } from "../services/TaskRunner.js"
import { LambdaApi, lazyLambdaClient, type LambdaSend } from "./LambdaApi.js"

export interface LambdaTaskRunnerOptions {
  /** The task-runner function's name or ARN. */
  readonly functionName: string
  readonly client?: LambdaClientConfig | undefined
}

export type { LambdaSend }

export const make = (client: LambdaSend, functionName: string): TaskRunnerShape => ({
  start: Effect.fn("TaskRunner.start")(function* (taskId: TaskId, run: number) {
    const event: TaskRunEvent = { taskId, run }
    const { InvokeCommand } = yield* LambdaApi
    const output = yield* Effect.tryPromise({
      try: (signal) =>
        client.send(
          new InvokeCommand({ FunctionName: functionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }),
          { abortSignal: signal }
        ),
      catch: (cause) => new TaskStartFailed({ taskId, cause })
    })
    // 202 means queued; anything else is not a start.
    if (output.StatusCode !== 202) {
      return yield* new TaskStartFailed({ taskId, cause: new Error(`Invoke answered status ${output.StatusCode}`) })
    }
  })
})

/** A runner with its own client, released with the scope. */
export const makeScoped = (options: LambdaTaskRunnerOptions) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => lazyLambdaClient({ ...options.client })),
      (client) => Effect.sync(() => client.destroy())
    ),
    (client) => make(client, options.functionName)
  )

export const layer = (options: LambdaTaskRunnerOptions): Layer.Layer<TaskRunner> => Layer.scoped(TaskRunner, makeScoped(options))

/** The client's settings from the environment: `AWS_REGION`, and `LAMBDA_ENDPOINT` for local tests. */
export const clientConfig = Effect.gen(function* () {
  const region = yield* Config.option(Config.string("AWS_REGION"))
  const endpoint = yield* Config.option(Config.string("LAMBDA_ENDPOINT"))
  return {
    ...(Option.isSome(region) ? { region: region.value } : {}),
    ...(Option.isSome(endpoint) ? { endpoint: endpoint.value } : {})
  } satisfies LambdaClientConfig
})
