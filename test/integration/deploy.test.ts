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
import { publishSar, type SarApi } from "../../src/deploy/PublishSar.js"
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

describe.skipIf(moto === "")("publishSar (moto S3, a scripted SAR API)", () => {
  it("uploads the bundles, README and LICENSE, then creates the application, and a version the next time", async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey })
    const calls: Array<{ call: string; input: Record<string, unknown> }> = []
    let applicationId: string | undefined
    const sar: SarApi = {
      findApplication: async () => applicationId,
      createApplication: async (input) => {
        calls.push({ call: "createApplication", input: { ...input } })
        applicationId = "arn:aws:serverlessrepo:us-east-1:123456789012:applications/mcp-lambda-sam"
        return { ApplicationId: applicationId }
      },
      createApplicationVersion: async (input) => {
        calls.push({ call: "createApplicationVersion", input: { ...input } })
        return {}
      }
    }
    const bundleDir = await mkdtemp(join(tmpdir(), "sar-bundles-"))
    for (const name of ["mcp", "registration", "task-runner"]) {
      await mkdir(join(bundleDir, name), { recursive: true })
      await writeFile(join(bundleDir, name, "index.mjs"), `export const handler = async () => "${name}"\n`)
    }
    const options = { region: REGION, endpointUrl: moto, bucket: "sar-artifacts", bundleDir, sar, log: () => Effect.void }
    const first = await Effect.runPromise(publishSar(options))
    expect(first).toMatchObject({ created: true, semanticVersion: "0.1.0" })
    const created = calls[0]!.input
    expect(created).toMatchObject({
      Name: "mcp-lambda-sam",
      SpdxLicenseId: "MIT",
      ReadmeUrl: "s3://sar-artifacts/sar/README.md",
      LicenseUrl: "s3://sar-artifacts/sar/LICENSE"
    })
    const body = String(created["TemplateBody"])
    expect(body).toMatch(/CodeUri: s3:\/\/sar-artifacts\/sar\/mcp-[0-9a-f]{16}\.zip/)
    expect(body).toMatch(/CodeUri: s3:\/\/sar-artifacts\/sar\/registration-[0-9a-f]{16}\.zip/)
    expect(body).not.toMatch(/FunctionUrlConfig/)
    const objects = await clients().s3.send(new ListObjectsV2Command({ Bucket: "sar-artifacts" }))
    expect(objects.Contents?.map((object) => object.Key).sort()).toEqual([
      "sar/LICENSE",
      "sar/README.md",
      expect.stringMatching(/^sar\/mcp-/),
      expect.stringMatching(/^sar\/registration-/),
      expect.stringMatching(/^sar\/task-runner-/)
    ])
    const again = await Effect.runPromise(publishSar(options))
    expect(again).toMatchObject({ created: false, applicationId: first.applicationId })
    expect(calls.map((entry) => entry.call)).toEqual(["createApplication", "createApplicationVersion"])
  }, 60_000)
})

const clients = () => ({ s3: new S3Client({ endpoint: inject("motoEndpoint"), region: REGION, credentials, forcePathStyle: true }) })
