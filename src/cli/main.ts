import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import { cli } from "./Commands.js"
import { stderrLogger } from "./StderrLogger.js"

// This package pins its AWS SDK versions and supports Node 20: the SDK's notice about releases
// that will need Node 22 is not the user's concern at every start.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"

// Logs and errors go to stderr: stdout carries results, and for `proxy` the MCP protocol itself.
// runMain's own pretty logger (stdout) is off, or every entry is written twice.
const logger = Logger.replace(Logger.defaultLogger, stderrLogger)

/** Failures the commands have already explained (or @effect/cli has, for bad flags). */
const explained = (error: unknown) =>
  ValidationError.isValidationError(error) ||
  (typeof error === "object" && error !== null && "_tag" in error && ["AdminError", "DeployError", "InitError"].includes(String(error._tag)))

cli(process.argv).pipe(
  Effect.tapErrorCause((cause) => {
    const failure = Cause.failureOption(cause)
    if (Cause.isInterruptedOnly(cause) || (Option.isSome(failure) && explained(failure.value))) return Effect.void
    return Console.error(Cause.pretty(cause))
  }),
  Effect.provide(Layer.merge(NodeContext.layer, logger)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
