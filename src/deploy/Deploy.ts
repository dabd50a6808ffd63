/**
 * Deploys template.yaml with the Lambda bundles into an AWS account, without the SAM CLI:
 * zip the bundles to the account's artifacts bucket (ArtifactsBucket.ts), create a CloudFormation change
 * set with the SAM transform, show it, execute it, follow the stack events, return the outputs.
 * "No changes" is success; a failure names each failing resource and its reason.
 * The stack following and formatting live in Stack.ts, the step primitives in Step.ts.
 */
import { createHash } from "node:crypto"
import { readFile, readdir } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import {
  type Change,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  ExecuteChangeSetCommand
} from "@aws-sdk/client-cloudformation"
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { STSClient } from "@aws-sdk/client-sts"
import { fromIni } from "@aws-sdk/credential-providers"
import { zipSync } from "fflate"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ArtifactsBucket, ensureArtifactsBucket } from "./ArtifactsBucket.js"
import { describeStack, FAILED, followEvents, formatChanges, formatOutputs, NO_CHANGES, outputsOf, waitForChangeSet } from "./Stack.js"
import { call, DeployError } from "./Step.js"

// Re-exported so importers of this module need not know how it is split.
export { call, DeployError, ensureArtifactsBucket, formatChanges, formatOutputs, outputsOf }

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
  /**
   * The artifacts bucket (default: a bucket with a random name, created the first time and recorded
   * by the stack `artifactsStack`). Either way, this account must own it.
   */
  readonly bucket?: string | undefined
  /** The stack recording the artifacts bucket (default `mcp-lambda-sam-artifacts`, one per account and region). */
  readonly artifactsStack?: string | undefined
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

// A path, not a URL's pathname: that one keeps %20 for a space and a leading / before C: on Windows.
const packageRoot = fileURLToPath(new URL("../..", import.meta.url))

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

/** Zips and uploads every bundle a template's `CodeUri: dist/lambda/<name>/` names; the template pointing at them. */
export const uploadBundles = (
  clients: Clients,
  bucket: ArtifactsBucket,
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
      yield* call("upload", () =>
        clients.s3.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: zip, ExpectedBucketOwner: bucket.owner })))
      yield* log(`Uploaded ${name} bundle (${(zip.byteLength / 1024).toFixed(0)} KiB) to s3://${bucket.name}/${key}`)
      rewritten = rewritten.replace(new RegExp(`CodeUri:\\s*dist/lambda/${name}/?\\s*$`, "m"), `CodeUri: s3://${bucket.name}/${key}`)
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
    const bucket = yield* ensureArtifactsBucket(clients, {
      region: options.region,
      bucket: options.bucket,
      stackName: options.artifactsStack,
      pollInterval,
      log
    })
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
