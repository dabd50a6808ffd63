// Mutation testing (`npm run mutate`, not part of `npm test`: too slow for every run on 2 cores).
// It mutates the modules where a silent break costs most — the protocol (src/mcp/), the session
// stores, the MCP HTTP app and registration validation — and runs the in-process suites that
// exercise them (unit tests, the HTTP apps over memory stores, the stores on DynamoDB Local).
// Suites that spawn processes (the CLI, the proxy, the conformance runner) cannot see a mutant
// switched on in this process, so they are left out; so is the Lambda handler suite, whose
// 1,000-message relay test alone would take most of the budget.
// The suites are listed in vitest.mutate.config.ts (its `include`), not in Stryker's `testFiles`,
// which leaves module-level mutants untested (reported as surviving).
// A first or focused run: `npm run mutate -- --mutate src/mcp/Sessions.ts`.
// A mutant that cannot be told apart from the code by any user is named where it is, with
// StrykerJS's directive and a reason: `// Stryker disable next-line <Mutator>: <why>`
// (`grep -rn "Stryker disable" src` lists them all).
// Scores per file are printed at the end; the HTML report is in reports/mutation/ (git-ignored).
//
// @ts-check
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
const config = {
  packageManager: "npm",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  // One compile per group of mutants instead of one per mutant: fewer compiles on 2 cores.
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  concurrency: 2,
  // DynamoDB Local answers in milliseconds, but a mutant that stalls a stream should time out, not hang.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  mutate: [
    "src/mcp/**/*.ts",
    "src/layers/DynamoDBSessionStore.ts",
    "src/layers/DynamoDBOutbox.ts",
    "src/layers/OutboxBodies.ts",
    "src/layers/MemorySessionStore.ts",
    "src/http/StreamableHttp.ts",
    "src/http/LegacySse.ts",
    "src/http/McpHttp.ts",
    "src/http/Replies.ts",
    "src/http/Body.ts",
    "src/domain/Registration.ts",
    "src/layers/WorkerInvoker.ts",
    "src/layers/Environments.ts"
  ],
  // Never copy another run's sandbox (runs may go side by side, each with its own tempDirName).
  ignorePatterns: ["dist", "reports", "coverage", ".aws-sam", "bench", "/.stryker-tmp*", "/.stryker-*.config.mjs"],
  reporters: ["clear-text", "progress", "html", "json"],
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true
}

export default config
