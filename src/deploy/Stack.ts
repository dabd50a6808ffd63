/**
 * Following a CloudFormation stack: describing it, waiting for a change set, polling its events
 * until it settles (collecting each failing resource), and formatting the change set, the
 * events and the outputs for the console.
 */
import {
  type Change,
  type CloudFormationClient,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  type StackEvent
} from "@aws-sdk/client-cloudformation"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { call } from "./Step.js"

// A settled stack status (when not IN_PROGRESS), a failed one, and the refusal of a change set with nothing to do.
const TERMINAL = /(_COMPLETE|_FAILED)$/
export const FAILED = /(FAILED|ROLLBACK)/
export const NO_CHANGES = /didn't contain changes|No updates are to be performed/i

export const describeStack = (client: CloudFormationClient, stackName: string) =>
  call("stack", () => client.send(new DescribeStacksCommand({ StackName: stackName }))).pipe(
    Effect.map((output) => Option.fromNullable(output.Stacks?.[0])),
    Effect.catchIf((error) => /does not exist/.test(error.message), () => Effect.succeed(Option.none<Stack>()))
  )

export const waitForChangeSet = (client: CloudFormationClient, id: string, stackName: string, interval: Duration.DurationInput) =>
  Effect.gen(function* () {
    for (;;) {
      const described: DescribeChangeSetCommandOutput = yield* call("change set", () =>
        client.send(new DescribeChangeSetCommand({ ChangeSetName: id, StackName: stackName })))
      if (described.Status === "CREATE_COMPLETE" || described.Status === "FAILED") return described
      yield* Effect.sleep(interval)
    }
  })

export const followEvents = (
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
