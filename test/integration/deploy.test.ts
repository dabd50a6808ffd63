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
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { Effect } from "effect"
import { beforeAll, describe, expect, inject, it } from "vitest"
import { deploy, type DeployOptions } from "../../src/deploy/Deploy.js"
import { publishSar, type SarApi } from "../../src/deploy/PublishSar.js"
import { startAwsRecorder } from "../support/awsRecorder.js"
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
    const bucket = await recordedBucket("mcp-lambda-sam-artifacts")
    const objects = await clients.s3().send(new ListObjectsV2Command({ Bucket: bucket }))
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

/** The bucket an artifacts stack records (its output). */
const recordedBucket = async (stackName: string) => {
  const cloudformation = new CloudFormationClient({ endpoint: moto, region: REGION, credentials })
  const stack = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }))
  cloudformation.destroy()
  return stack.Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === "ArtifactsBucket")?.OutputValue ?? ""
}

describe.skipIf(moto === "")("the artifacts bucket (moto, every S3 request recorded)", () => {
  const ACCOUNT = "123456789012"
  let dir = ""

  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey })
    dir = await mkdtemp(join(tmpdir(), "artifacts-"))
    await mkdir(join(dir, "lambda/mcp"), { recursive: true })
    await writeFile(join(dir, "lambda/mcp/index.mjs"), "export const handler = async () => ({ statusCode: 200 })\n")
    await writeFile(join(dir, "template.yaml"), TEMPLATE)
  })

  const through = (endpointUrl: string, stackName: string, extra: Partial<DeployOptions> = {}): DeployOptions => ({
    stackName,
    region: REGION,
    endpointUrl,
    templatePath: join(dir, "template.yaml"),
    bundleDir: join(dir, "lambda"),
    parameters: { StackIdentifier: stackName },
    pollInterval: "50 millis",
    log: () => Effect.void,
    ...extra
  })

  it("has a random name recorded by its stack, is reused from there, and the guessable name of old is never used", async () => {
    // What earlier versions used whenever HeadBucket succeeded, whoever created it.
    const guessable = `mcp-lambda-sam-artifacts-${ACCOUNT}-${REGION}`
    await clients().s3.send(new CreateBucketCommand({ Bucket: guessable }))
    const recorder = await startAwsRecorder(moto)
    try {
      await Effect.runPromise(deploy(through(recorder.url, "art-one", { artifactsStack: "artifacts-fresh" })))
      const bucket = await recordedBucket("artifacts-fresh")
      expect(bucket).toMatch(/^mcp-lambda-sam-artifacts-[0-9a-f]{16}$/)
      // A second deployment (another machine: nothing local is kept) finds the same bucket.
      await Effect.runPromise(deploy(through(recorder.url, "art-two", { artifactsStack: "artifacts-fresh" })))
      expect(await recordedBucket("artifacts-fresh")).toBe(bucket)
      const keys = (await clients().s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((object) => object.Key)
      expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(/^art-one\/mcp-/), expect.stringMatching(/^art-two\/mcp-/)]))
      expect((await clients().s3.send(new ListObjectsV2Command({ Bucket: guessable }))).KeyCount ?? 0).toBe(0)
      // Every S3 request named the account that must own the bucket.
      expect(recorder.s3.map((request) => request.method)).toEqual(["HEAD", "PUT", "HEAD", "PUT"])
      expect(recorder.s3.every((request) => request.expectedOwner === ACCOUNT && request.path.startsWith(`/${bucket}`))).toBe(true)
    } finally {
      await recorder.close()
    }
  }, 60_000)

  it("a bucket another account owns (S3 answers 403 to the expected owner) is refused before anything is uploaded", async () => {
    const recorder = await startAwsRecorder(moto, (request) => request.method === "HEAD")
    try {
      const given = await Effect.runPromise(Effect.flip(deploy(through(recorder.url, "art-given", { bucket: "someone-elses" }))))
      expect(given).toMatchObject({ step: "bucket", message: expect.stringMatching(/someone-elses exists but account 123456789012 does not own it/) })
      // The bucket the stack recorded, since deleted and re-created by someone else.
      const recorded = await Effect.runPromise(Effect.flip(deploy(through(recorder.url, "art-taken", { artifactsStack: "artifacts-fresh" }))))
      expect(recorded).toMatchObject({ step: "bucket", message: expect.stringMatching(/does not own it/) })
      expect(recorder.s3.map((request) => request.method)).toEqual(["HEAD", "HEAD"])
    } finally {
      await recorder.close()
    }
  }, 60_000)
})

describe.skipIf(moto === "")("publishSar and a bucket policy of the user's", () => {
  it("adds SAR's read statement, limited to this account, beside the existing statements, once", async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey })
    const bucket = "sar-with-policy"
    await clients().s3.send(new CreateBucketCommand({ Bucket: bucket }))
    const theirs = {
      Sid: "PartnerReadsShared",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::210987654321:root" },
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/shared/*`
    }
    await clients().s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [theirs] }) }))
    const bundleDir = await mkdtemp(join(tmpdir(), "sar-policy-"))
    for (const name of ["mcp", "registration", "task-runner"]) {
      await mkdir(join(bundleDir, name), { recursive: true })
      await writeFile(join(bundleDir, name, "index.mjs"), `export const handler = async () => "${name}"\n`)
    }
    let applicationId: string | undefined
    const sar: SarApi = {
      findApplication: async () => applicationId,
      createApplication: async () => ({ ApplicationId: (applicationId = "arn:aws:serverlessrepo:us-east-1:123456789012:applications/x") }),
      createApplicationVersion: async () => ({})
    }
    const recorder = await startAwsRecorder(moto)
    try {
      const options = { region: REGION, endpointUrl: recorder.url, bucket, bundleDir, sar, log: () => Effect.void }
      await Effect.runPromise(publishSar(options))
      await Effect.runPromise(publishSar(options))
      const policy = JSON.parse((await clients().s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? "{}") as {
        Statement: Array<Record<string, unknown>>
      }
      expect(policy.Statement).toEqual([
        theirs,
        {
          Sid: "ServerlessRepoRead",
          Effect: "Allow",
          Principal: { Service: "serverlessrepo.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/sar/*`,
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } }
        }
      ])
      // The second run found its statement in place and wrote no policy.
      expect(recorder.s3.filter((request) => request.method === "PUT" && request.path === `/${bucket}/`)).toHaveLength(1)
      expect(recorder.s3.every((request) => request.expectedOwner === "123456789012")).toBe(true)
    } finally {
      await recorder.close()
    }
  }, 60_000)
})

const clients = () => ({ s3: new S3Client({ endpoint: inject("motoEndpoint"), region: REGION, credentials, forcePathStyle: true }) })
