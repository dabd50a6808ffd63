/**
 * The tasks extension (MCP 2026-07-28) through the engine: memory task store, runs as fibers of
 * the engine's layer, in-process functions the tests hold open or release. Task creation,
 * `tasks/get`, `tasks/update`, `tasks/cancel`, the gates (-32021, -32602), the function's answers
 * (result, tool error, JSON-RPC error, questions) and the MRTR rounds before a task.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Duration, Effect, Either, Layer } from "effect"
import { decodeRegistrationInput } from "../../src/domain/RegistrationInput.js"
import { TaskStartFailed } from "../../src/domain/errors.js"
import { TASKS_EXTENSION } from "../../src/domain/Task.js"
import { layerLocal } from "../../src/layers/LocalFunctionInvoker.js"
import { layerMemory as taskStoreMemory } from "../../src/layers/MemoryTaskStore.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import * as Catalog from "../../src/mcp/Catalog.js"
import * as Engine from "../../src/mcp/Engine.js"
import type { RequestContext } from "../../src/mcp/Engine.js"
import * as RequestState from "../../src/mcp/RequestState.js"
import * as Subscriptions from "../../src/mcp/Subscriptions.js"
import { TaskRunner } from "../../src/services/TaskRunner.js"
import { engineWith, result as resultIn, rpcError as rpcErrorIn, seeded, sessionStores } from "../support/engine.js"
import { arn, toolSpec } from "../support/fixtures.js"

const ALICE = "arn:aws:iam::123456789012:user/alice"
const BOB = "arn:aws:iam::123456789012:user/bob"
const MODERN = "2026-07-28" as const

const modern = (capabilities: Record<string, unknown> = {}, principal = ALICE): RequestContext => ({
  protocolVersion: MODERN,
  principal,
  clientCapabilities: capabilities
})
const withTasks = (more: Record<string, unknown> = {}, principal = ALICE) =>
  modern({ ...more, extensions: { [TASKS_EXTENSION]: {} } }, principal)

/** A request's result or error, by default from a 2026-07-28 client declaring the extension. */
const result = (method: string, params?: Record<string, unknown>, ctx: RequestContext = withTasks()) => resultIn(method, params, ctx)
const rpcError = (method: string, params?: Record<string, unknown>, ctx: RequestContext = withTasks()) => rpcErrorIn(method, params, ctx)

interface Event {
  readonly args: Record<string, unknown>
  readonly extra: Record<string, unknown> & { readonly task?: { readonly taskId?: string; readonly offered?: boolean } }
  readonly inputResponses?: Record<string, { readonly action?: string; readonly content?: Record<string, unknown> }>
  readonly requestState?: string
}

const events: Record<string, Array<Event>> = {}
const record = (name: string, event: unknown) => ((events[name] ??= []).push(event as Event), event as Event)
/** Gates the "held" function waits on, by label: a test opens one to let that run answer. */
const gates = new Map<string, { open: () => void; promise: Promise<void> }>()
const gate = (label: string) => {
  let entry = gates.get(label)
  if (entry === undefined) {
    let open = () => {}
    const promise = new Promise<void>((resolve) => (open = resolve))
    entry = { open, promise }
    gates.set(label, entry)
  }
  return entry
}
const text = (value: string) => ({ content: [{ type: "text", text: value }] })
const elicit = (message: string) => ({ method: "elicitation/create", params: { message, requestedSchema: { type: "object", properties: {} } } })

