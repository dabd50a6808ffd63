/**
 * template.yaml: cfn-lint is clean, and aws-sam-translator (what CloudFormation's SAM transform
 * runs) expands it into the resources the functions need. Both tools come with python here;
 * a missing one fails in CI and skips locally.
 */
import { execFile } from "node:child_process"
import { readFile } from "node:fs/promises"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { registrationTableDefinition, sessionTableDefinition, TTL_ATTRIBUTE } from "../../src/layers/Tables.js"
import { toolAvailable } from "../support/ci.js"
import type { Json } from "../support/json.js"

const run = promisify(execFile)

const hasCfnLint = toolAvailable("cfn-lint", ["--version"])
const hasTranslator = toolAvailable("python3", ["-c", "import samtranslator"])

const expand = async (parameters: Record<string, string> = {}): Promise<Json> => {
  const { stdout } = await run("python3", ["test/template/sam_translate.py", "template.yaml", JSON.stringify(parameters)], {
    maxBuffer: 16 * 1024 * 1024
  })
  return JSON.parse(stdout)
}

const statementsOf = (role: Json): Array<Json> =>
  role.Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement)

describe.skipIf(!hasCfnLint)("cfn-lint", () => {
  it("finds nothing in template.yaml", async () => {
    const result = await run("cfn-lint", ["template.yaml"]).then(
      () => ({ code: 0, output: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout })
    )
    expect(result.output).toBe("")
    expect(result.code).toBe(0)
  }, 120_000)
})

