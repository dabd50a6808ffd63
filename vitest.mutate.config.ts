/**
 * The suites `npm run mutate` runs against each mutant: the in-process ones that exercise the
 * mutated modules (see stryker.config.mjs). They are chosen here, by `include`, and not with
 * Stryker's `testFiles`: with `testFiles`, Stryker's vitest runner switches a mutant on only
 * after the modules have loaded, so a mutant in module-level code (a constant, a schema, an
 * error message) is never really tested and is reported as surviving.
 */
import { defineConfig } from "vitest/config"
import base from "./vitest.config.js"

export const MUTATION_SUITES = [
  "test/unit/Body.test.ts",
  "test/unit/Catalog.test.ts",
  "test/unit/Completion.test.ts",
  "test/unit/Dispatch.test.ts",
  "test/unit/Engine.test.ts",
  "test/unit/FunctionContract.test.ts",
  "test/unit/HotPath.test.ts",
  "test/unit/InputRounds.test.ts",
  "test/unit/Invoke.test.ts",
  "test/unit/JsonRpcDispatch.test.ts",
  "test/unit/Lookup.test.ts",
  "test/unit/Outbox.test.ts",
  "test/unit/Prompts.test.ts",
  "test/unit/Registration.test.ts",
  "test/unit/Replies.test.ts",
  "test/unit/RequestState.test.ts",
  "test/unit/Resources.test.ts",
  "test/unit/Results.test.ts",
  "test/unit/Routes.test.ts",
  "test/unit/Sessions.test.ts",
  "test/unit/SessionStream.test.ts",
  "test/unit/TaskRun.test.ts",
  "test/unit/Tasks.test.ts",
  "test/unit/ToolCall.test.ts",
  "test/unit/WorkerInvoker.test.ts",
  "test/unit/memory.test.ts",
  "test/integration/mcp-api.test.ts",
  "test/integration/registration-api.test.ts",
  "test/integration/resumable.test.ts",
  "test/integration/stream-limit.test.ts",
  "test/integration/store-outage.test.ts",
  "test/integration/dynamodb.test.ts"
]

export default defineConfig({ ...base, test: { ...base.test, include: MUTATION_SUITES } })