const functions = {
  held: async (event: unknown) => {
    const { args } = record("held", event)
    await gate(String(args["label"])).promise
    return text(`done ${args["label"]}`)
  },
  quick: async (event: unknown) => text(`quick ${record("quick", event).args["label"]}`),
  toolError: async () => ({ ...text("nothing to process"), isError: true }),
  thrower: async () => {
    throw new Error("database unreachable")
  },
  rpcError: async () => ({ error: { code: -32050, message: "backend unavailable", data: { retry: true } } }),
  asker: async (event: unknown) => {
    const { inputResponses = {}, requestState } = record("asker", event)
    if (inputResponses["name"] === undefined || inputResponses["confirm"] === undefined) {
      return { resultType: "input_required", inputRequests: { name: elicit("Name?"), confirm: elicit("Sure?") }, requestState: "asked-both" }
    }
    return text(`${inputResponses["name"].content?.["name"]}/${inputResponses["confirm"].content?.["ok"]}/${requestState}`)
  },
  /** Asks `again` twice, in two runs: the second time its key must be new to the client. */
  twice: async (event: unknown) => {
    const { inputResponses = {}, requestState } = record("twice", event)
    if (requestState === undefined) return { resultType: "input_required", inputRequests: { again: elicit("First?") }, requestState: "one" }
    if (requestState === "one") return { resultType: "input_required", inputRequests: { again: elicit("Second?") }, requestState: "two" }
    return text(`last answer ${inputResponses["again"]?.content?.["n"]}`)
  },
  sampler: async (event: unknown) => {
    const { inputResponses = {} } = record("sampler", event)
    if (Object.keys(inputResponses).length === 0) {
      return { resultType: "input_required", inputRequests: { pick: { method: "sampling/createMessage", params: { messages: [], maxTokens: 5 } }, name: elicit("Name?") } }
    }
    return { structuredContent: inputResponses, content: [{ type: "text", text: "answered" }] }
  },
  onlySampling: async () => ({ resultType: "input_required", inputRequests: { pick: { method: "sampling/createMessage", params: { messages: [], maxTokens: 5 } } } }),
  /** taskStart "function": asks first, then goes on as a task carrying its own state. */
  gatherer: async (event: unknown) => {
    const { extra, inputResponses } = record("gatherer", event)
    const name = inputResponses?.["user"]?.content?.["name"]
    if (name === undefined) return { resultType: "input_required", inputRequests: { user: elicit("Who?") }, requestState: "r1" }
    if (extra.task?.offered === true) return { resultType: "task", requestState: `gathered ${name}` }
    return text(`Hello, ${name}! (${extra.task?.taskId === undefined ? "no task" : "in a task"})`)
  }
}

const object = { type: "object", properties: {} }
const specs = [
  toolSpec("held", { inputSchema: { type: "object", properties: { label: { type: "string" } } }, taskSupport: "optional" }),
  toolSpec("quick", { inputSchema: { type: "object", properties: { label: { type: "string" } } }, taskSupport: "optional" }),
  toolSpec("forbidden", { lambdaArn: arn("quick"), inputSchema: { type: "object", properties: { label: { type: "string" } } } }),
  toolSpec("toolError", { inputSchema: object, taskSupport: "required" }),
  toolSpec("thrower", { inputSchema: object, taskSupport: "required" }),
  toolSpec("rpcError", { inputSchema: object, taskSupport: "required" }),
  toolSpec("asker", { inputSchema: object, taskSupport: "optional" }),
  toolSpec("twice", { inputSchema: object, taskSupport: "optional" }),
  toolSpec("sampler", { inputSchema: object, taskSupport: "optional" }),
  toolSpec("onlySampling", { inputSchema: object, taskSupport: "optional" }),
  toolSpec("gatherer", { inputSchema: object, taskSupport: "required", taskStart: "function" })
]

const options = { tasks: { pollInterval: Duration.millis(250), ttl: Duration.minutes(5) } }

/** `tasks/get` until `done` holds (live clock: runs are fibers, functions real promises). */
const getUntil = (taskId: string, done: (task: Record<string, any>) => boolean, ctx = withTasks()) => // eslint-disable-line @typescript-eslint/no-explicit-any
  result("tasks/get", { taskId }, ctx).pipe(
    Effect.delay(Duration.millis(10)),
    Effect.repeat({ until: done }),
    Effect.timeoutFail({ duration: Duration.seconds(5), onTimeout: () => new Error(`task ${taskId} never got there`) })
  )
const isOver = (task: Record<string, unknown>) => ["completed", "failed", "cancelled"].includes(task["status"] as string)

const call = (name: string, args: Record<string, unknown> = {}, ctx = withTasks(), more: Record<string, unknown> = {}) =>
  result("tools/call", { name, arguments: args, ...more }, ctx)


