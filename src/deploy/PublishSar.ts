/**
 * Publishes the Serverless Application Repository variant (src/deploy/Sar.ts): uploads the
 * bundles, README and LICENSE to the artifacts bucket (readable by SAR), then creates the
 * application, or a new version of it when it exists. The SAR API is passed in (`SarApi`), so
 * the library does not depend on its client; `npm run publish:sar` passes the AWS SDK's.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import { Console, Effect } from "effect"
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

export const publishSar = (options: PublishSarOptions): Effect.Effect<PublishSarResult, DeployError> =>
  Effect.gen(function* () {
    const log = options.log ?? ((line: string) => Console.log(line))
    const clients = yield* awsClients(options)
    const bucket = yield* ensureArtifactsBucket(clients, options.region, options.bucket, log)
    // SAR reads the artifacts from the bucket when an application is deployed.
    yield* call("bucket policy", () =>
      clients.s3.send(new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{
            Sid: "ServerlessRepoRead",
            Effect: "Allow",
            Principal: { Service: "serverlessrepo.amazonaws.com" },
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${bucket}/sar/*`
          }]
        })
      })))
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
      yield* call("upload", () => clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })))
      metadata[field] = `s3://${bucket}/${key}`
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
