/**
 * `mcp-lambda-sam register | list | get | update | delete | notify-updated`: the Registration
 * API from a terminal, each request SigV4-signed (service `lambda`) with the default AWS credentials.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { AdminError } from "../admin/RegistrationClient.js"
import { REGISTRATION_TIMEOUTS, type Timeouts } from "../admin/TimedFetch.js"
import { adminFailure, registrationClient, sigV4 } from "./AdminModules.js"

const url = Options.text("url").pipe(
  Options.withDescription("The Registration API's URL (the stack's RegistrationFunctionUrl)"),
  Options.withFallbackConfig(Config.string("MCP_LAMBDA_SAM_REGISTRATION_URL")),
  Options.optional
)
const stackName = Options.text("stack-name").pipe(Options.withDescription("Read the URL from this stack's outputs"), Options.optional)
const region = Options.text("region").pipe(Options.withFallbackConfig(Config.string("AWS_REGION")), Options.optional)
const profile = Options.text("profile").pipe(Options.withFallbackConfig(Config.string("AWS_PROFILE")), Options.optional)
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON"))
const endpointUrl = Options.text("endpoint-url").pipe(
  Options.withDescription("CloudFormation endpoint for --stack-name (tests against moto)"),
  Options.optional
)
/** `--connect-timeout` and `--timeout`, in seconds; a server that accepts and never answers is given up on. */
export const timeoutOptions = (defaults: Timeouts) => ({
  connectTimeout: Options.float("connect-timeout").pipe(
    Options.withDescription(`Seconds to wait for the connection (default ${defaults.connectMs / 1000})`),
    Options.withDefault(defaults.connectMs / 1000)
  ),
  timeout: Options.float("timeout").pipe(
    Options.withDescription(`Seconds to wait for each answer once connected (default ${defaults.responseMs / 1000})`),
    Options.withDefault(defaults.responseMs / 1000)
  )
})

export const timeoutsOf = (flags: { readonly connectTimeout: number; readonly timeout: number }): Timeouts => ({
  connectMs: Math.max(1, Math.round(flags.connectTimeout * 1000)),
  responseMs: Math.max(1, Math.round(flags.timeout * 1000))
})

const file = Options.file("file", { exists: "yes" }).pipe(Options.withDescription("The registration, as JSON or YAML"))

/** The registration from flags, for when there is no --file. */
const fields = {
  type: Options.choice("type", ["tool", "resource", "prompt"]).pipe(Options.optional),
  name: Options.text("name").pipe(Options.optional),
  description: Options.text("description").pipe(Options.optional),
  lambdaArn: Options.text("lambda-arn").pipe(Options.optional),
  parameters: Options.text("parameters").pipe(Options.withDescription("Shorthand parameters as JSON, e.g. {\"city\":\"string\"}"), Options.optional),
  inputSchema: Options.text("input-schema").pipe(Options.withDescription("A JSON Schema as JSON"), Options.optional),
  uri: Options.text("uri").pipe(Options.optional),
  uriTemplate: Options.text("uri-template").pipe(Options.optional)
}

type FieldFlags = { readonly [K in keyof typeof fields]: Option.Option<string> }

const fromFlags = (flags: FieldFlags) =>
  Effect.gen(function* () {
    const { AdminError } = yield* registrationClient
    const parseJson = (flag: string, value: Option.Option<string>) =>
      Option.match(value, {
        onNone: () => Effect.succeed(undefined),
        onSome: (text) =>
          Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => new AdminError({ message: `--${flag} is not valid JSON` }) })
      })
    const body: Record<string, unknown> = {
      type: Option.getOrUndefined(flags.type),
      name: Option.getOrUndefined(flags.name),
      description: Option.getOrUndefined(flags.description),
      lambdaArn: Option.getOrUndefined(flags.lambdaArn),
      parameters: yield* parseJson("parameters", flags.parameters),
      inputSchema: yield* parseJson("input-schema", flags.inputSchema),
      uri: Option.getOrUndefined(flags.uri),
      uriTemplate: Option.getOrUndefined(flags.uriTemplate)
    }
    return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined))
  })

