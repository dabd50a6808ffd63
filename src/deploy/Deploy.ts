/**
 * Deploys template.yaml with the Lambda bundles into an AWS account, without the SAM CLI:
 * zip the bundles to an artifacts bucket (created when missing), create a CloudFormation change
 * set with the SAM transform, show it, execute it, follow the stack events, return the outputs.
 * "No changes" is success; a failure names each failing resource and its reason.
 */
import { createHash } from "node:crypto"
import { readFile, readdir } from "node:fs/promises"
import { join } from "node:path"
import {
  type Change,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
  type StackEvent
} from "@aws-sdk/client-cloudformation"
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts"
import { fromIni } from "@aws-sdk/credential-providers"
import { zipSync } from "fflate"
import { Console, Data, Duration, Effect, Option } from "effect"

export interface DeployOptions {
  readonly stackName: string
  readonly region: string
  readonly profile?: string | undefined
  /** One endpoint for every AWS service (moto, LocalStack); AWS otherwise. */
  readonly endpointUrl?: string | undefined
  /** Template parameters (`StackIdentifier`, `VpcEnabled`, …). */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** Create and show the change set, but do not execute it. */
  readonly dryRun?: boolean | undefined
  /** Asked before executing; answering false cancels. Absent: no question. */
  readonly confirm?: ((changes: ReadonlyArray<Change>) => Effect.Effect<boolean>) | undefined
  /** The template (default: the package's template.yaml) and the bundles (default: dist/lambda). */
  readonly templatePath?: string | undefined
  readonly bundleDir?: string | undefined
  /** The artifacts bucket (default: mcp-lambda-sam-artifacts-<account>-<region>). */
  readonly bucket?: string | undefined
  /** How often stack events are polled. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Progress lines (default: the console). */
  readonly log?: ((line: string) => Effect.Effect<void>) | undefined
}

export type DeployStatus = "created" | "updated" | "unchanged" | "dry-run" | "cancelled"

export interface DeployResult {
  readonly stackName: string
  readonly status: DeployStatus
  readonly changeSetId: string | undefined
  readonly changes: ReadonlyArray<Change>
  readonly outputs: Readonly<Record<string, string>>
}

export class DeployError extends Data.TaggedError("DeployError")<{
  readonly step: string
  readonly message: string
  /** Each failing resource and why (from the stack events). */
  readonly failures?: ReadonlyArray<{ readonly resource: string; readonly reason: string }> | undefined
  readonly cause?: unknown
}> {}

const packageRoot = new URL("../..", import.meta.url).pathname

const describeCause = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))

/** One AWS call as a step of a deployment: its failure is a DeployError naming the step. */
export const call = <A>(step: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new DeployError({ step, message: describeCause(cause), cause }) })

const TERMINAL = /(_COMPLETE|_FAILED)$/
const FAILED = /(FAILED|ROLLBACK)/
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i

/** The zip of one bundle directory, keyed by its content so an unchanged bundle is not re-uploaded as new. */
const zipBundle = (dir: string) =>
  Effect.gen(function* () {
    const names = (yield* call("bundle", () => readdir(dir))).sort()
    if (!names.includes("index.mjs")) {
      return yield* new DeployError({ step: "bundle", message: `${dir}/index.mjs is missing: run npm run build first` })
    }
    const files: Record<string, Uint8Array> = {}
    for (const name of names) files[name] = yield* call("bundle", () => readFile(join(dir, name)))
    // A fixed timestamp keeps the zip, and so its hash, the same for the same files.
    const zip = zipSync(files, { level: 9, mtime: new Date("2020-01-01T00:00:00Z") })
    const hash = createHash("sha256").update(zip).digest("hex").slice(0, 16)
    return { zip, hash }
  })

export interface AwsTarget {
  readonly region: string
  readonly profile?: string | undefined
  readonly endpointUrl?: string | undefined
}