// Live clock: runs are fibers of the engine and the functions real promises.
layer(engineWith(specs, functions, options), { excludeTestServices: true })("tasks through the engine", (it) => {
  it.effect("server/discover offers the extension", () =>
    Effect.gen(function* () {
      const discovered = yield* result("server/discover", {}, modern())
      expect(discovered["capabilities"]["extensions"]).toEqual({ [TASKS_EXTENSION]: {} })
    }))

  it.effect("a task-supporting call with the extension is a task: durable at once, working, then completed with the result", () =>
    Effect.gen(function* () {
      const created = yield* call("held", { label: "a" }, withTasks(), { _meta: { progressToken: "p1" } })
      expect(created).toEqual({
        resultType: "task",
        taskId: expect.stringMatching(/^[\w-]{24}$/),
        status: "working",
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastUpdatedAt: expect.any(String),
        ttlMs: 300_000,
        pollIntervalMs: 250,
        _meta: expect.anything()
      })
      const taskId = created["taskId"] as string
      expect(yield* result("tasks/get", { taskId })).toMatchObject({ resultType: "complete", taskId, status: "working" })
      yield* Effect.promise(async () => {
        while ((events["held"] ?? []).every(({ args }) => args["label"] !== "a")) await new Promise((resolve) => setTimeout(resolve, 5))
      })
      gate("a").open()
      const done = yield* getUntil(taskId, isOver)
      expect(done).toMatchObject({ resultType: "complete", taskId, status: "completed", result: { content: [{ type: "text", text: "done a" }] } })
      expect(done).not.toHaveProperty("error")
      expect(done["result"]).not.toHaveProperty("_meta")
      // The run got the call's arguments and extra, plus the task; no progress token: tasks send no notifications.
      const event = events["held"]!.find(({ args }) => args["label"] === "a")!
      expect(event.extra).toMatchObject({ principal: ALICE, protocolVersion: MODERN, task: { taskId } })
      expect(event.extra).not.toHaveProperty("progressToken")
      expect(event.extra["_meta"]).not.toHaveProperty("progressToken")
    }))

  it.effect("without the extension: optional tools answer at once, required ones are refused with -32021 (2025 clients run them)", () =>
    Effect.gen(function* () {
      expect(yield* call("quick", { label: "sync" }, modern({ elicitation: {} }))).toMatchObject({
        resultType: "complete",
        content: [{ type: "text", text: "quick sync" }]
      })
      const refused = yield* rpcError("tools/call", { name: "toolError", arguments: {} }, modern())
      expect(refused).toEqual({
        code: -32021,
        message: expect.any(String),
        data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } }
      })
      expect(yield* call("toolError", {}, { protocolVersion: "2025-11-25", sessionId: undefined })).toMatchObject({ isError: true })
      // A tool that never runs as a task answers at once, even to a client that could take one.
      expect(yield* call("forbidden", { label: "f" })).toMatchObject({ resultType: "complete", content: [{ text: "quick f" }] })
    }))

  it.effect("tasks/* need the extension on the request (-32021) and a task of the caller (-32602)", () =>
    Effect.gen(function* () {
      const { taskId } = yield* call("quick", { label: "mine" })
      for (const [method, params] of [
        ["tasks/get", { taskId }],
        ["tasks/update", { taskId, inputResponses: {} }],
        ["tasks/cancel", { taskId }]
      ] as const) {
        expect((yield* rpcError(method, params, modern())).code, method).toBe(-32021)
        expect(yield* rpcError(method, params, withTasks({}, BOB)), method).toEqual({ code: -32602, message: "Failed to retrieve task: Task not found" })
        expect((yield* rpcError(method, { ...params, taskId: "no-such-task" })).code, method).toBe(-32602)
      }
      // tasks/result and tasks/list are not part of the revision.
      expect((yield* rpcError("tasks/result", { taskId }, withTasks())).code).toBe(-32601)
      expect((yield* rpcError("tasks/list", {}, withTasks())).code).toBe(-32601)
    }))

  it.effect("a cancel settles at once and wins over the run's late answer; cancelling again, or a finished task, is the same ack", () =>
    Effect.gen(function* () {
      const { taskId } = yield* call("held", { label: "cancel-me" })
      expect(yield* result("tasks/cancel", { taskId })).toEqual({ resultType: "complete", _meta: expect.anything() })
      expect(yield* result("tasks/get", { taskId })).toMatchObject({ status: "cancelled" })
      gate("cancel-me").open()
      yield* Effect.sleep(Duration.millis(50))
      const after = yield* result("tasks/get", { taskId })
      expect(after).toMatchObject({ status: "cancelled" })
      expect(after).not.toHaveProperty("result")
      expect(yield* result("tasks/cancel", { taskId })).toEqual({ resultType: "complete", _meta: expect.anything() })

      const quick = (yield* call("quick", { label: "over" }))["taskId"] as string
      yield* getUntil(quick, isOver)
      expect(yield* result("tasks/cancel", { taskId: quick })).toEqual({ resultType: "complete", _meta: expect.anything() })
      expect(yield* result("tasks/get", { taskId: quick })).toMatchObject({ status: "completed" })
    }))

  it.effect("a tool error completes the task with isError; a thrown error too; a JSON-RPC error answer fails it", () =>
    Effect.gen(function* () {
      const toolError = yield* getUntil((yield* call("toolError"))["taskId"], isOver)
      expect(toolError).toMatchObject({ status: "completed", result: { isError: true, content: [{ text: "nothing to process" }] } })
      const thrown = yield* getUntil((yield* call("thrower"))["taskId"], isOver)
      expect(thrown).toMatchObject({ status: "completed", result: { isError: true, content: [{ text: expect.stringContaining("database unreachable") }] } })
      const failed = yield* getUntil((yield* call("rpcError"))["taskId"], isOver)
      expect(failed).toMatchObject({
        status: "failed",
        statusMessage: "Tool execution failed: backend unavailable",
        error: { code: -32050, message: "backend unavailable", data: { retry: true } }
      })
      expect(failed).not.toHaveProperty("result")
    }))

  it.effect("questions in a task: input_required with all of them; answers may come one by one; then the next run gets them all", () =>
    Effect.gen(function* () {
      const { taskId } = yield* call("asker", {}, withTasks({ elicitation: {} }))
      const asking = yield* getUntil(taskId, (task) => task["status"] === "input_required")
      expect(asking["inputRequests"]).toEqual({ name: elicit("Name?"), confirm: elicit("Sure?") })
      expect(asking).not.toHaveProperty("requestState")
      const ack = yield* result("tasks/update", { taskId, inputResponses: { name: { action: "accept", content: { name: "Ada" } }, stray: { x: 1 } } })
      expect(ack).toEqual({ resultType: "complete", _meta: expect.anything() })
      const partly = yield* result("tasks/get", { taskId })
      expect(partly).toMatchObject({ status: "input_required" })
      expect(Object.keys(partly["inputRequests"])).toEqual(["confirm"])
      // Unknown keys alone change nothing.
      yield* result("tasks/update", { taskId, inputResponses: { "unknown-key": { ignored: true } } })
      expect(Object.keys((yield* result("tasks/get", { taskId }))["inputRequests"])).toEqual(["confirm"])
      yield* result("tasks/update", { taskId, inputResponses: { confirm: { action: "accept", content: { ok: true } } } })
      const done = yield* getUntil(taskId, isOver)
      expect(done).toMatchObject({ status: "completed", result: { content: [{ text: "Ada/true/asked-both" }] } })
      // An answer that is not an object is refused.
      expect((yield* rpcError("tasks/update", { taskId, inputResponses: { confirm: 12 } })).code).toBe(-32602)
    }))

  it.effect("a key the function asks again gets a new name for the client, and its answer goes back under the function's key", () =>
    Effect.gen(function* () {
      const { taskId } = yield* call("twice", {}, withTasks({ elicitation: {} }))
      const first = yield* getUntil(taskId, (task) => task["status"] === "input_required")
      expect(Object.keys(first["inputRequests"])).toEqual(["again"])
      yield* result("tasks/update", { taskId, inputResponses: { again: { action: "accept", content: { n: 1 } } } })
      const second = yield* getUntil(taskId, (task) => task["status"] === "input_required" && task["inputRequests"]["again"] === undefined)
      expect(Object.keys(second["inputRequests"])).toEqual(["again.2"])
      // The first key is answered already: sending it again does nothing.
      yield* result("tasks/update", { taskId, inputResponses: { again: { action: "accept", content: { n: 99 } } } })
      yield* result("tasks/update", { taskId, inputResponses: { "again.2": { action: "accept", content: { n: 2 } } } })
      expect(yield* getUntil(taskId, isOver)).toMatchObject({ status: "completed", result: { content: [{ text: "last answer 2" }] } })
    }))

  it.effect("a task asks only what the client declared; the rest come back as error answers, and nothing askable fails the task", () =>
    Effect.gen(function* () {
      const { taskId } = yield* call("sampler", {}, withTasks({ elicitation: {} }))
      const asking = yield* getUntil(taskId, (task) => task["status"] === "input_required")
      expect(Object.keys(asking["inputRequests"])).toEqual(["name"])
      yield* result("tasks/update", { taskId, inputResponses: { name: { action: "decline" } } })
      const done = yield* getUntil(taskId, isOver)
      expect(done["result"]["structuredContent"]).toEqual({
        name: { action: "decline" },
        pick: { error: { code: -32601, message: "The client did not declare the sampling capability" } }
      })
      const failed = yield* getUntil((yield* call("onlySampling", {}, withTasks({ elicitation: {} })))["taskId"], isOver)
      expect(failed).toMatchObject({ status: "failed", error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } } })
    }))

  it.effect("taskStart function: questions before the task, on the call itself; the answered retry becomes a task with the function's state", () =>
    Effect.gen(function* () {
      const ctx = withTasks({ elicitation: {} })
      const asked = yield* call("gatherer", {}, ctx)
      expect(asked).toMatchObject({ resultType: "input_required", inputRequests: { user: elicit("Who?") } })
      expect(asked).not.toHaveProperty("taskId")
      const created = yield* call("gatherer", {}, ctx, {
        inputResponses: { user: { action: "accept", content: { name: "Alice" } } },
        requestState: asked["requestState"]
      })
      expect(created).toMatchObject({ resultType: "task", status: "working" })
      expect(created).not.toHaveProperty("requestState")
      expect(created).not.toHaveProperty("inputRequests")
      const done = yield* getUntil(created["taskId"], isOver)
      expect(done).toMatchObject({ status: "completed", result: { content: [{ text: "Hello, Alice! (in a task)" }] } })
      const runs = events["gatherer"]!.filter(({ extra }) => extra.task?.taskId === created["taskId"])
      expect(runs.map(({ inputResponses, requestState }) => ({ inputResponses, requestState }))).toEqual([
        { inputResponses: { user: { action: "accept", content: { name: "Alice" } } }, requestState: "gathered Alice" }
      ])
      // The 2025 revisions know no tasks: nothing is offered, so the function does the work in the call.
      const legacy = events["gatherer"]!.length
      yield* call("gatherer", {}, { protocolVersion: "2025-11-25" }).pipe(Effect.either)
      expect(events["gatherer"]![legacy]!.extra).not.toHaveProperty("task")
    }))
})

