/**
 * `mcp-lambda-sam init [DIR]`: a new tool's function, test, registration and SAM template
 * (src/cli/Scaffold.ts), written only where no file is in the way.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { functionNameOf, functionsDirOf, scaffold, toolNameOf } from "./Scaffold.js"

export class InitError extends Data.TaggedError("InitError")<{ readonly message: string }> {}

const directory = Args.directory({ name: "DIR", exists: "either" }).pipe(
  Args.withDescription("Where to write the tool (default: the current directory)"),
  Args.withDefault(".")
)
const name = Options.text("name").pipe(
  Options.withDescription("The tool's name (default: the directory's name); its function is mcp-tool-<name>"),
  Options.optional
)
const typescript = Options.boolean("typescript").pipe(Options.withDescription("Write TypeScript (.mts, compiled by tsc) instead of JavaScript"))
const streaming = Options.boolean("streaming").pipe(
  Options.withDescription("A streaming function (progress and log notifications while it runs)")
)

const TOOL_NAME = /^[A-Za-z0-9_-]{1,50}$/

/** Stops before writing anything when a file is in the way: nothing is overwritten, nothing half-made. */
const writeAll = (root: string, files: ReturnType<typeof scaffold>, heading: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const targets = files.map((file) => ({ ...file, target: path.join(root, file.path) }))
    const existing = yield* Effect.filter(targets, (file) => fs.exists(file.target))
    if (existing.length > 0) {
      return yield* new InitError({
        message: `Not overwriting ${existing.map((file) => file.target).join(", ")}: choose another directory, or move ${existing.length === 1 ? "it" : "them"} away`
      })
    }
    yield* Console.log(heading)
    for (const file of targets) {
      yield* fs.makeDirectory(path.dirname(file.target), { recursive: true })
      // "wx": should a file appear since the check, it is still not overwritten.
      yield* fs.writeFileString(file.target, file.content, { flag: "wx" })
      yield* Console.log(`  created ${file.target}`)
    }
  })

export const initCommand = Command.make("init", { directory, name, typescript, streaming }, (flags) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const tool = Option.getOrElse(flags.name, () => toolNameOf(path.basename(path.resolve(flags.directory))))
    if (!TOOL_NAME.test(tool)) {
      return yield* new InitError({ message: `--name ${tool}: use 1–50 letters, digits, _ or -` })
    }
    const options = { tool, typescript: flags.typescript, streaming: flags.streaming }
    yield* writeAll(
      flags.directory,
      scaffold(options),
      `A ${flags.streaming ? "streaming" : "buffered"} tool, ${tool} (function ${functionNameOf(tool)}):`
    )
    const dir = (sub: string) => path.join(flags.directory, sub)
    yield* Console.log(
      [
        "",
        "Next:",
        ...(flags.typescript ? [`  npx tsc -p ${dir("tsconfig.json")}   # needs typescript and @types/node`] : []),
        `  node --test ${dir(flags.typescript ? "dist/test" : "test")}`,
        `  npx mcp-lambda-sam dev --functions ${dir(functionsDirOf(options))} --seed ${dir("registrations.json")}`,
        `Deploy: see ${dir("template.yaml")}; then mcp-lambda-sam register --from ${flags.directory} --stack-name …`
      ].join("\n")
    )
  }).pipe(
    Effect.mapError((error) => (error._tag === "InitError" ? error : new InitError({ message: error.message }))),
    Effect.tapError((error) => Console.error(`Error: ${error.message}`))
  )).pipe(Command.withDescription("Start a new tool: its function (JavaScript, or --typescript; --streaming), a test, its registration and a SAM template"))
