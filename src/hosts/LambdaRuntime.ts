/**
 * Turns an app and its layer into a Lambda handler. The runtime is built once per container,
 * on the first request, and reused; the invoke mode (`INVOKE_MODE`, set by the template to
 * match the Function URL) picks streaming or buffered responses.
 */
import { HttpApp } from "@effect/platform"
import { Config, Effect, Layer, Logger, LogLevel } from "effect"
import { bufferedHandler, streamingHandler, type WebHandler } from "../http/FunctionUrl.js"

export const lambdaHandler = <E, R, RE>(app: HttpApp.Default<E, R>, layer: Layer.Layer<R, RE>) => {
  // One JSON log line per entry (CloudWatch Logs Insights can query the fields), from LOG_LEVEL up.
  const logging = Layer.merge(
    Logger.json,
    Layer.unwrapEffect(Effect.map(Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)), Logger.minimumLogLevel))
  )
  const { handler } = HttpApp.toWebHandlerLayer(app, Layer.merge(layer, logging))
  const run: WebHandler = handler
  return process.env["INVOKE_MODE"] === "BUFFERED" ? bufferedHandler(run) : streamingHandler(run)
}
