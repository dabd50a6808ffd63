/**
 * Turns an app and its services into a Lambda handler. The services are built once per
 * container, on the first request, and reused (a build that fails is tried again by the next
 * request); the invoke mode (`INVOKE_MODE`, set by the template to match the Function URL)
 * picks streaming or buffered responses. `process.env` is read here, in the hosts and in the
 * CLI entry only.
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import { bufferedHandler, streamingHandler } from "../http/FunctionUrl.js"
import { type AppRunner, appRunner } from "../http/LambdaExchange.js"
import type { Caller } from "../http/HostContext.js"
import { DEFAULTS } from "../Settings.js"
import { containerRuntime, logLevelConfig } from "./Services.js"

export { logLevelConfig } from "./Services.js"

/** `LOG_LEVEL`: one JSON log line per entry (CloudWatch Logs Insights can query the fields). */
export const logging = Layer.merge(Logger.json, Layer.unwrapEffect(Effect.map(logLevelConfig, Logger.minimumLogLevel)))

/**
 * The handler of `app` over its services: a `Context` built by an effect (what the hosts do,
 * see `Services.ts`) or a layer. The app may also require `Caller`: the Function URL adapter
 * provides it with every request (from the IAM authorizer), never the services.
 */
export const lambdaHandler = <E, R, RE>(
  app: HttpApp.Default<E, R | Caller>,
  services: Layer.Layer<R, RE> | Effect.Effect<Context.Context<R>, RE, Scope.Scope>
) => {
  const build = Layer.isLayer(services)
    ? Layer.build(services as Layer.Layer<R, RE>)
    : (services as Effect.Effect<Context.Context<R>, RE, Scope.Scope>)
  const runtime = containerRuntime("function", build, logLevelConfig)
  let handle: AppRunner | undefined
  const run: AppRunner = (request, context) =>
    handle !== undefined
      ? handle(request, context)
      : runtime().then((ready) => (handle ??= appRunner(ready, app as HttpApp.Default<E, R>))(request, context))
  // Read synchronously here: the handler's shape must be known when the module loads.
  const invokeMode = process.env["INVOKE_MODE"] ?? DEFAULTS.INVOKE_MODE
  return invokeMode === "BUFFERED" ? bufferedHandler(run) : streamingHandler(run)
}