const bodyOf = (flags: FieldFlags & { readonly file: Option.Option<string> }) =>
  Option.match(flags.file, {
    onSome: (path) => Effect.flatMap(registrationClient, ({ readBodyFile }) => readBodyFile(path)),
    onNone: () => fromFlags(flags)
  })
const ifMatch = Options.integer("if-match").pipe(Options.withDescription("Only if the stored version is this one"), Options.optional)
const id = Args.text({ name: "id" }).pipe(Args.withDescription("A registration id, <type>-<name>"))

const common = { url, stackName, region, profile, json, endpointUrl, ...timeoutOptions(REGISTRATION_TIMEOUTS) }

interface Common {
  readonly connectTimeout: number
  readonly timeout: number
  readonly endpointUrl: Option.Option<string>
  readonly url: Option.Option<string>
  readonly stackName: Option.Option<string>
  readonly region: Option.Option<string>
  readonly profile: Option.Option<string>
}

const clientFor = (flags: Common) =>
  Effect.gen(function* () {
    const { AdminError, makeClient, urlFromStack } = yield* registrationClient
    const { makeSigner, regionOfUrl } = yield* sigV4
    const fromStack = Option.isSome(flags.stackName)
      ? Option.some(
        yield* Option.match(flags.region, {
          onNone: () => Effect.fail(new AdminError({ message: "--stack-name needs --region (or AWS_REGION)" })),
          onSome: (where) => urlFromStack(flags.stackName.pipe(Option.getOrThrow), where, Option.getOrUndefined(flags.endpointUrl))
        })
      )
      : Option.none()
    const base = Option.orElse(flags.url, () => fromStack)
    if (Option.isNone(base)) return yield* new AdminError({ message: "Give --url, or --stack-name and --region" })
    const where = Option.orElse(flags.region, () => Option.fromNullable(regionOfUrl(base.value)))
    if (Option.isNone(where)) return yield* new AdminError({ message: "Give --region (or AWS_REGION): the URL does not name one" })
    return makeClient(base.value, makeSigner({ region: where.value, profile: Option.getOrUndefined(flags.profile) }), timeoutsOf(flags))
  })

/** Problems on stderr, a non-zero exit. */
export const reportFailure = <A, R>(effect: Effect.Effect<A, AdminError, R>) =>
  effect.pipe(
    Effect.catchTag("AdminError", (error) =>
      Effect.gen(function* () {
        yield* Console.error(`Error: ${error.message}`)
        for (const problem of error.problems ?? []) {
          yield* Console.error(`  ${problem.path === "" ? "(body)" : problem.path}: ${problem.message}`)
        }
        return yield* Effect.fail(error)
      }))
  )

const print = (asJson: boolean, value: unknown, text: string) => Console.log(asJson ? JSON.stringify(value, null, 2) : text)

const summary = (body: unknown) => {
  const registration = body as { id?: string; version?: number }
  return `${registration.id} (version ${registration.version})`
}

const from = Options.text("from").pipe(
  Options.withDescription("Register each registration of DIR/registrations.json (as `init` writes it), or of a JSON or YAML array file"),
  Options.optional
)

/** `--from`: a directory's registrations.json, or a file; an array of bodies (one body is taken as one). */
const readRegistrations = (where: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const { AdminError, readBodyFile } = yield* registrationClient
    const isDirectory = yield* fs.stat(where).pipe(
      Effect.map((info) => info.type === "Directory"),
      Effect.mapError(() => new AdminError({ message: `--from ${where}: no such file or directory` }))
    )
    const parsed = yield* readBodyFile(isDirectory ? `${where}/registrations.json` : where)
    return Array.isArray(parsed) ? (parsed as ReadonlyArray<unknown>) : [parsed]
  })