/** The SDK clients a deployment uses, destroyed with the scope. */
export const awsClients = (target: AwsTarget) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const config = {
        region: target.region,
        ...(target.endpointUrl === undefined ? {} : { endpoint: target.endpointUrl, forcePathStyle: true }),
        ...(target.profile === undefined ? {} : { credentials: fromIni({ profile: target.profile }) })
      }
      return { s3: new S3Client(config), cloudformation: new CloudFormationClient(config), sts: new STSClient(config) }
    }),
    (clients) =>
      Effect.sync(() => {
        clients.s3.destroy()
        clients.cloudformation.destroy()
        clients.sts.destroy()
      })
  )

type Clients = Effect.Effect.Success<ReturnType<typeof awsClients>>

/** The artifacts bucket (named after the account and region unless given), created when missing. */
export const ensureArtifactsBucket = (
  clients: Clients,
  region: string,
  given: string | undefined,
  log: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const bucket = given ?? (yield* Effect.gen(function* () {
      const identity = yield* call("identity", () => clients.sts.send(new GetCallerIdentityCommand({})))
      return `mcp-lambda-sam-artifacts-${identity.Account}-${region}`
    }))
    const exists = yield* call("bucket", () => clients.s3.send(new HeadBucketCommand({ Bucket: bucket }))).pipe(
      Effect.as(true),
      Effect.catchIf((error) => /NotFound|NoSuchBucket|404/.test(error.message), () => Effect.succeed(false))
    )
    if (!exists) {
      yield* log(`Creating artifacts bucket ${bucket}`)
      yield* call("bucket", () =>
        clients.s3.send(new CreateBucketCommand({
          Bucket: bucket,
          ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } })
        })))
    }
    return bucket
  })

/** Zips and uploads every bundle a template's `CodeUri: dist/lambda/<name>/` names; the template pointing at them. */
export const uploadBundles = (
  clients: Clients,
  bucket: string,
  prefix: string,
  bundleDir: string,
  template: string,
  log: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    let rewritten = template
    const names = new Set([...template.matchAll(/CodeUri:\s*dist\/lambda\/([\w-]+)\/?\s*$/gm)].map((match) => match[1]!))
    for (const name of names) {
      const { zip, hash } = yield* zipBundle(join(bundleDir, name))
      const key = `${prefix}/${name}-${hash}.zip`
      yield* call("upload", () => clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip })))
      yield* log(`Uploaded ${name} bundle (${(zip.byteLength / 1024).toFixed(0)} KiB) to s3://${bucket}/${key}`)
      rewritten = rewritten.replace(new RegExp(`CodeUri:\\s*dist/lambda/${name}/?\\s*$`, "m"), `CodeUri: s3://${bucket}/${key}`)
    }
    return rewritten
  })

export const defaultTemplatePath = () => join(packageRoot, "template.yaml")
export const defaultBundleDir = () => join(packageRoot, "dist/lambda")

