/**
 * A task's run on its own (as the task runner and the dev server's fibers carry it out): a run
 * begins once however often it is delivered, a cancelled run is dropped without waiting for
 * its function, a timeout is a tool error, an oversized result fails the task. And the Lambda
 * runner's `Event` invocation.
 */
import type { InvokeCommand } from "@aws-sdk/client-lambda"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Layer, Option } from "effect"
import { type TaskId } from "../../src/domain/Task.js"
import * as LambdaTaskRunner from "../../src/layers/LambdaTaskRunner.js"
import { layerLocal } from "../../src/layers/LocalFunctionInvoker.js"
import { layerMemory } from "../../src/layers/MemoryTaskStore.js"
import { MAX_RESULT_BYTES, runTask } from "../../src/mcp/TaskRun.js"
import { modify, TaskStore } from "../../src/services/TaskStore.js"
import { cancel } from "../../src/domain/Task.js"
import { sampleTask } from "../contracts/TaskStoreContract.js"

let invocations = 0
const functions = {
  slow: async () => {
    invocations++
    return new Promise(() => {})
  },
  huge: async () => "x".repeat(MAX_RESULT_BYTES + 10)
}

const layer = Layer.merge(layerMemory, layerLocal(new Map(Object.entries(functions))))

const created = (name: string) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const base = sampleTask(yield* Clock.currentTimeMillis)
    const task = { ...base, tool: { ...base.tool, name, lambdaArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}` as typeof base.tool.lambdaArn } }
    yield* store.create(task)
    return task
  })

const stored = (taskId: TaskId) => Effect.flatMap(TaskStore, (store) => Effect.map(store.get(taskId), Option.getOrThrow))

describe("a task's run", () => {
  it.live("begins once, however often it is delivered, and is dropped (without waiting) once the task is cancelled", () =>
    Effect.gen(function* () {
      const before = invocations
      const task = yield* created("slow")
      const runs = yield* Effect.fork(Effect.all([runTask(task.taskId, 1, { cancelCheck: "20 millis" }), runTask(task.taskId, 1)], { concurrency: 2 }))
      yield* Effect.sleep(Duration.millis(50))
      expect(invocations - before).toBe(1)
      expect((yield* stored(task.taskId)).started).toBe(1)
      yield* modify(yield* TaskStore, task.taskId, (current, now) => cancel(current, now))
      // The function never answers; the run ends anyway, and the task stays cancelled.
      yield* runs.await.pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => new Error("the run did not stop") }))
      expect((yield* stored(task.taskId)).status).toBe("cancelled")
    }).pipe(Effect.provide(layer)))

  it.live("a function that outlives the run's timeout completes the task with a tool error", () =>
    Effect.gen(function* () {
      const task = yield* created("slow")
      yield* runTask(task.taskId, 1, { timeout: "30 millis" })
      const after = yield* stored(task.taskId)
      expect(after.status).toBe("completed")
      expect(after.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("timed out") }] })
    }).pipe(Effect.provide(layer)))

  it.live("a result too big to keep fails the task", () =>
    Effect.gen(function* () {
      const task = yield* created("huge")
      yield* runTask(task.taskId, 1)
      const after = yield* stored(task.taskId)
      expect(after.status).toBe("failed")
      expect(after.error).toMatchObject({ code: -32603, message: expect.stringContaining("a task keeps at most") })
    }).pipe(Effect.provide(layer)))

  it.live("a run that is not the task's current one does nothing", () =>
    Effect.gen(function* () {
      const before = invocations
      const task = yield* created("slow")
      yield* runTask(task.taskId, 2)
      expect(invocations).toBe(before)
      expect((yield* stored(task.taskId)).started).toBe(0)
    }).pipe(Effect.provide(layer)))
})

describe("the Lambda task runner", () => {
  const recording = (answer: () => Promise<{ StatusCode?: number }>) => {
    const sent: Array<InvokeCommand["input"]> = []
    const client = { send: (command: InvokeCommand) => (sent.push(command.input), answer()) } as unknown as LambdaTaskRunner.LambdaSend
    return { sent, runner: LambdaTaskRunner.make(client, "mcp-lambda-sam-default-task-runner") }
  }

  it.effect("sets a run off with an Event invocation of the runner function, carrying the task and the run", () =>
    Effect.gen(function* () {
      const { runner, sent } = recording(async () => ({ StatusCode: 202 }))
      yield* runner.start("t-1" as TaskId, 3)
      expect(sent).toHaveLength(1)
      expect(sent[0]).toMatchObject({ FunctionName: "mcp-lambda-sam-default-task-runner", InvocationType: "Event" })
      expect(JSON.parse(Buffer.from(sent[0]!.Payload as Uint8Array).toString("utf8"))).toEqual({ taskId: "t-1", run: 3 })
    }))

  it.effect("a refused or failed invocation is TaskStartFailed", () =>
    Effect.gen(function* () {
      const refused = yield* Effect.either(recording(async () => ({ StatusCode: 200 })).runner.start("t-2" as TaskId, 1))
      expect(Either.isLeft(refused) && refused.left._tag).toBe("TaskStartFailed")
      const failed = yield* Effect.either(recording(() => Promise.reject(new Error("AccessDeniedException"))).runner.start("t-3" as TaskId, 1))
      expect(Either.isLeft(failed) && failed.left._tag).toBe("TaskStartFailed")
    }))
})