describe("tasks, configured", () => {
  it.live("an engine that offers no tasks: nothing in discover, tasks/* unknown, optional tools answer at once", () =>
    Effect.gen(function* () {
      const discovered = yield* result("server/discover", {}, withTasks())
      expect(discovered["capabilities"]).not.toHaveProperty("extensions")
      expect((yield* rpcError("tasks/get", { taskId: "x" }, withTasks())).code).toBe(-32601)
      expect(yield* call("quick", { label: "plain" })).toMatchObject({ resultType: "complete", content: [{ text: "quick plain" }] })
    }).pipe(Effect.provide(engineWith(specs, functions, { tasks: { enabled: false } }))))

  it.live("a run that cannot be started: the call still answers the task, which has failed", () =>
    Effect.gen(function* () {
      const created = yield* call("quick", { label: "stuck" })
      expect(created).toMatchObject({ resultType: "task", status: "failed" })
      expect(yield* result("tasks/get", { taskId: created["taskId"] })).toMatchObject({
        status: "failed",
        error: { code: -32603, message: "The task could not be started" }
      })
    }).pipe(Effect.provide(
      Engine.layer(options, undefined, Layer.merge(
        taskStoreMemory,
        Layer.succeed(TaskRunner, { start: (taskId) => Effect.fail(new TaskStartFailed({ taskId, cause: new Error("no runner") })) })
      )).pipe(
        Layer.provideMerge(Layer.mergeAll(Catalog.layer, Subscriptions.layer, RequestState.layerConfig)),
        Layer.provideMerge(Layer.mergeAll(Layer.provideMerge(seeded(specs), registryMemory), layerLocal(new Map(Object.entries(functions))), sessionStores))
      )
    )))

  it("a registration says how a task starts only when it may be one", () => {
    const invalid = Effect.runSync(Effect.either(decodeRegistrationInput({
      type: "tool",
      name: "x",
      description: "x",
      lambdaArn: arn("x"),
      taskStart: "function"
    })))
    expect(Either.isLeft(invalid) && invalid.left.message).toMatch(/taskStart: applies only to a tool whose taskSupport/)
    const bad = Effect.runSync(Effect.either(decodeRegistrationInput({ type: "tool", name: "x", description: "x", lambdaArn: arn("x"), taskSupport: "sometimes" })))
    expect(Either.isLeft(bad)).toBe(true)
  })
})