export const deploy = (options: DeployOptions): Effect.Effect<DeployResult, DeployError> =>
  Effect.gen(function* () {
    const log = options.log ?? ((line: string) => Console.log(line))
    const pollInterval = options.pollInterval ?? Duration.seconds(3)
    const clients = yield* awsClients(options)
    const { cloudformation } = clients

    // 1. The artifacts bucket; 2. the bundles, zipped and uploaded, the template pointing at them.
    const bucket = yield* ensureArtifactsBucket(clients, options.region, options.bucket, log)
    const source = yield* call("template", () => readFile(options.templatePath ?? defaultTemplatePath(), "utf8"))
    const template = yield* uploadBundles(clients, bucket, options.stackName, options.bundleDir ?? defaultBundleDir(), source, log)

    // 3. A change set: CREATE for a new stack, UPDATE otherwise.
    const stack = yield* describeStack(cloudformation, options.stackName)
    if (Option.isSome(stack) && stack.value.StackStatus === "ROLLBACK_COMPLETE") {
      return yield* new DeployError({
        step: "stack",
        message: `Stack ${options.stackName} is in ROLLBACK_COMPLETE after a failed create: delete it, then deploy again`
      })
    }
    const isNew = Option.isNone(stack) || stack.value.StackStatus === "REVIEW_IN_PROGRESS"
    const changeSetName = `mcp-lambda-sam-${Date.now()}`
    const outputsNow = (status: DeployStatus, changes: ReadonlyArray<Change>, id: string | undefined) =>
      Effect.map(describeStack(cloudformation, options.stackName), (found) => ({
        stackName: options.stackName,
        status,
        changeSetId: id,
        changes,
        outputs: outputsOf(Option.getOrUndefined(found))
      }))
    const unchanged = Effect.zipRight(log("No changes: the stack is up to date"), outputsNow("unchanged", [], undefined))
    const creation = yield* call("change set", () =>
      cloudformation.send(new CreateChangeSetCommand({
        StackName: options.stackName,
        ChangeSetName: changeSetName,
        ChangeSetType: isNew ? "CREATE" : "UPDATE",
        TemplateBody: template,
        Capabilities: ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters: Object.entries(options.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }))
      }))).pipe(
        Effect.map(Option.some),
        // Some endpoints refuse an empty change set outright instead of failing it.
        Effect.catchIf((error) => NO_CHANGES.test(error.message), () => Effect.succeed(Option.none()))
      )
    if (Option.isNone(creation)) return yield* unchanged
    const changeSetId = creation.value.Id ?? changeSetName
    const changeSet = yield* waitForChangeSet(cloudformation, changeSetId, options.stackName, pollInterval)

    if (changeSet.Status === "FAILED") {
      if (NO_CHANGES.test(changeSet.StatusReason ?? "")) {
        yield* call("change set", () => cloudformation.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId, StackName: options.stackName })))
          .pipe(Effect.ignore)
        return yield* unchanged
      }
      return yield* new DeployError({ step: "change set", message: `The change set failed: ${changeSet.StatusReason ?? "no reason given"}` })
    }
    const changes = changeSet.Changes ?? []
    yield* log(formatChanges(changes))

    if (options.dryRun === true) {
      yield* log(`Dry run: change set ${changeSetName} was created and not executed`)
      return yield* outputsNow("dry-run", changes, changeSetId)
    }
    if (options.confirm !== undefined && !(yield* options.confirm(changes))) {
      yield* call("change set", () => cloudformation.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId, StackName: options.stackName })))
        .pipe(Effect.ignore)
      yield* log("Cancelled: the change set was deleted")
      return yield* outputsNow("cancelled", changes, changeSetId)
    }

    // 4. Execute and follow the events until the stack settles.
    const startedAt = new Date()
    yield* call("execute", () => cloudformation.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId })))
    const final = yield* followEvents(cloudformation, options.stackName, startedAt, pollInterval, log)
    if (FAILED.test(final.status)) {
      return yield* new DeployError({
        step: "stack",
        message: `Stack ${options.stackName} ended ${final.status}`,
        failures: final.failures
      })
    }
    const result = yield* outputsNow(isNew ? "created" : "updated", changes, changeSetId)
    yield* log(formatOutputs(result.outputs))
    return result
  }).pipe(Effect.scoped)

const describeStack = (client: CloudFormationClient, stackName: string) =>
  call("stack", () => client.send(new DescribeStacksCommand({ StackName: stackName }))).pipe(
    Effect.map((output) => Option.fromNullable(output.Stacks?.[0])),
    Effect.catchIf((error) => /does not exist/.test(error.message), () => Effect.succeed(Option.none<Stack>()))
  )

