/**
 * `deploy` against moto server: the artifacts bucket, the uploads, the change set and its
 * execution, the stack events, "no changes", dry runs and failures. moto does not expand the SAM
 * transform (its serverless resources are skipped), so the expansion itself is checked by the
 * template suite with aws-sam-translator; nor does it fill a stack's outputs after a change set,
 * so their reading and printing are checked on a described stack (test/unit/Deploy.test.ts).
 */
import { execFile } from "node:child_process"
import { mkdtemp, mkdir, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { DescribeStacksCommand, CloudFormationClient } from "@aws-sdk/client-cloudformation"
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3"
import { Effect } from "effect"
import { beforeAll, describe, expect, inject, it } from "vitest"
import { deploy, type DeployOptions } from "../../src/deploy/Deploy.js"
import { credentials, REGION } from "../support/moto.js"

const run = promisify(execFile)
const moto = inject("motoEndpoint")

/** A small template with the same CodeUri convention, a resource moto creates, and an output. */
const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  StackIdentifier:
    Type: String
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub deploy-test-\${StackIdentifier}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }]
  Function:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      CodeUri: dist/lambda/mcp/
Outputs:
  TableName:
    Value: !Ref Table
`

describe.skipIf(moto === "")("deploy (moto server)", () => {
  let dir = ""
  const clients = {
    s3: () => new S3Client({ endpoint: moto, region: REGION, credentials, forcePathStyle: true }),
    cloudformation: () => new CloudFormationClient({ endpoint: moto, region: REGION, credentials })
  }

  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey })
    dir = await mkdtemp(join(tmpdir(), "deploy-"))
    await mkdir(join(dir, "lambda/mcp"), { recursive: true })
    await writeFile(join(dir, "lambda/mcp/index.mjs"), "export const handler = async () => ({ statusCode: 200 })\n")
    await writeFile(join(dir, "template.yaml"), TEMPLATE)
  })

  const options = (stackName: string, lines: Array<string>, extra: Partial<DeployOptions> = {}): DeployOptions => ({
    stackName,
    region: REGION,
    endpointUrl: moto,
    templatePath: join(dir, "template.yaml"),
    bundleDir: join(dir, "lambda"),
    parameters: { StackIdentifier: stackName },
    pollInterval: "50 millis",
    log: (line) => Effect.sync(() => lines.push(line)),
    ...extra
  })

  it("creates the bucket, uploads the bundle, executes the change set, follows the events and returns the outputs", async () => {
    const lines: Array<string> = []
    const result = await Effect.runPromise(deploy(options("first", lines)))
    expect(result.status).toBe("created")
    expect(result.changes.map((change) => change.ResourceChange?.LogicalResourceId).sort()).toEqual(["Function", "Table"])
    const objects = await clients.s3().send(new ListObjectsV2Command({ Bucket: "mcp-lambda-sam-artifacts-123456789012-us-east-1" }))
    expect(objects.Contents?.map((object) => object.Key)).toContainEqual(expect.stringMatching(/^first\/mcp-[0-9a-f]{16}\.zip$/))
    expect(lines.join("\n")).toMatch(/Changes \(2\):/)
    expect(lines.join("\n")).toMatch(/CREATE_COMPLETE\s+AWS::CloudFormation::Stack\s+first/)
    const stack = await clients.cloudformation().send(new DescribeStacksCommand({ StackName: "first" }))
    expect(stack.Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE")
  }, 60_000)

  it("a second deploy of the same thing reports no changes", async () => {
    await Effect.runPromise(deploy(options("again", [])))
    const lines: Array<string> = []
    const result = await Effect.runPromise(deploy(options("again", lines)))
    expect(result.status).toBe("unchanged")
    expect(lines).toContain("No changes: the stack is up to date")
  }, 60_000)

  it("a dry run creates the change set and leaves the stack alone", async () => {
    const lines: Array<string> = []
    const result = await Effect.runPromise(deploy(options("dry", lines, { dryRun: true })))
    expect(result.status).toBe("dry-run")
    expect(lines.some((line) => line.startsWith("Dry run: change set"))).toBe(true)
    const stack = await clients.cloudformation().send(new DescribeStacksCommand({ StackName: "dry" }))
    expect(stack.Stacks?.[0]?.StackStatus).toBe("REVIEW_IN_PROGRESS")
  }, 60_000)

  it("a declined confirmation deletes the change set and executes nothing", async () => {
    const result = await Effect.runPromise(deploy(options("declined", [], { confirm: () => Effect.succeed(false) })))
    expect(result.status).toBe("cancelled")
  }, 60_000)

  it("missing bundles fail before anything is created", async () => {
    const error = await Effect.runPromise(Effect.flip(deploy(options("nobundle", [], { bundleDir: join(dir, "nothing") }))))
    expect(error).toMatchObject({ _tag: "DeployError", step: "bundle" })
  }, 60_000)

  const cli = (...args: Array<string>) =>
    run("node_modules/.bin/tsx", ["src/cli/bin.ts", "deploy", "--region", REGION, "--endpoint-url", moto, "--yes", ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      timeout: 120_000
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr })
    )

  it("the CLI deploys template.yaml with the built bundles, then reports no changes", async () => {
    const first = await cli("--stack-name", "mcp-cli")
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/Uploaded mcp bundle/)
    expect(first.stdout).toMatch(/Uploaded registration bundle/)
    expect(first.stdout).toMatch(/Add\s+AWS::Serverless::Function\s+McpFunction/)
    expect(first.stdout).toMatch(/Deployed\./)
    const second = await cli("--stack-name", "mcp-cli")
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/No changes/)
  }, 120_000)

  it("the CLI exits non-zero and says why when the deployment fails", async () => {
    // Same StackIdentifier as the stack above: its table names are taken.
    const failed = await cli("--stack-name", "mcp-cli-clash", "--parameter", "StackIdentifier=mcp-cli")
    expect(failed.code).not.toBe(0)
    // moto reports the clash in a body the SDK cannot parse; AWS names the resource and reason.
    expect(failed.stderr).toMatch(/Deploy failed \(execute\)/)
  }, 120_000)
})
