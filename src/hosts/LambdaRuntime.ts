/**
 * Turns an app and its layer into a Lambda handler. The runtime is built once per container,
 * on the first request, and reused; the invoke mode (`INVOKE_MODE`, set by the template to
 * match the Function URL) picks streaming or buffered responses. `process.env` is read here,
 * in the hosts and in the CLI entry only.
 */
import { HttpApp } from "@effect/platform"
import { Config, Effect, Layer, Logger, LogLevel } from "effect"
import { bufferedHandler, streamingHandler, type WebHandler } from "../http/FunctionUrl.js"
import type { Caller } from "../http/HostContext.js"
import { DEFAULTS } from "../Settings.js"

/** `LOG_LEVEL`: one JSON log line per entry (CloudWatch Logs Insights can query the fields). */
export const logging = Layer.merge(
  Logger.json,
  Layer.unwrapEffect(Effect.map(
    Config.withDefault(Config.logLevel("LOG_LEVEL"), LogLevel.allLevels.find((level) => level.label === DEFAULTS.LOG_LEVEL)!),
    Logger.minimumLogLevel
  ))
)

/**
 * The handler of `app` over `layer`. The app may also require `Caller`: the Function URL
 * adapter provides it with every request (from the IAM authorizer), never the layer.
 */
export const lambdaHandler = <E, R, RE>(app: HttpApp.Default<E, R | Caller>, layer: Layer.Layer<R, RE>) => {
  // The per-request context that `FunctionUrl.requestContext` builds holds the Caller.
  const { handler } = HttpApp.toWebHandlerLayer(app as HttpApp.Default<E, R>, Layer.merge(layer, logging))
  const run: WebHandler = handler
  // Read synchronously here: the handler's shape must be known when the module loads.
  const invokeMode = process.env["INVOKE_MODE"] ?? DEFAULTS.INVOKE_MODE
  return invokeMode === "BUFFERED" ? bufferedHandler(run) : streamingHandler(run)
}
