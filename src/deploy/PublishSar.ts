/**
 * Publishes the Serverless Application Repository variant (src/deploy/Sar.ts): uploads the
 * bundles, README and LICENSE to the artifacts bucket (readable by SAR on this account's behalf
 * only: the statement is added to the bucket's policy, never in place of it), then creates the
 * application, or a new version of it when it exists. The SAR API is passed in (`SarApi`), so
 * the library does not depend on its client; `npm run publish:sar` passes the AWS SDK's.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { GetBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { parseTemplate, stringifyTemplate } from "./CfnYaml.js"
import {
  awsClients,
  type AwsTarget,
  call,
  defaultBundleDir,
  defaultTemplatePath,
  DeployError,
  ensureArtifactsBucket,
  uploadBundles
} from "./Deploy.js"
import type { ArtifactsBucket } from "./ArtifactsBucket.js"
import { sarTemplate } from "./Sar.js"

export interface SarApplication {
  readonly Name: string
  readonly Description: string
  readonly Author: string
  readonly SpdxLicenseId?: string | undefined
  readonly LicenseUrl?: string | undefined
  readonly ReadmeUrl?: string | undefined
  readonly Labels?: ReadonlyArray<string> | undefined
  readonly SemanticVersion: string
}

/** The three SAR calls publishing needs (the AWS SDK's client satisfies it through `send`). */
export interface SarApi {
  readonly createApplication: (input: SarApplication & { readonly TemplateBody: string }) => Promise<{ ApplicationId?: string | undefined }>
  readonly findApplication: (name: string) => Promise<string | undefined>
  readonly createApplicationVersion: (input: {
    readonly ApplicationId: string
    readonly SemanticVersion: string
    readonly TemplateBody: string
  }) => Promise<unknown>
}

export interface PublishSarOptions extends AwsTarget {
  readonly sar: SarApi
  readonly bucket?: string | undefined
  readonly templatePath?: string | undefined
  readonly bundleDir?: string | undefined
  /** README and LICENSE (default: the package's). */
  readonly readmePath?: string | undefined
  readonly licensePath?: string | undefined
  readonly log?: ((line: string) => Effect.Effect<void>) | undefined
}

export interface PublishSarResult {
  readonly applicationId: string
  readonly semanticVersion: string
  readonly created: boolean
}

export const SAR_READ_SID = "ServerlessRepoRead"

interface PolicyDocument {
  readonly Version?: string
  readonly Statement?: ReadonlyArray<Record<string, unknown>> | Record<string, unknown>
  readonly [key: string]: unknown
}

/**
 * The bucket policy with the statement that lets SAR read `sar/*`, for this account's applications
 * only (`aws:SourceAccount`): the existing statements are kept, an earlier version of ours replaced.
 * None when the statement is already there as it should be.
 */
export const withSarRead = (existing: string | undefined, bucket: ArtifactsBucket): Option.Option<string> => {
  const policy: PolicyDocument = existing === undefined ? {} : (JSON.parse(existing) as PolicyDocument)
  const statements = policy.Statement === undefined ? [] : Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]
  const ours = {
    Sid: SAR_READ_SID,
    Effect: "Allow",
    Principal: { Service: "serverlessrepo.amazonaws.com" },
    Action: "s3:GetObject",
    Resource: `arn:${bucket.partition}:s3:::${bucket.name}/sar/*`,
    Condition: { StringEquals: { "aws:SourceAccount": bucket.owner } }
  }
  const current = statements.find((statement) => statement["Sid"] === SAR_READ_SID)
  if (current !== undefined && JSON.stringify(current) === JSON.stringify(ours)) return Option.none()
  return Option.some(JSON.stringify({
    ...policy,
    Version: policy.Version ?? "2012-10-17",
    Statement: [...statements.filter((statement) => statement !== current), ours]
  }))
}