const register = Command.make("register", { ...common, ...fields, file: Options.optional(file), from }, (flags) =>
  reportFailure(Effect.gen(function* () {
    const { checkBody } = yield* registrationClient
    if (Option.isSome(flags.from) && Option.isSome(flags.file)) return yield* adminFailure("Give --file or --from, not both")
    const bodies = Option.isSome(flags.from) ? yield* readRegistrations(flags.from.value) : [yield* bodyOf(flags)]
    // Every body checked before the first is sent.
    for (const body of bodies) yield* checkBody(body)
    const client = yield* clientFor(flags)
    const registered: Array<unknown> = []
    for (const body of bodies) {
      const result = yield* client.register(body)
      registered.push(result.body)
      if (!flags.json) yield* Console.log(`Registered ${summary(result.body)}`)
    }
    if (flags.json) yield* Console.log(JSON.stringify(Option.isSome(flags.from) ? registered : registered[0], null, 2))
  }))).pipe(Command.withDescription("Register a tool, resource or prompt, from --file (JSON or YAML), from flags, or each one --from DIR holds"))

const list = Command.make(
  "list",
  { ...common, type: Options.choice("type", ["tool", "resource", "prompt"]).pipe(Options.optional) },
  (flags) =>
    reportFailure(Effect.gen(function* () {
      const client = yield* clientFor(flags)
      const items = yield* client.list(Option.getOrUndefined(flags.type))
      const rows = items.map((item) => [String(item["id"]), String(item["version"]), String(item["lambdaArn"]), String(item["description"])])
      const widths = [0, 1, 2].map((column) => Math.max(...[["ID", "VERSION", "LAMBDA ARN"][column]!.length, ...rows.map((row) => row[column]!.length)]))
      const line = (cells: ReadonlyArray<string>) => cells.map((cell, index) => (index < 3 ? cell.padEnd(widths[index]!) : cell)).join("  ")
      yield* print(flags.json, items, [line(["ID", "VERSION", "LAMBDA ARN", "DESCRIPTION"]), ...rows.map(line)].join("\n"))
    }))
).pipe(Command.withDescription("List registrations"))

const get = Command.make("get", { ...common, id }, (flags) =>
  reportFailure(Effect.gen(function* () {
    const client = yield* clientFor(flags)
    const result = yield* client.get(flags.id)
    yield* Console.log(JSON.stringify(result.body, null, 2))
  }))).pipe(Command.withDescription("Show one registration"))

const update = Command.make("update", { ...common, ...fields, id, file: Options.optional(file), ifMatch }, (flags) =>
  reportFailure(Effect.gen(function* () {
    const { checkBody } = yield* registrationClient
    const body = yield* bodyOf(flags)
    yield* checkBody(body)
    const client = yield* clientFor(flags)
    const result = yield* client.update(flags.id, body, Option.getOrUndefined(flags.ifMatch))
    yield* print(flags.json, result.body, `Updated ${summary(result.body)}`)
  }))).pipe(Command.withDescription("Replace a registration (optionally only at an expected version)"))

const remove = Command.make("delete", { ...common, id, ifMatch }, (flags) =>
  reportFailure(Effect.gen(function* () {
    const client = yield* clientFor(flags)
    yield* client.remove(flags.id, Option.getOrUndefined(flags.ifMatch))
    yield* print(flags.json, { deleted: flags.id }, `Deleted ${flags.id}`)
  }))).pipe(Command.withDescription("Delete a registration"))

/** The answer of `POST /resources/updated`. */
const ResourceUpdated = Schema.Struct({ uri: Schema.String, notified: Schema.Number })

const notifyUpdated = Command.make(
  "notify-updated",
  { ...common, uri: Args.text({ name: "uri" }).pipe(Args.withDescription("The resource's absolute URI, e.g. file:///notes.txt")) },
  (flags) =>
    reportFailure(Effect.gen(function* () {
      const client = yield* clientFor(flags)
      const result = yield* client.resourceUpdated(flags.uri)
      const { notified } = yield* Schema.decodeUnknown(ResourceUpdated)(result.body).pipe(
        Effect.orElse(() => adminFailure(`Unexpected answer: ${JSON.stringify(result.body)}`))
      )
      yield* print(flags.json, result.body, `Notified ${notified} session${notified === 1 ? "" : "s"} subscribed to ${flags.uri}`)
    }))
).pipe(Command.withDescription("Tell the MCP sessions subscribed to a resource that it changed (notifications/resources/updated)"))

export const adminCommands = [register, list, get, update, remove, notifyUpdated] as const
