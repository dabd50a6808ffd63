/**
 * MCP client commands against a deployed (IAM-protected) server, every request SigV4-signed:
 * `proxy` (stdio, for desktop clients), `tools` and `call` (quick checks from a terminal).
 * `proxy --auth oauth` reaches a server in OAUTH mode with a bearer token instead.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { MCP_TIMEOUTS, type Timeouts } from "../admin/TimedFetch.js"
import { reportFailure, timeoutOptions, timeoutsOf } from "./AdminCommands.js"
import { adminFailure, registrationClient, remote, sigV4 } from "./AdminModules.js"

const url = Options.text("url").pipe(Options.withDescription("The MCP URL (…/mcp, or …/sse for the legacy transport)"))
const region = Options.text("region").pipe(
  Options.withDescription("Region to sign for (default: from a Function URL, else $AWS_REGION)"),
  Options.withFallbackConfig(Config.string("AWS_REGION")),
  Options.optional
)
const profile = Options.text("profile").pipe(Options.withFallbackConfig(Config.string("AWS_PROFILE")), Options.optional)
const common = { url, region, profile, ...timeoutOptions(MCP_TIMEOUTS) }

interface Target {
  readonly url: string
  readonly region: Option.Option<string>
  readonly profile: Option.Option<string>
  readonly connectTimeout: number
  readonly timeout: number
}

const signerFor = (flags: Target) =>
  Effect.gen(function* () {
    const { makeSigner, regionOfUrl } = yield* sigV4
    const where = Option.getOrUndefined(Option.orElse(Option.fromNullable(regionOfUrl(flags.url)), () => flags.region))
    if (where === undefined) return yield* adminFailure("Give --region (or AWS_REGION): the URL does not name one")
    return makeSigner({ region: where, profile: Option.getOrUndefined(flags.profile) })
  })

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * The SDK's own deadline for a request, a little after ours: over HTTP ours says what happened;
 * the SDK's covers an answer that never comes on a legacy SSE stream.
 */
const sdkTimeout = (timeouts: Timeouts) => ({ timeout: timeouts.connectMs + timeouts.responseMs + 1000 })

/** One call of the SDK client, its failure an AdminError naming what was asked. */
const ask = <A>(what: string, run: () => Promise<A>) =>
  Effect.flatMap(registrationClient, ({ AdminError }) =>
    Effect.tryPromise({ try: run, catch: (cause) => new AdminError({ message: `${what} failed: ${describe(cause)}` }) }))

/** A connected SDK client: Streamable HTTP, else legacy SSE. */
const connect = (flags: Target) =>
  Effect.gen(function* () {
    const { Client, isTransportMissing, makeTransport, preferredKind } = yield* remote
    const signer = yield* signerFor(flags)
    const timeouts = timeoutsOf(flags)
    const target = new URL(flags.url)
    const attempt = (kind: "streamable-http" | "sse") =>
      Effect.tryPromise({
        try: async () => {
          const client = new Client({ name: "mcp-lambda-sam", version: "0.1.0" })
          await client.connect(makeTransport(kind, target, { signer }, timeouts), sdkTimeout(timeouts))
          return client
        },
        catch: (cause) => cause
      })
    const first = preferredKind(target)
    return yield* attempt(first).pipe(
      Effect.catchAll((error) => (first === "streamable-http" && isTransportMissing(error) ? attempt("sse") : Effect.fail(error))),
      Effect.catchAll((cause) => adminFailure(`Cannot reach ${flags.url}: ${describe(cause)}`))
    )
  }).pipe(Effect.acquireRelease((client) => Effect.promise(() => client.close())))

