/**
 * What every TaskStore must do: keep a task readable from the moment `create` returns, forget
 * it once it expires, and write a change only over the version it was computed from — so of
 * concurrent writers none undoes another, and a run's late outcome cannot overwrite a cancel.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, type Layer, Option, TestClock } from "effect"
import { LambdaArn } from "../../src/domain/LambdaArn.js"
import { answer, cancel, claim, newTask, newTaskId, settle, type StoredTask } from "../../src/domain/Task.js"
import { modify, TaskStore } from "../../src/services/TaskStore.js"

const QUESTION = { method: "elicitation/create", params: { message: "Sure?" } }

export const sampleTask = (now: number, changes: Partial<StoredTask> = {}): StoredTask => ({
  ...newTask({
    taskId: newTaskId(),
    owner: "arn:aws:iam::123456789012:user/alice",
    tool: { name: "slow", lambdaArn: LambdaArn.make("arn:aws:lambda:us-east-1:123456789012:function:slow") },
    args: { seconds: 2, label: "unicode ✓" },
    extra: { requestId: 7, protocolVersion: "2026-07-28", clientCapabilities: { elicitation: {} } },
    inputResponses: {},
    requestState: undefined,
    ttlMs: 60_000,
    pollIntervalMs: 1000,
    now
  }),
  ...changes
})

export const taskStoreContract = <E>(name: string, makeLayer: () => Layer.Layer<TaskStore, E>) =>
  describe(`TaskStore contract / ${name}`, () => {
    it.effect("a created task reads back as written; an unknown id reads as none", () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const task = sampleTask(yield* Clock.currentTimeMillis)
        yield* store.create(task)
        expect(yield* store.get(task.taskId)).toEqual(Option.some(task))
        expect(yield* store.get(newTaskId())).toEqual(Option.none())
      }).pipe(Effect.provide(makeLayer())))

    it.effect("an id is created once", () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const task = sampleTask(yield* Clock.currentTimeMillis)
        yield* store.create(task)
        const again = yield* Effect.either(store.create({ ...task, owner: "someone else" }))
        expect(Either.isLeft(again)).toBe(true)
        expect(Option.map(yield* store.get(task.taskId), (stored) => stored.owner)).toEqual(Option.some(task.owner))
      }).pipe(Effect.provide(makeLayer())))

    it.effect("a task is kept for its ttl and gone after it; an expired task cannot be changed", () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        yield* TestClock.adjust(Duration.seconds(10))
        const task = sampleTask(yield* Clock.currentTimeMillis)
        yield* store.create(task)
        yield* TestClock.adjust(Duration.millis(task.ttlMs - 1))
        expect(Option.isSome(yield* store.get(task.taskId))).toBe(true)
        yield* TestClock.adjust(Duration.millis(1))
        expect(yield* store.get(task.taskId)).toEqual(Option.none())
        const late = yield* Effect.either(store.replace({ ...task, version: task.version + 1 }))
        expect(Either.isLeft(late) && late.left._tag).toBe("TaskChanged")
      }).pipe(Effect.provide(makeLayer())))

    it.effect("a replace applies over the version it read, and only over it", () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const task = sampleTask(yield* Clock.currentTimeMillis)
        yield* store.create(task)
        const claimed = Option.getOrThrow(claim(task, 1, yield* Clock.currentTimeMillis))
        yield* store.replace(claimed)
        // Computed from version 1 as well: refused.
        const stale = yield* Effect.either(store.replace(Option.getOrThrow(cancel(task, yield* Clock.currentTimeMillis))))
        expect(Either.isLeft(stale) && stale.left._tag).toBe("TaskChanged")
        expect(Option.map(yield* store.get(task.taskId), (stored) => [stored.version, stored.status, stored.started])).toEqual(
          Option.some([2, "working", 1])
        )
      }).pipe(Effect.provide(makeLayer())))

    it.effect("a cancel wins over the late outcome of the run it interrupted", () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const task = sampleTask(yield* Clock.currentTimeMillis)
        yield* store.create(task)
        yield* modify(store, task.taskId, (current, now) => claim(current, 1, now))
        yield* modify(store, task.taskId, (current, now) => cancel(current, now))
        const late = yield* modify(store, task.taskId, (current, now) =>
          settle(current, 1, { _tag: "Completed", result: { content: [{ type: "text", text: "too late" }] } }, now))
        expect(late.written).toEqual(Option.none())
        const stored = Option.getOrThrow(yield* store.get(task.taskId))
        expect(stored.status).toBe("cancelled")
        expect(stored.result).toBeUndefined()
      }).pipe(Effect.provide(makeLayer())))

    it.effect("concurrent answers to different questions are all kept", () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const keys = ["a", "b", "c", "d", "e", "f"]
        const now = yield* Clock.currentTimeMillis
        const task = Option.getOrThrow(settle(Option.getOrThrow(claim(sampleTask(now), 1, now)), 1, {
          _tag: "InputRequired",
          questions: Object.fromEntries(keys.map((key) => [key, QUESTION])),
          unanswerable: {},
          requestState: "asked"
        }, now))
        yield* store.create(task)
        yield* Effect.forEach(keys, (key) =>
          modify(store, task.taskId, (current, at) => answer(current, { [key]: { action: "accept", content: { key } } }, at)), {
          concurrency: "unbounded"
        })
        const stored = Option.getOrThrow(yield* store.get(task.taskId))
        expect(Object.keys(stored.inputResponses).sort()).toEqual(keys)
        expect(stored.status).toBe("working")
        expect(stored.runs).toBe(2)
        expect(stored.inputRequests).toBeUndefined()
      }).pipe(Effect.provide(makeLayer())))
  })