const waitForChangeSet = (client: CloudFormationClient, id: string, stackName: string, interval: Duration.DurationInput) =>
  Effect.gen(function* () {
    for (;;) {
      const described: DescribeChangeSetCommandOutput = yield* call("change set", () =>
        client.send(new DescribeChangeSetCommand({ ChangeSetName: id, StackName: stackName })))
      if (described.Status === "CREATE_COMPLETE" || described.Status === "FAILED") return described
      yield* Effect.sleep(interval)
    }
  })

const followEvents = (
  client: CloudFormationClient,
  stackName: string,
  since: Date,
  interval: Duration.DurationInput,
  log: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const seen = new Set<string>()
    const failures: Array<{ resource: string; reason: string }> = []
    for (;;) {
      const events = yield* call("events", () => client.send(new DescribeStackEventsCommand({ StackName: stackName })))
      const fresh = (events.StackEvents ?? [])
        .filter((event) => event.EventId !== undefined && !seen.has(event.EventId))
        .filter((event) => event.Timestamp === undefined || event.Timestamp.getTime() >= since.getTime() - 1000)
        .reverse()
      for (const event of fresh) {
        seen.add(event.EventId!)
        yield* log(formatEvent(event))
        if (/FAILED/.test(event.ResourceStatus ?? "") && event.ResourceStatusReason !== undefined) {
          failures.push({ resource: event.LogicalResourceId ?? "?", reason: event.ResourceStatusReason })
        }
      }
      const stack = yield* describeStack(client, stackName)
      const status = Option.match(stack, { onNone: () => "DELETE_COMPLETE", onSome: (found) => found.StackStatus ?? "UNKNOWN" })
      if (TERMINAL.test(status) && !/IN_PROGRESS/.test(status)) return { status, failures }
      yield* Effect.sleep(interval)
    }
  })

export const outputsOf = (stack: Stack | undefined): Record<string, string> =>
  Object.fromEntries((stack?.Outputs ?? []).flatMap((output) =>
    output.OutputKey === undefined || output.OutputValue === undefined ? [] : [[output.OutputKey, output.OutputValue]]
  ))

const formatEvent = (event: StackEvent) =>
  `  ${(event.Timestamp ?? new Date()).toISOString().slice(11, 19)}  ${(event.ResourceStatus ?? "").padEnd(22)} ${(event.ResourceType ?? "").padEnd(30)} ${
    event.LogicalResourceId ?? ""
  }${event.ResourceStatusReason === undefined ? "" : `  ${event.ResourceStatusReason}`}`

export const formatChanges = (changes: ReadonlyArray<Change>) =>
  changes.length === 0
    ? "The change set has no resource changes"
    : [
      `Changes (${changes.length}):`,
      ...changes.map((change) => {
        const resource = change.ResourceChange
        const replacement = resource?.Replacement === "True" ? "  (replacement)" : ""
        return `  ${(resource?.Action ?? "?").padEnd(7)} ${(resource?.ResourceType ?? "").padEnd(30)} ${resource?.LogicalResourceId ?? ""}${replacement}`
      })
    ].join("\n")

export const formatOutputs = (outputs: Readonly<Record<string, string>>) => {
  const lines = ["Deployed."]
  const mcp = outputs["McpFunctionUrl"]
  if (mcp !== undefined) {
    lines.push(`  MCP, Streamable HTTP:  ${mcp}mcp`, `  MCP, legacy SSE:       ${mcp}sse`)
  }
  if (outputs["RegistrationFunctionUrl"] !== undefined) lines.push(`  Registration API:      ${outputs["RegistrationFunctionUrl"]}register`)
  for (const [key, value] of Object.entries(outputs)) {
    if (!["McpFunctionUrl", "RegistrationFunctionUrl", "McpEndpoint"].includes(key)) lines.push(`  ${key}: ${value}`)
  }
  lines.push(
    "Next: register a tool (POST <registration url>register, signed with SigV4 for service lambda),",
    "then connect an MCP client to the MCP URL with IAM credentials that may call lambda:InvokeFunctionUrl."
  )
  return lines.join("\n")
}