const proxyOptions = {
  ...common,
  auth: Options.choice("auth", ["sigv4", "oauth"]).pipe(
    Options.withDescription("sigv4: sign with AWS credentials (McpAuth=IAM); oauth: sign in with the server's issuer (McpAuth=OAUTH)"),
    Options.withDefault("sigv4" as const)
  ),
  clientId: Options.text("client-id").pipe(
    Options.withDescription("--auth oauth: a client registered with the issuer (default: the proxy registers itself)"),
    Options.optional
  ),
  redirectUri: Options.text("redirect-uri").pipe(
    Options.withDescription("--auth oauth: the loopback redirect URI, e.g. http://127.0.0.1:8765/callback (default: a free port)"),
    Options.optional
  ),
  noBrowser: Options.boolean("no-browser").pipe(Options.withDescription("--auth oauth: only print the sign-in URL (on stderr)"))
}

/** The OAuth client of `proxy --auth oauth`: tokens and registration from the config dir. */
const oauthLogin = (flags: { readonly url: string; readonly clientId: Option.Option<string>; readonly redirectUri: Option.Option<string>; readonly noBrowser: boolean }) =>
  Effect.gen(function* () {
    const { makeOAuthLogin } = yield* remote
    return yield* Effect.tryPromise({
      try: () =>
        makeOAuthLogin({
          serverUrl: new URL(flags.url),
          clientId: Option.getOrUndefined(flags.clientId),
          redirectUri: Option.getOrUndefined(flags.redirectUri),
          openBrowser: !flags.noBrowser,
          log: (line) => process.stderr.write(`[mcp-lambda-sam proxy] ${line}\n`)
        }),
      catch: (cause) => cause
    }).pipe(Effect.catchAll((cause) => adminFailure(`OAuth: ${describe(cause)}`)))
  })

export const proxy = Command.make("proxy", proxyOptions, (flags) =>
  reportFailure(Effect.gen(function* () {
    const { runProxy } = yield* remote
    if (flags.auth === "sigv4" && (Option.isSome(flags.clientId) || Option.isSome(flags.redirectUri))) {
      return yield* adminFailure("--client-id and --redirect-uri need --auth oauth")
    }
    const access = flags.auth === "oauth" ? { oauth: yield* oauthLogin(flags) } : { signer: yield* signerFor(flags) }
    yield* Effect.promise(() => runProxy({ url: flags.url, ...access, timeouts: timeoutsOf(flags) }))
  }))).pipe(
    Command.withDescription(
      "A stdio MCP server that forwards to the remote one with SigV4, or OAuth with --auth oauth (for Claude Desktop, Cursor, …)"
    )
  )

export const tools = Command.make("tools", common, (flags) =>
  reportFailure(Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(flags)
    const { tools: listed } = yield* ask("tools/list", () => client.listTools(undefined, sdkTimeout(timeoutsOf(flags))))
    for (const tool of listed) yield* Console.log(`${tool.name}\t${tool.description ?? ""}`)
  })))).pipe(Command.withDescription("List the remote server's tools"))

export const call = Command.make(
  "call",
  {
    ...common,
    name: Args.text({ name: "tool" }),
    args: Options.text("args").pipe(Options.withDescription("Arguments as a JSON object"), Options.withDefault("{}"))
  },
  (flags) =>
    reportFailure(Effect.scoped(Effect.gen(function* () {
      const { CallToolResultSchema } = yield* remote
      const { AdminError } = yield* registrationClient
      const parsed = yield* Effect.try({
        try: () => JSON.parse(flags.args) as Record<string, unknown>,
        catch: () => new AdminError({ message: "--args must be a JSON object" })
      })
      const client = yield* connect(flags)
      const result = yield* ask(`tools/call ${flags.name}`, () =>
        client.callTool({ name: flags.name, arguments: parsed }, CallToolResultSchema, sdkTimeout(timeoutsOf(flags))))
      yield* Console.log(JSON.stringify(result, null, 2))
      if (result.isError === true) return yield* new AdminError({ message: `Tool ${flags.name} reported an error` })
    })))
).pipe(Command.withDescription("Call one of the remote server's tools and print the result"))

export const clientCommands = [proxy, tools, call] as const
