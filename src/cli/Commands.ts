/** The `mcp-lambda-sam` command line. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { DEFAULT_ALLOWED_ORIGINS } from "../http/McpApi.js"
import { adminCommands } from "./AdminCommands.js"
import { clientCommands } from "./ClientCommands.js"
import { deployCommand } from "./DeployCommand.js"
import { DEFAULT_TABLES, devServer, type DevServerOptions } from "../hosts/Node.js"
import { localSources } from "./Examples.js"
import { initCommand } from "./InitCommand.js"

const port = Options.integer("port").pipe(
  Options.withDescription("Port to listen on (0 picks a free one)"),
  Options.withFallbackConfig(Config.integer("PORT")),
  Options.withDefault(3000)
)
const host = Options.text("host").pipe(
  Options.withDescription("Address to listen on; keep 127.0.0.1 unless you mean to expose the server"),
  Options.withDefault("127.0.0.1")
)
const functions = Options.directory("functions", { exists: "yes" }).pipe(
  Options.withDescription("Directory of local functions: <name>.{js,mjs,cjs} exporting handler (default examples/functions, else the packaged examples)"),
  Options.optional
)
const seed = Options.file("seed", { exists: "yes" }).pipe(
  Options.withDescription("JSON file of registrations to load at start (default examples/registrations.json, else the packaged examples"),
  Options.optional
)
const store = Options.choice("store", ["memory", "dynamodb"]).pipe(
  Options.withDescription("Where registrations and sessions live: in memory, or in DynamoDB tables"),
  Options.withDefault("memory" as const)
)
const dynamodbEndpoint = Options.text("dynamodb-endpoint").pipe(
  Options.withDescription("DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local (default: AWS)"),
  Options.withFallbackConfig(Config.string("DYNAMODB_ENDPOINT")),
  Options.optional
)
const createTablesOption = Options.boolean("create-tables").pipe(
  Options.withDescription("Create the tables first when they are missing")
)
const registrationTable = Options.text("registration-table").pipe(
  Options.withFallbackConfig(Config.string("REGISTRATION_TABLE_NAME")),
  Options.withDefault(DEFAULT_TABLES.registrations)
)
const sessionTable = Options.text("session-table").pipe(
  Options.withFallbackConfig(Config.string("SESSION_TABLE_NAME")),
  Options.withDefault(DEFAULT_TABLES.sessions)
)
const allowedOrigins = Options.text("allowed-origins").pipe(
  Options.withDescription(
    `Comma-separated origins browsers may call from; scheme://host:* allows any port, * allows all (default ${DEFAULT_ALLOWED_ORIGINS.join(",")})`
  ),
  Options.optional
)
const functionMemory = Options.integer("function-memory").pipe(
  Options.withDescription("The heap each local function's environment may use, in MB, as its memory size on Lambda (default 256)"),
  Options.withDefault(256)
)
const allowAws = Options.boolean("allow-aws").pipe(
  Options.withDescription("Let registrations name functions on AWS (invoked with your AWS credentials); by default only local functions")
)

const auth = Options.choice("auth", ["local", "oauth"]).pipe(
  Options.withDescription("Who may call /mcp: anyone, as `local` (default), or holders of bearer tokens from --issuer for --audience"),
  Options.withDefault("local" as const)
)
const issuer = Options.text("issuer").pipe(
  Options.withDescription("With --auth oauth: the authorization server (its tokens' iss)"),
  Options.optional
)
const audience = Options.text("audience").pipe(
  Options.withDescription("With --auth oauth: the audience tokens must be for (aud, or client_id for Cognito)"),
  Options.optional
)
const requiredScope = Options.text("required-scope").pipe(
  Options.withDescription("With --auth oauth: space-separated scopes every request's token must hold"),
  Options.optional
)

/** `--auth oauth` needs an issuer and an audience; `--auth local` takes neither. */
const devAuth = (options: {
  readonly auth: "local" | "oauth"
  readonly issuer: Option.Option<string>
  readonly audience: Option.Option<string>
  readonly requiredScope: Option.Option<string>
}): Effect.Effect<NonNullable<DevServerOptions["auth"]>, Error> => {
  if (options.auth === "local") {
    return Option.isSome(options.issuer) || Option.isSome(options.audience)
      ? Effect.fail(new Error("--issuer and --audience need --auth oauth"))
      : Effect.succeed({ kind: "local" as const })
  }
  if (Option.isNone(options.issuer) || Option.isNone(options.audience)) {
    return Effect.fail(new Error("--auth oauth needs --issuer URL and --audience AUD"))
  }
  return Effect.succeed({
    kind: "oauth" as const,
    issuer: options.issuer.value,
    audience: options.audience.value.split(",").map((item) => item.trim()).filter((item) => item !== ""),
    requiredScopes: Option.getOrElse(options.requiredScope, () => "").split(" ").filter((scope) => scope !== "")
  })
}

export const dev = Command.make(
  "dev",
  {
    port,
    host,
    functions,
    seed,
    store,
    dynamodbEndpoint,
    createTables: createTablesOption,
    registrationTable,
    sessionTable,
    allowedOrigins,
    allowAws,
    functionMemory,
    auth,
    issuer,
    audience,
    requiredScope
  },
  (options) =>
    Effect.flatMap(options.functionMemory >= 16 ? devAuth(options) : Effect.fail(new Error("--function-memory is in MB: 16 or more")), (auth) => Layer.launch(
      devServer({
        port: options.port,
        host: options.host,
        ...localSources(options.functions, options.seed),
        store: options.store === "memory"
          ? { kind: "memory" }
          : {
            kind: "dynamodb",
            endpoint: Option.getOrUndefined(options.dynamodbEndpoint),
            tables: { registrations: options.registrationTable, sessions: options.sessionTable },
            createTables: options.createTables
          },
        allowedOrigins: Option.getOrUndefined(
          Option.map(options.allowedOrigins, (list) => list.split(",").map((origin) => origin.trim()).filter((o) => o !== ""))
        ),
        allowAws: options.allowAws,
        functionMemoryMb: options.functionMemory,
        auth
      })
    )).pipe(Effect.asVoid)
).pipe(Command.withDescription("Run the MCP server and the Registration API on this machine, with in-memory stores"))

export const root = Command.make("mcp-lambda-sam").pipe(
  Command.withDescription("An MCP server on AWS Lambda and DynamoDB"),
  Command.withSubcommands([dev, initCommand, deployCommand, ...adminCommands, ...clientCommands])
)

export const cli = Command.run(root, { name: "mcp-lambda-sam", version: "0.1.0" })
