/** Tasks held in memory: for tests, `npm start` and embedding. Expired tasks are dropped on the way. */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { StoreError, TaskChanged } from "../domain/errors.js"
import type { StoredTask, TaskId } from "../domain/Task.js"
import { TaskStore, type TaskStoreShape } from "../services/TaskStore.js"

type Tasks = ReadonlyMap<TaskId, StoredTask>

export const makeMemory: Effect.Effect<TaskStoreShape> = Effect.map(Ref.make<Tasks>(new Map()), (tasks) => {
  const live = (task: StoredTask | undefined, now: number) => (task !== undefined && task.expiresAt > now ? task : undefined)

  const create = (task: StoredTask) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(tasks, (current): readonly [Either.Either<void, StoreError>, Tasks] => {
        if (current.has(task.taskId)) {
          return [Either.left(new StoreError({ operation: "TaskStore.create", cause: new Error(`task ${task.taskId} exists`) })), current]
        }
        // Expired tasks go when a new one comes, so a long-running dev server does not keep them all.
        const kept = new Map([...current].filter(([, stored]) => stored.expiresAt > now))
        return [Either.right(undefined), kept.set(task.taskId, task)]
      })).pipe(Effect.flatten)

  const get = (taskId: TaskId) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(Ref.get(tasks), (current) => Option.fromNullable(live(current.get(taskId), now))))

  const replace = (task: StoredTask) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(tasks, (current): readonly [Either.Either<void, TaskChanged>, Tasks] => {
        const stored = live(current.get(task.taskId), now)
        return stored === undefined || stored.version !== task.version - 1
          ? [Either.left(new TaskChanged({ taskId: task.taskId, version: task.version - 1 })), current]
          : [Either.right(undefined), new Map(current).set(task.taskId, task)]
      })).pipe(Effect.flatten)

  return { create, get, replace } satisfies TaskStoreShape
})

export const layerMemory: Layer.Layer<TaskStore> = Layer.effect(TaskStore, makeMemory)
