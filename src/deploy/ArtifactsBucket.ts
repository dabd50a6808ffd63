/**
 * The bucket deployments and SAR publishing upload to.
 *
 * Its name is random, so no one can create it before us, and it is recorded as the output of a
 * small CloudFormation stack of its own (`mcp-lambda-sam-artifacts`, one per account and region):
 * any machine with the account's credentials finds the same bucket, deploy and publish:sar share
 * it, and deleting an application stack leaves it alone. A bucket is never trusted for its name:
 * every S3 call carries `ExpectedBucketOwner` (the caller's account, from STS), so S3 itself refuses
 * a bucket that belongs to someone else.
 */
import { randomBytes } from "node:crypto"
import { CreateStackCommand } from "@aws-sdk/client-cloudformation"
import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3"
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { awsClients } from "./Deploy.js"
import { describeStack, outputsOf } from "./Stack.js"
import { call, DeployError } from "./Step.js"

export const ARTIFACTS_STACK = "mcp-lambda-sam-artifacts"
export const ARTIFACTS_OUTPUT = "ArtifactsBucket"

type Clients = Effect.Effect.Success<ReturnType<typeof awsClients>>

/** A bucket this account owns, and what S3 calls and policies need to name it. */
export interface ArtifactsBucket {
  readonly name: string
  /** The account id every S3 call expects to own the bucket. */
  readonly owner: string
  /** `aws`, `aws-cn`, `aws-us-gov`: for the bucket's ARN. */
  readonly partition: string
}

export interface ArtifactsBucketOptions {
  readonly region: string
  /** A bucket of the user's choosing: used (or created) when this account owns it. */
  readonly bucket?: string | undefined
  /** The stack recording the bucket (default `mcp-lambda-sam-artifacts`). */
  readonly stackName?: string | undefined
  readonly pollInterval: Duration.DurationInput
  readonly log: (line: string) => Effect.Effect<void>
}

/** The bucket, with its public access blocked; retained when the stack is deleted, as it holds others' artifacts. */
const artifactsTemplate = JSON.stringify({
  AWSTemplateFormatVersion: "2010-09-09",
  Description: "mcp-lambda-sam: the bucket deployments upload their Lambda bundles to (its name is this stack's output)",
  Parameters: { BucketName: { Type: "String" } },
  Resources: {
    Bucket: {
      Type: "AWS::S3::Bucket",
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        BucketName: { Ref: "BucketName" },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        Tags: [{ Key: "mcp-lambda-sam", Value: "artifacts" }]
      }
    }
  },
  Outputs: { [ARTIFACTS_OUTPUT]: { Value: { Ref: "Bucket" } } }
})

/** 16 hex digits (64 random bits) after a recognisable prefix; 41 characters in all. */
export const randomBucketName = () => `mcp-lambda-sam-artifacts-${randomBytes(8).toString("hex")}`

const callerIdentity = (clients: Clients) =>
  call("identity", () => clients.sts.send(new GetCallerIdentityCommand({}))).pipe(
    Effect.flatMap((identity) =>
      identity.Account === undefined
        ? Effect.fail(new DeployError({ step: "identity", message: "STS did not name the caller's account" }))
        : Effect.succeed({ account: identity.Account, partition: identity.Arn?.split(":")[1] ?? "aws" })
    )
  )

const httpStatus = (error: DeployError) => (error.cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode

/** Whether the bucket exists and `owner` owns it; a bucket of another account is an error, never a "yes". */
const isOwned = (clients: Clients, name: string, owner: string) =>
  call("bucket", () => clients.s3.send(new HeadBucketCommand({ Bucket: name, ExpectedBucketOwner: owner }))).pipe(
    Effect.as(true),
    Effect.catchIf((error) => httpStatus(error) === 404 || /NotFound|NoSuchBucket/.test(error.message), () => Effect.succeed(false)),
    Effect.catchIf(
      (error) => httpStatus(error) === 403 || /Forbidden|AccessDenied/.test(error.message),
      () =>
        Effect.fail(
          new DeployError({
            step: "bucket",
            message: `Bucket ${name} exists but account ${owner} does not own it (or may not read it): refusing to upload there`
          })
        )
    )
  )

/** Creates the recording stack (a concurrent first deploy may have done so) and waits for its bucket. */
const createdOrRecorded = (clients: Clients, options: ArtifactsBucketOptions, stackName: string) =>
  Effect.gen(function* () {
    const found = yield* describeStack(clients.cloudformation, stackName)
    if (Option.isNone(found)) {
      const name = randomBucketName()
      yield* options.log(`Creating artifacts bucket ${name} (recorded by stack ${stackName})`)
      yield* call("bucket", () =>
        clients.cloudformation.send(new CreateStackCommand({
          StackName: stackName,
          TemplateBody: artifactsTemplate,
          Parameters: [{ ParameterKey: "BucketName", ParameterValue: name }],
          Tags: [{ Key: "mcp-lambda-sam", Value: "artifacts" }]
        }))).pipe(Effect.catchIf((error) => /AlreadyExists/.test(error.message), () => Effect.void))
    }
    for (;;) {
      const stack = yield* describeStack(clients.cloudformation, stackName)
      const status = Option.match(stack, { onNone: () => "DELETE_COMPLETE", onSome: (value) => value.StackStatus ?? "UNKNOWN" })
      if (["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"].includes(status)) {
        const name = outputsOf(Option.getOrUndefined(stack))[ARTIFACTS_OUTPUT]
        if (name !== undefined) return name
        return yield* new DeployError({ step: "bucket", message: `Stack ${stackName} has no ${ARTIFACTS_OUTPUT} output` })
      }
      if (!/IN_PROGRESS$/.test(status) || /ROLLBACK/.test(status)) {
        return yield* new DeployError({
          step: "bucket",
          message: `Stack ${stackName}, which records the artifacts bucket, is ${status}: delete it, then deploy again`
        })
      }
      yield* Effect.sleep(options.pollInterval)
    }
  })

/** The artifacts bucket: the one given, or the one the account's artifacts stack records (created the first time). */
export const ensureArtifactsBucket = (clients: Clients, options: ArtifactsBucketOptions): Effect.Effect<ArtifactsBucket, DeployError> =>
  Effect.gen(function* () {
    const { account, partition } = yield* callerIdentity(clients)
    const bucket = (name: string): ArtifactsBucket => ({ name, owner: account, partition })
    if (options.bucket !== undefined) {
      if (yield* isOwned(clients, options.bucket, account)) return bucket(options.bucket)
      yield* options.log(`Creating artifacts bucket ${options.bucket}`)
      yield* call("bucket", () =>
        clients.s3.send(new CreateBucketCommand({
          Bucket: options.bucket,
          ...(options.region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: options.region as never } })
        })))
      // CreateBucket takes no expected owner: this check is what proves the bucket is ours.
      if (!(yield* isOwned(clients, options.bucket, account))) {
        return yield* new DeployError({ step: "bucket", message: `Bucket ${options.bucket} was created but cannot be found` })
      }
      return bucket(options.bucket)
    }
    const stackName = options.stackName ?? ARTIFACTS_STACK
    const name = yield* createdOrRecorded(clients, options, stackName)
    if (!(yield* isOwned(clients, name, account))) {
      return yield* new DeployError({
        step: "bucket",
        message: `The artifacts bucket ${name} recorded by stack ${stackName} no longer exists: delete the stack ` +
          "(it keeps no other resource), then deploy again for a new bucket"
      })
    }
    return bucket(name)
  })