/** Adds SAR's read statement to the bucket's policy (SAR reads the artifacts when an application is deployed). */
const allowSarRead = (clients: Effect.Effect.Success<ReturnType<typeof awsClients>>, bucket: ArtifactsBucket) =>
  Effect.gen(function* () {
    const existing = yield* call("bucket policy", () =>
      clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket.name, ExpectedBucketOwner: bucket.owner }))).pipe(
        Effect.map((output) => output.Policy),
        Effect.catchIf((error) => /NoSuchBucketPolicy|does not have a bucket policy/i.test(error.message), () => Effect.succeed(undefined))
      )
    const merged = yield* Effect.try({
      try: () => withSarRead(existing, bucket),
      catch: (cause) => new DeployError({ step: "bucket policy", message: `The policy of bucket ${bucket.name} is not JSON`, cause })
    })
    if (Option.isNone(merged)) return
    yield* call("bucket policy", () =>
      clients.s3.send(new PutBucketPolicyCommand({ Bucket: bucket.name, Policy: merged.value, ExpectedBucketOwner: bucket.owner })))
  })

export const publishSar = (options: PublishSarOptions): Effect.Effect<PublishSarResult, DeployError> =>
  Effect.gen(function* () {
    const log = options.log ?? ((line: string) => Console.log(line))
    const clients = yield* awsClients(options)
    const bucket = yield* ensureArtifactsBucket(clients, { region: options.region, bucket: options.bucket, pollInterval: "3 seconds", log })
    yield* allowSarRead(clients, bucket)
    const source = yield* call("template", () => readFile(options.templatePath ?? defaultTemplatePath(), "utf8"))
    const withCode = yield* uploadBundles(clients, bucket, "sar", options.bundleDir ?? defaultBundleDir(), sarTemplate(source), log)

    const template = parseTemplate(withCode)
    const metadata = (template["Metadata"] as Record<string, Record<string, unknown>> | undefined)?.["AWS::ServerlessRepo::Application"]
    if (metadata === undefined) return yield* new DeployError({ step: "template", message: "No AWS::ServerlessRepo::Application metadata" })
    const root = join(defaultTemplatePath(), "..")
    for (const [field, path, key] of [
      ["ReadmeUrl", options.readmePath ?? join(root, "README.md"), "sar/README.md"],
      ["LicenseUrl", options.licensePath ?? join(root, "LICENSE"), "sar/LICENSE"]
    ] as const) {
      const body = yield* call("upload", () => readFile(path))
      yield* call("upload", () =>
        clients.s3.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: body, ExpectedBucketOwner: bucket.owner })))
      metadata[field] = `s3://${bucket.name}/${key}`
    }
    const body = stringifyTemplate(template)
    const application: SarApplication = {
      Name: String(metadata["Name"]),
      Description: String(metadata["Description"]),
      Author: String(metadata["Author"]),
      SpdxLicenseId: metadata["SpdxLicenseId"] as string | undefined,
      LicenseUrl: metadata["LicenseUrl"] as string,
      ReadmeUrl: metadata["ReadmeUrl"] as string,
      Labels: metadata["Labels"] as ReadonlyArray<string> | undefined,
      SemanticVersion: String(metadata["SemanticVersion"])
    }
    const existing = yield* call("find application", () => options.sar.findApplication(application.Name))
    if (existing === undefined) {
      const created = yield* call("create application", () => options.sar.createApplication({ ...application, TemplateBody: body }))
      yield* log(`Published ${application.Name} ${application.SemanticVersion} (${created.ApplicationId})`)
      return { applicationId: created.ApplicationId ?? "", semanticVersion: application.SemanticVersion, created: true }
    }
    yield* call("create version", () =>
      options.sar.createApplicationVersion({ ApplicationId: existing, SemanticVersion: application.SemanticVersion, TemplateBody: body }))
    yield* log(`Published ${application.Name} ${application.SemanticVersion} as a new version of ${existing}`)
    return { applicationId: existing, semanticVersion: application.SemanticVersion, created: false }
  }).pipe(Effect.scoped)
