/**
 * template.yaml's task runner (the tasks extension of MCP 2026-07-28): its own function and
 * bundle, invoked asynchronously by the MCP function, allowed to touch only task items of the
 * session table and the tool functions. Expanded by aws-sam-translator, as in template.test.ts.
 */
import { execFile } from "node:child_process"
import { readFile } from "node:fs/promises"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { TASK_PARTITION_PREFIX } from "../../src/layers/DynamoDBTaskStore.js"
import { toolAvailable } from "../support/ci.js"
import type { Json } from "../support/json.js"

const run = promisify(execFile)

const expand = async (parameters: Record<string, string> = {}): Promise<Json> => {
  const { stdout } = await run("python3", ["test/template/sam_translate.py", "template.yaml", JSON.stringify(parameters)], {
    maxBuffer: 16 * 1024 * 1024
  })
  return JSON.parse(stdout)
}

const statementsOf = (role: Json): Array<Json> =>
  role.Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement)

describe.skipIf(!toolAvailable("python3", ["-c", "import samtranslator"]))("template.yaml: the task runner", () => {
  it("is a function of its own bundle, with Lambda's longest timeout and the session table in its environment", async () => {
    const { Resources } = await expand()
    expect(Resources.TaskRunnerFunction.Properties).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Code: { S3Bucket: "artifacts-bucket", S3Key: "TaskRunnerFunction.zip" },
      Timeout: 900
    })
    expect(Resources.TaskRunnerFunction.Properties.Environment.Variables).toMatchObject({ SESSION_TABLE_NAME: { Ref: "SessionTable" } })
    expect(Resources.TaskRunnerFunctionUrl).toBeUndefined()
    // The bundle the template names is one scripts/bundle.mjs builds.
    expect(await readFile("template.yaml", "utf8")).toContain("CodeUri: dist/lambda/task-runner/")
    expect(await readFile("scripts/bundle.mjs", "utf8")).toContain(`"task-runner": "src/handlers/taskRunner.ts"`)
  }, 60_000)

  it("is named to the MCP function, which may invoke it and nothing else beyond the tools", async () => {
    const { Resources } = await expand()
    expect(Resources.McpFunction.Properties.Environment.Variables.TASK_RUNNER_FUNCTION).toEqual({ Ref: "TaskRunnerFunction" })
    const invokes = statementsOf(Resources.McpFunctionRole).filter((statement) => statement.Action === "lambda:InvokeFunction")
    expect(invokes.map((statement) => JSON.stringify(statement.Resource))).toEqual([
      expect.stringContaining("function:${ToolFunctionPattern}"),
      JSON.stringify({ "Fn::GetAtt": ["TaskRunnerFunction", "Arn"] })
    ])
  }, 60_000)

  it("reads and writes task items only, and invokes only the tool functions", async () => {
    const { Resources } = await expand()
    const statements = statementsOf(Resources.TaskRunnerFunctionRole)
    const onTable = statements.filter((statement) => JSON.stringify(statement.Resource).includes("SessionTable"))
    expect(onTable).toHaveLength(1)
    expect([onTable[0].Action].flat().sort()).toEqual(["dynamodb:GetItem", "dynamodb:PutItem"])
    expect(onTable[0].Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${TASK_PARTITION_PREFIX}*`] } })
    expect(statements.some((statement) => JSON.stringify(statement.Resource).includes("RegistrationTable"))).toBe(false)
    const invoke = statements.filter((statement) => statement.Action === "lambda:InvokeFunction")
    expect(invoke).toHaveLength(1)
    expect(JSON.stringify(invoke[0].Resource)).toContain("function:${ToolFunctionPattern}")
    expect(JSON.stringify(invoke[0].Resource)).not.toContain("TaskRunnerFunction")
  }, 60_000)

  it("runs in the VPC with the other functions when VpcEnabled", async () => {
    const { Resources } = await expand({ VpcEnabled: "true", VpcId: "vpc-0123456789abcdef0", SubnetIds: "subnet-01234567" })
    expect(Resources.TaskRunnerFunction.Properties.VpcConfig["Fn::If"][0]).toBe("IsVpc")
  }, 60_000)
})
