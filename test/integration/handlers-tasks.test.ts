/**
 * Tasks (the MCP 2026-07-28 extension) on the real Lambda handler path: two MCP handler
 * instances under lambda-local stand for two containers, DynamoDB Local holds the tasks, and
 * the loopback stand-in of Lambda's Invoke API runs the tool functions and — on `Event`
 * invocations, as Lambda queues them — the real task-runner handler. A task created in one
 * container is read, answered and cancelled from the other, and survives both.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { TASKS_EXTENSION } from "../../src/domain/Task.js"
import * as DynamoDBRegistry from "../../src/layers/DynamoDBRegistry.js"
import { createTables, type TableNames } from "../../src/layers/Tables.js"
import { Registry } from "../../src/services/Registry.js"
import { clientLayer, freshTableNames } from "../support/dynamodb.js"
import { toolSpec } from "../support/fixtures.js"
import { type FunctionUrl, serveFunction, setHandlerEnvironment } from "../support/functionUrl.js"
import { type Json, readJson } from "../support/json.js"
import { type LambdaInvokeStandIn, serveLambdaInvoke } from "../support/lambdaInvokeStandIn.js"
import { postModern } from "../support/modernRequest.js"

const dynamodb = inject("dynamodbEndpoint")

const ALICE = "arn:aws:iam::123456789012:user/alice"
const BOB = "arn:aws:iam::123456789012:user/bob"
const TASKS = { extensions: { [TASKS_EXTENSION]: {} }, elicitation: {} }

interface ToolEvent {
  readonly args: { readonly label?: string }
  readonly extra: { readonly task?: { readonly taskId: string } }
  readonly inputResponses?: Record<string, { readonly content?: { readonly confirm?: boolean } }>
}

/** Released by the test: the "held" function answers once its label's gate opens. */
const gates = new Map<string, () => void>()
const held = new Map<string, Promise<void>>()
const gateOf = (label: string) => {
  if (!held.has(label)) held.set(label, new Promise<void>((resolve) => gates.set(label, resolve)))
  return held.get(label)!
}

