/**
 * `mcp-lambda-sam deploy`: asks for what is missing when run in a terminal, takes flags otherwise,
 * then runs `deploy` (src/deploy/Deploy.ts) and exits non-zero when it fails.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import type * as Terminal from "@effect/platform/Terminal"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { DeployError } from "../deploy/Step.js"

/** The deploy machinery and its AWS clients (CloudFormation, S3, STS) load when `deploy` runs, not for `dev`. */
const loadDeploy = Effect.promise(() => import("../deploy/Deploy.js"))

const stackName = Options.text("stack-name").pipe(Options.withDescription("CloudFormation stack name"), Options.optional)
const region = Options.text("region").pipe(
  Options.withDescription("AWS region (default: $AWS_REGION)"),
  Options.withFallbackConfig(Config.string("AWS_REGION")),
  Options.optional
)
const profile = Options.text("profile").pipe(
  Options.withDescription("AWS profile for credentials (default: the default credential chain)"),
  Options.withFallbackConfig(Config.string("AWS_PROFILE")),
  Options.optional
)
const vpcId = Options.text("vpc-id").pipe(Options.withDescription("Deploy into this VPC (BUFFERED Function URLs)"), Options.optional)
const subnetIds = Options.text("subnet-ids").pipe(Options.withDescription("Comma-separated subnets, with --vpc-id"), Options.optional)
const parameter = Options.keyValueMap("parameter").pipe(
  Options.withDescription("A template parameter, K=V (repeatable), e.g. --parameter ToolFunctionPattern=mcp-tool-*"),
  Options.optional
)
const yes = Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("Execute without asking"))
const dryRun = Options.boolean("dry-run").pipe(Options.withDescription("Create and show the change set only"))
const endpointUrl = Options.text("endpoint-url").pipe(
  Options.withDescription("One endpoint for every AWS service (tests against moto or LocalStack)"),
  Options.optional
)

const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true

/** The flag's value; in a terminal, a prompt for it; otherwise the fallback (or a clear error). */
const orAsk = <A>(
  flag: Option.Option<A>,
  ask: Prompt.Prompt<A>,
  fallback: Option.Option<A>,
  missing: string
): Effect.Effect<A, DeployError, Terminal.Terminal> => {
  if (Option.isSome(flag)) return Effect.succeed(flag.value)
  if (interactive) return Effect.mapError(ask, () => new DeployError({ step: "input", message: "Cancelled" }))
  return Option.match(fallback, {
    onSome: Effect.succeed,
    onNone: () => Effect.fail(new DeployError({ step: "input", message: missing }))
  })
}

export const deployCommand = Command.make(
  "deploy",
  { stackName, region, profile, vpcId, subnetIds, parameter, yes, dryRun, endpointUrl },
  (flags) =>
    Effect.gen(function* () {
      // The confirmation runs inside deploy(), which needs no terminal: hand it this one.
      const context = yield* Effect.context<Terminal.Terminal>()
      const stack = yield* orAsk(
        flags.stackName,
        Prompt.text({ message: "Stack name", default: "mcp-lambda-sam" }),
        Option.some("mcp-lambda-sam"),
        ""
      )
      const where = yield* orAsk(
        flags.region,
        Prompt.text({ message: "AWS region", default: "us-east-1" }),
        Option.none(),
        "No region: pass --region or set AWS_REGION"
      )
      const inVpc = Option.isSome(flags.vpcId) ||
        (interactive && Option.isNone(flags.vpcId) && !flags.yes &&
          (yield* Prompt.confirm({ message: "Deploy into a VPC? (Function URLs cannot stream there)", initial: false }).pipe(
            Effect.orElseSucceed(() => false)
          )))
      const parameters: Record<string, string> = Option.match(flags.parameter, {
        onNone: () => ({}),
        onSome: (map) => Object.fromEntries(map)
      })
      if (inVpc) {
        parameters["VpcEnabled"] = "true"
        parameters["VpcId"] = yield* orAsk(flags.vpcId, Prompt.text({ message: "VPC id (vpc-…)" }), Option.none(), "--vpc-id is required")
        parameters["SubnetIds"] = yield* orAsk(
          flags.subnetIds,
          Prompt.text({ message: "Subnet ids, comma-separated" }),
          Option.none(),
          "--subnet-ids is required with --vpc-id"
        )
      }
      parameters["StackIdentifier"] ??= stack.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 20)
      const { deploy, formatChanges } = yield* loadDeploy
      const result = yield* deploy({
        stackName: stack,
        region: where,
        profile: Option.getOrUndefined(flags.profile),
        endpointUrl: Option.getOrUndefined(flags.endpointUrl),
        parameters,
        dryRun: flags.dryRun,
        confirm: interactive && !flags.yes
          ? () =>
            Prompt.confirm({ message: "Execute this change set?", initial: true }).pipe(
              Effect.orElseSucceed(() => false),
              Effect.provide(context)
            )
          : undefined
      })
      if (result.status === "dry-run") yield* Console.log(formatChanges(result.changes))
    }).pipe(
      Effect.catchTag("DeployError", (error) =>
        Effect.gen(function* () {
          yield* Console.error(`Deploy failed (${error.step}): ${error.message}`)
          for (const failure of error.failures ?? []) yield* Console.error(`  ${failure.resource}: ${failure.reason}`)
          return yield* Effect.fail(error)
        }))
    )
).pipe(Command.withDescription("Deploy the server into an AWS account (CloudFormation with the SAM transform; no SAM CLI needed)"))
