/**
 * MCP client commands against a deployed (IAM-protected) server, every request SigV4-signed:
 * `proxy` (stdio, for desktop clients), `tools` and `call` (quick checks from a terminal).
 */
import { Args, Command, Options } from "@effect/cli"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { Config, Console, Effect, Option } from "effect"
import { runProxy } from "../admin/Proxy.js"
import { isTransportMissing, makeTransport, preferredKind } from "../admin/Remote.js"
import { makeSigner, regionOfUrl } from "../admin/SigV4.js"

const url = Options.text("url").pipe(Options.withDescription("The MCP URL (…/mcp, or …/sse for the legacy transport)"))
const region = Options.text("region").pipe(
  Options.withDescription("Region to sign for (default: from a Function URL, else $AWS_REGION)"),
  Options.withFallbackConfig(Config.string("AWS_REGION")),
  Options.optional
)
const profile = Options.text("profile").pipe(Options.withFallbackConfig(Config.string("AWS_PROFILE")), Options.optional)

const signerFor = (flags: { url: string; region: Option.Option<string>; profile: Option.Option<string> }) => {
  const where = Option.getOrUndefined(Option.orElse(Option.fromNullable(regionOfUrl(flags.url)), () => flags.region))
  if (where === undefined) return Effect.fail(new Error("Give --region (or AWS_REGION): the URL does not name one"))
  return Effect.succeed(makeSigner({ region: where, profile: Option.getOrUndefined(flags.profile) }))
}

/** A connected SDK client: Streamable HTTP, else legacy SSE. */
const connect = (flags: { url: string; region: Option.Option<string>; profile: Option.Option<string> }) =>
  Effect.gen(function* () {
    const signer = yield* signerFor(flags)
    const target = new URL(flags.url)
    const attempt = (kind: "streamable-http" | "sse") =>
      Effect.tryPromise(async () => {
        const client = new Client({ name: "mcp-lambda-sam", version: "0.1.0" })
        await client.connect(makeTransport(kind, target, signer))
        return client
      })
    const first = preferredKind(target)
    return yield* attempt(first).pipe(
      Effect.catchAll((error) =>
        first === "streamable-http" && isTransportMissing(error.cause) ? attempt("sse") : Effect.fail(error)
      )
    )
  }).pipe(Effect.acquireRelease((client) => Effect.promise(() => client.close())))

export const proxy = Command.make("proxy", { url, region, profile }, (flags) =>
  Effect.gen(function* () {
    const signer = yield* signerFor(flags)
    yield* Effect.promise(() => runProxy({ url: flags.url, signer }))
  })).pipe(
    Command.withDescription("A stdio MCP server that forwards to the remote one with SigV4 (for Claude Desktop, Cursor, …)")
  )

export const tools = Command.make("tools", { url, region, profile }, (flags) =>
  Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(flags)
    const { tools: listed } = yield* Effect.promise(() => client.listTools())
    for (const tool of listed) yield* Console.log(`${tool.name}\t${tool.description ?? ""}`)
  }))).pipe(Command.withDescription("List the remote server's tools"))

export const call = Command.make(
  "call",
  {
    url,
    region,
    profile,
    name: Args.text({ name: "tool" }),
    args: Options.text("args").pipe(Options.withDescription("Arguments as a JSON object"), Options.withDefault("{}"))
  },
  (flags) =>
    Effect.scoped(Effect.gen(function* () {
      const parsed = yield* Effect.try({
        try: () => JSON.parse(flags.args) as Record<string, unknown>,
        catch: () => new Error("--args must be a JSON object")
      })
      const client = yield* connect(flags)
      const result = yield* Effect.promise(() => client.callTool({ name: flags.name, arguments: parsed }))
      yield* Console.log(JSON.stringify(result, null, 2))
      if (result.isError === true) return yield* Effect.fail(new Error(`Tool ${flags.name} reported an error`))
    }))
).pipe(Command.withDescription("Call one of the remote server's tools and print the result"))

export const clientCommands = [proxy, tools, call] as const