describe.skipIf(!hasTranslator)("template.yaml expanded by aws-sam-translator", () => {
  it("gives each function an IAM-authenticated Function URL: the MCP one streams unless in a VPC", async () => {
    const { Resources } = await expand()
    expect(Resources.McpFunctionUrl.Type).toBe("AWS::Lambda::Url")
    expect(Resources.McpFunctionUrl.Properties).toMatchObject({
      // NONE only with McpAuth=OAUTH (auth.test.ts).
      AuthType: { "Fn::If": ["IsOAuth", "NONE", "AWS_IAM"] },
      InvokeMode: { "Fn::If": ["IsVpc", "BUFFERED", "RESPONSE_STREAM"] },
      TargetFunctionArn: { Ref: "McpFunction" }
    })
    expect(Resources.RegistrationFunctionUrl.Properties).toMatchObject({ AuthType: "AWS_IAM", InvokeMode: "BUFFERED" })
    expect(Resources.McpFunction.Properties.Environment.Variables.INVOKE_MODE).toEqual({
      "Fn::If": ["IsVpc", "BUFFERED", "RESPONSE_STREAM"]
    })
  }, 60_000)

  it("runs nodejs22.x on arm64, with the bundles' handler and the table names in the environment", async () => {
    const { Resources } = await expand()
    for (const name of ["McpFunction", "RegistrationFunction"]) {
      expect(Resources[name].Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        Code: { S3Bucket: "artifacts-bucket", S3Key: `${name}.zip` }
      })
    }
    expect(Resources.McpFunction.Properties.Timeout).toBe(900)
    expect(Resources.McpFunction.Properties.Environment.Variables).toMatchObject({
      REGISTRATION_TABLE_NAME: { Ref: "RegistrationTable" },
      SESSION_TABLE_NAME: { Ref: "SessionTable" }
    })
    expect(Resources.RegistrationFunction.Properties.Environment.Variables).toMatchObject({
      REGISTRATION_TABLE_NAME: { Ref: "RegistrationTable" },
      // POST /resources/updated appends to session outboxes, pushing expiry by the same TTL as the MCP function.
      SESSION_TABLE_NAME: { Ref: "SessionTable" },
      SESSION_TTL_SECONDS: { Ref: "SessionTtlSeconds" }
    })
  }, 60_000)

  it("creates the tables from the definition the code uses, with TTL on sessions and PITR on registrations", async () => {
    const { Resources } = await expand()
    const keysOf = (table: Json) => ({ KeySchema: table.KeySchema, AttributeDefinitions: table.AttributeDefinitions })
    expect(keysOf(Resources.RegistrationTable.Properties)).toEqual(keysOf(registrationTableDefinition("x")))
    expect(keysOf(Resources.SessionTable.Properties)).toEqual(keysOf(sessionTableDefinition("x")))
    for (const table of [Resources.RegistrationTable, Resources.SessionTable]) {
      expect(table.Properties).toMatchObject({ BillingMode: "PAY_PER_REQUEST", SSESpecification: { SSEEnabled: true } })
    }
    expect(Resources.SessionTable.Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true })
    expect(Resources.RegistrationTable.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true })
  }, 60_000)

  it("grants each function only what it uses", async () => {
    const { Resources } = await expand()
    const mcp = statementsOf(Resources.McpFunctionRole)
    const registration = statementsOf(Resources.RegistrationFunctionRole)
    const actionsOn = (statements: Array<Json>, resource: string) =>
      statements
        .filter((statement) => JSON.stringify(statement.Resource).includes(resource))
        .flatMap((statement) => [statement.Action].flat())
        .sort()
    expect(actionsOn(mcp, "RegistrationTable")).toEqual(["dynamodb:GetItem", "dynamodb:Query"])
    expect(actionsOn(mcp, "SessionTable")).toEqual([
      "dynamodb:BatchWriteItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem"
    ])
    const invoke = mcp.find((statement) => statement.Action === "lambda:InvokeFunction")
    expect(JSON.stringify(invoke.Resource)).toContain("function:${ToolFunctionPattern}")
    // POST /resources/updated: Query a URI's subscriptions and DeleteItem stale ones, in the
    // subscription partitions only; UpdateItem + PutItem append to outboxes, outside them.
    expect(actionsOn(registration, "SessionTable")).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem"
    ])
    const onSessions = (action: string) =>
      registration.find((statement) =>
        JSON.stringify(statement.Resource).includes("SessionTable") && [statement.Action].flat().includes(action))
    for (const action of ["dynamodb:Query", "dynamodb:DeleteItem"]) {
      expect(onSessions(action).Condition, action).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["sub#*"] } })
    }
    // The prefixes are the stores' partition keys.
    expect(await readFile("src/layers/DynamoDBSubscriptionStore.ts", "utf8")).toContain("`sub#${")
    expect(await readFile("src/layers/DynamoDBRateLimiter.ts", "utf8")).toContain("`rate#${")
    for (const action of ["dynamodb:UpdateItem", "dynamodb:PutItem"]) {
      expect(onSessions(action).Condition, action).toEqual({
        "ForAllValues:StringNotLike": { "dynamodb:LeadingKeys": ["sub#*", "rate#*"] }
      })
    }
    expect(registration.some((statement) => JSON.stringify(statement.Action).includes("lambda:"))).toBe(false)
    expect(actionsOn(registration, "RegistrationTable")).toContain("dynamodb:ConditionCheckItem")
  }, 60_000)

  it("invokes mcp-tool-* functions only by default, and each function reads the same allowlist from its environment", async () => {
    const { Parameters, Resources } = await expand()
    expect(Parameters.ToolFunctionPattern.Default).toBe("mcp-tool-*")
    const allowlists = ["McpFunction", "RegistrationFunction", "TaskRunnerFunction"].map((name) =>
      Resources[name].Properties.Environment.Variables.TOOL_FUNCTION_ARNS)
    for (const allowlist of allowlists) expect(allowlist).toEqual(allowlists[0])
    const patterns = String(allowlists[0]["Fn::Sub"]).split(",")
    expect(patterns[0]).toMatch(/^arn:\$\{AWS::Partition\}:lambda:\$\{AWS::Region\}:\$\{AWS::AccountId\}:function:\$\{ToolFunctionPattern\}$/)
    // What the Registration API accepts is exactly what the roles may invoke.
    for (const role of ["McpFunctionRole", "TaskRunnerFunctionRole"]) {
      const invoke = statementsOf(Resources[role]).find((statement) => statement.Sid === "InvokeTools")
      expect(invoke.Resource.map((resource: Json) => resource["Fn::Sub"])).toEqual(patterns)
    }
    expect(Parameters.RegistrationOwnerOnly.Default).toBe("false")
    expect(Resources.RegistrationFunction.Properties.Environment.Variables.REGISTRATION_OWNER_ONLY).toEqual({ Ref: "RegistrationOwnerOnly" })
  }, 60_000)

  it("bounds the MCP function by default: reserved concurrency 100 and 600 requests per principal per minute", async () => {
    const { Conditions, Parameters, Resources } = await expand()
    expect(Parameters.McpReservedConcurrency.Default).toBe(100)
    expect(Parameters.RateLimitPerMinute.Default).toBe(600)
    expect(Resources.McpFunction.Properties.ReservedConcurrentExecutions).toEqual({
      "Fn::If": ["HasReservedConcurrency", { Ref: "McpReservedConcurrency" }, { Ref: "AWS::NoValue" }]
    })
    expect(Resources.McpFunction.Properties.Environment.Variables.RATE_LIMIT_PER_MINUTE).toEqual({ Ref: "RateLimitPerMinute" })
    // -1 still removes the reservation (and 0 the limit): both stay parameters.
    expect(Conditions.HasReservedConcurrency).toEqual({ "Fn::Not": [{ "Fn::Equals": [{ Ref: "McpReservedConcurrency" }, -1] }] })
  }, 60_000)

  it("adds the security group and VPC access only with VpcEnabled", async () => {
    const { Resources } = await expand({ VpcEnabled: "true", VpcId: "vpc-0123456789abcdef0", SubnetIds: "subnet-01234567" })
    expect(Resources.FunctionSecurityGroup.Condition).toBe("IsVpc")
    expect(Resources.McpFunction.Properties.VpcConfig["Fn::If"][0]).toBe("IsVpc")
    expect(JSON.stringify(Resources.McpFunctionRole.Properties.ManagedPolicyArns)).toContain("AWSLambdaVPCAccessExecutionRole")
  }, 60_000)

  it("outputs both URLs and the table names", async () => {
    const { Outputs } = await expand()
    expect(Object.keys(Outputs).sort()).toEqual([
      "McpEndpoint",
      "McpFunctionArn",
      "McpFunctionUrl",
      "RegistrationFunctionUrl",
      "RegistrationTableName",
      "SessionTableName"
    ])
    expect(Outputs.McpFunctionUrl.Value).toEqual({ "Fn::GetAtt": ["McpFunctionUrl", "FunctionUrl"] })
  }, 60_000)
})

describe.skipIf(!hasTranslator)("the MCP function's memory", () => {
  it("is a parameter, 1024 MB unless set (bench/results.md weighs 512 against it)", async () => {
    const template = await readFile("template.yaml", "utf8")
    expect(template).toContain("\n  McpMemorySize:\n    Type: Number\n    Default: 1024\n")
    const { Resources } = await expand()
    expect(Resources.McpFunction.Properties.MemorySize).toEqual({ Ref: "McpMemorySize" })
  }, 60_000)

  it("caps each caller's long-lived streams at 20 unless set", async () => {
    const template = await readFile("template.yaml", "utf8")
    expect(template).toContain("\n  MaxStreamsPerCaller:\n    Type: Number\n    Default: 20\n")
    const { Resources } = await expand()
    expect(Resources.McpFunction.Properties.Environment.Variables.MAX_STREAMS_PER_CALLER).toEqual({ Ref: "MaxStreamsPerCaller" })
  }, 60_000)
})
