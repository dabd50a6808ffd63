/**
 * How the Lambda hosts build their services: one after another into a `Context`, each
 * constructor run with the services built before it, instead of a graph of layers. The result
 * is the same services; what differs is the cold start. Effect's layer machinery (memo map,
 * scopes, merges) is code a fresh process interprets and compiles on first use, about 30 M
 * instructions for the first layer and 3–4 M for each one after it, and the MCP function had
 * some 30 of them: building the context directly costs a fraction of that
 * (`bench/results.md`, lever 10). The layers stay, for tests, the dev server and library users.
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { DEFAULTS } from "../Settings.js"

/** Adds the service `make` builds, given the services in `context` (and a scope, for resources). */
export const add = <I, S, E, R>(tag: Context.Tag<I, S>, make: Effect.Effect<S, E, R>) =>
<C>(context: Context.Context<C>): Effect.Effect<Context.Context<C | I>, E, Exclude<R, C>> =>
  Effect.map(Effect.provide(make, context), (service) => Context.add(context, tag, service))

/** Adds the service `make` builds when there is one (a service the apps take as optional). */
export const addOption = <I, S, E, R>(tag: Context.Tag<I, S>, make: Effect.Effect<Option.Option<S>, E, R>) =>
<C>(context: Context.Context<C>): Effect.Effect<Context.Context<C>, E, Exclude<R, C>> =>
  Effect.map(
    Effect.provide(make, context),
    // Typed as adding nothing: the apps look it up with `Effect.serviceOption`.
    Option.match({ onNone: () => context, onSome: (service) => Context.add(context, tag, service) as Context.Context<C> })
  )

/** `LOG_LEVEL`, or the default. */
export const logLevelConfig = Config.withDefault(
  Config.logLevel("LOG_LEVEL"),
  LogLevel.allLevels.find((level) => level.label === DEFAULTS.LOG_LEVEL)!
)

/** One JSON line per entry on stdout, as `Logger.json` writes them. */
const jsonLines = Logger.withConsoleLog(Logger.jsonLogger)

/**
 * A runtime over `services` that logs one JSON line per entry at `minimumLevel` and above
 * (CloudWatch Logs Insights reads the fields) — what `Logger.json` and `Logger.minimumLogLevel`
 * do as layers, set here on the runtime's fiber refs.
 */
export const runtimeOf = <R, E, LE>(
  services: Effect.Effect<Context.Context<R>, E, Scope.Scope>,
  minimumLevel: Effect.Effect<LogLevel.LogLevel, LE>
): Effect.Effect<Runtime.Runtime<R>, E | LE, Scope.Scope> =>
  Effect.flatMap(minimumLevel, (level) =>
    Effect.flatMap(services, (context) => Effect.provide(Effect.runtime<R>(), context)).pipe(
      Effect.locally(FiberRef.currentMinimumLogLevel, level),
      Effect.locallyWith(FiberRef.currentLoggers, (loggers) =>
        HashSet.add(HashSet.remove(loggers, Logger.defaultLogger), jsonLines))
    ))


/**
 * The runtime of a container: built by the first caller, then shared; its scope (the clients)
 * lives as long as the container. A build that fails is not kept: the next caller tries again.
 */
export const containerRuntime = <R, E, LE>(
  what: string,
  services: Effect.Effect<Context.Context<R>, E, Scope.Scope>,
  minimumLevel: Effect.Effect<LogLevel.LogLevel, LE>
): () => Promise<Runtime.Runtime<R>> => {
  let ready: Promise<Runtime.Runtime<R>> | undefined
  const start = () => {
    const scope = Effect.runSync(Scope.make())
    return Effect.runPromiseExit(Scope.extend(runtimeOf(services, minimumLevel), scope)).then(async (exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      // What the failed build made (its clients) goes with it; the next caller builds afresh.
      await Effect.runPromise(Scope.close(scope, exit))
      ready = undefined
      throw new Error(`The ${what}'s services could not be built: ${Cause.pretty(exit.cause)}`)
    })
  }
  return () => (ready ??= start())
}