describe.skipIf(dynamodb === "")("tasks through the Lambda handlers (lambda-local, DynamoDB Local, Invoke stand-in)", () => {
  let names: TableNames
  let lambda: LambdaInvokeStandIn
  let one: FunctionUrl
  let two: FunctionUrl
  let runner: (event: unknown, context: { getRemainingTimeInMillis: () => number }) => Promise<void>

  beforeAll(async () => {
    names = freshTableNames()
    await Effect.runPromise(Effect.gen(function* () {
      yield* createTables(names)
      const registry = yield* Registry
      const labelled = { type: "object", properties: { label: { type: "string" } } }
      yield* registry.create(toolSpec("held", { inputSchema: labelled, taskSupport: "optional" }))
      yield* registry.create(toolSpec("confirmer", { inputSchema: labelled, taskSupport: "required" }))
    }).pipe(Effect.provide(DynamoDBRegistry.layer({ tableName: names.registrations })), Effect.provide(clientLayer(dynamodb))))
    lambda = await serveLambdaInvoke({
      held: async (event) => {
        const { args } = event as ToolEvent
        await gateOf(args.label ?? "")
        return { content: [{ type: "text", text: `done ${args.label}` }] }
      },
      confirmer: (event) => {
        const { args, inputResponses } = event as ToolEvent
        const answer = inputResponses?.["confirm"]
        if (answer === undefined) {
          return {
            resultType: "input_required",
            inputRequests: { confirm: { method: "elicitation/create", params: { message: `Delete ${args.label}?`, requestedSchema: { type: "object", properties: {} } } } }
          }
        }
        return { content: [{ type: "text", text: answer.content?.confirm === true ? `deleted ${args.label}` : "kept" }] }
      },
      // Lambda delivers the MCP function's Event invocation to the task runner's handler.
      "task-runner": (event) => runner(event, { getRemainingTimeInMillis: () => 120_000 })
    })
    delete process.env["RATE_LIMIT_PER_MINUTE"]
    setHandlerEnvironment({ tables: names, dynamodb, lambda: lambda.endpoint }, {
      TASK_RUNNER_FUNCTION: "task-runner",
      REQUEST_STATE_KEY: Buffer.alloc(32, 7).toString("base64")
    })
    const { mcpHandler } = await import("../../src/hosts/LambdaMcp.js")
    runner = (await import("../../src/hosts/LambdaTaskRunner.js")).taskRunnerHandler()
    one = await serveFunction(mcpHandler(), { timeoutMs: 60_000 })
    two = await serveFunction(mcpHandler(), { timeoutMs: 60_000 })
  }, 60_000)

  afterAll(async () => {
    for (const open of gates.values()) open()
    await one?.close()
    await two?.close()
    await lambda?.close()
    delete process.env["TASK_RUNNER_FUNCTION"]
  })

  const mcpOf = (container: FunctionUrl) => `${container.url}/mcp`
  let nextId = 1

  const call = async (container: FunctionUrl, name: string, label: string, capabilities: Record<string, unknown> = TASKS) => {
    const response = await postModern(mcpOf(container), nextId++, "tools/call", { name, arguments: { label } }, {
      capabilities,
      headers: { "x-test-principal": ALICE }
    })
    return { status: response.status, body: await readJson(response) }
  }

  const onTask = async (container: FunctionUrl, method: string, params: Record<string, unknown>, options: { principal?: string; name?: string } = {}) => {
    const response = await postModern(mcpOf(container), nextId++, method, params, {
      capabilities: TASKS,
      headers: { "x-test-principal": options.principal ?? ALICE, "mcp-name": options.name ?? String(params["taskId"]) }
    })
    return { status: response.status, body: await readJson(response) }
  }

  const taskOf = async (container: FunctionUrl, taskId: string): Promise<Json> => (await onTask(container, "tasks/get", { taskId })).body.result

  const until = (container: FunctionUrl, taskId: string, status: string) =>
    expect.poll(async () => (await taskOf(container, taskId))["status"], { timeout: 10_000, interval: 50 }).toBe(status)

  it("a task created in one container is there in the other at once; the runner, invoked with Event, records its result", async () => {
    const runsBefore = lambda.invocationsOf("task-runner").length
    const created = await call(one, "held", "first")
    expect(created.status).toBe(200)
    expect(created.body.result).toMatchObject({ resultType: "task", status: "working", ttlMs: expect.any(Number) })
    const taskId = created.body.result.taskId as string
    expect(await taskOf(two, taskId)).toMatchObject({ resultType: "complete", taskId, status: "working" })

    const runs = lambda.invocationsOf("task-runner").slice(runsBefore)
    expect(runs).toHaveLength(1)
    expect(runs[0]!.headers["x-amz-invocation-type"]).toBe("Event")
    expect(runs[0]!.event).toEqual({ taskId, run: 1 })

    await expect.poll(() => lambda.invocationsOf("held").some(({ event }) => (event as ToolEvent).extra.task?.taskId === taskId)).toBe(true)
    gates.get("first")!()
    await until(two, taskId, "completed")
    expect(await taskOf(one, taskId)).toMatchObject({ status: "completed", result: { content: [{ type: "text", text: "done first" }] } })
    // Only its owner sees it.
    expect((await onTask(two, "tasks/get", { taskId }, { principal: BOB })).body.error).toMatchObject({ code: -32602 })
  })

  it("a cancel from the other container settles at once, and the run's late answer does not undo it", async () => {
    const taskId = (await call(one, "held", "second")).body.result.taskId as string
    await expect.poll(() => lambda.invocationsOf("held").some(({ event }) => (event as ToolEvent).extra.task?.taskId === taskId)).toBe(true)
    const runnersDone = lambda.invocationsOf("task-runner").length
    const ack = await onTask(two, "tasks/cancel", { taskId })
    expect(ack.body.result).toEqual({ resultType: "complete", _meta: expect.anything() })
    expect(await taskOf(one, taskId)).toMatchObject({ status: "cancelled" })
    gates.get("second")!()
    await lambda.answered("task-runner", runnersDone)
    const after = await taskOf(two, taskId)
    expect(after).toMatchObject({ status: "cancelled" })
    expect(after).not.toHaveProperty("result")
  })

  it("a task's question is answered from the other container with tasks/update; the next run is a new Event invocation", async () => {
    const taskId = (await call(one, "confirmer", "notes.txt")).body.result.taskId as string
    await until(two, taskId, "input_required")
    expect((await taskOf(two, taskId))["inputRequests"]).toEqual({
      confirm: { method: "elicitation/create", params: { message: "Delete notes.txt?", requestedSchema: { type: "object", properties: {} } } }
    })
    const ack = await onTask(two, "tasks/update", { taskId, inputResponses: { confirm: { action: "accept", content: { confirm: true } } } })
    expect(ack.body.result).toEqual({ resultType: "complete", _meta: expect.anything() })
    await until(one, taskId, "completed")
    expect((await taskOf(one, taskId))["result"]).toEqual({ content: [{ type: "text", text: "deleted notes.txt" }] })
    expect(lambda.invocationsOf("task-runner").filter(({ event }) => (event as { taskId: string }).taskId === taskId).map(({ event }) => event))
      .toEqual([{ taskId, run: 1 }, { taskId, run: 2 }])
  })

  it("a required task without the extension is 400 with -32021; Mcp-Name must repeat the task id", async () => {
    const refused = await call(one, "confirmer", "x", { elicitation: {} })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toEqual({
      code: -32021,
      message: expect.any(String),
      data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } }
    })
    const taskId = (await call(one, "held", "third")).body.result.taskId as string
    const mismatched = await onTask(two, "tasks/get", { taskId }, { name: "another-task" })
    expect(mismatched.status).toBe(400)
    expect(mismatched.body.error).toMatchObject({ code: -32020 })
    gates.get("third")?.()
    await onTask(two, "tasks/cancel", { taskId })
  })
})
