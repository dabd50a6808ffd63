/**
 * `dev`'s local functions, each run the way Lambda runs a function: in execution environments
 * of its own (`Environments.ts`: worker threads, one invocation at a time each, kept warm, with a
 * heap limit and a timeout that ends the environment). A function that loops, exhausts its
 * memory or throws where nobody catches fails its own invocation (`InvocationTimeout`, or
 * `FunctionError` `Runtime.OutOfMemory` / `Runtime.ExitError`); the server, its other clients and
 * the function's next invocation go on. `LocalFunctionInvoker.ts` is the in-process variant
 * (tests, and handlers given as values).
 */
import { readdir } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Worker } from "node:worker_threads"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { FunctionError, FunctionNotFound, type InvocationError } from "../domain/errors.js"
import { functionNameOf } from "../domain/LambdaArn.js"
import { type Invocation, ToolInvoker, type ToolInvokerShape } from "../services/ToolInvoker.js"
import { DEFAULTS } from "../Settings.js"
import { type FunctionOutputLine, makeEnvironments, type Outcome, printLine, WORKER } from "./Environments.js"
import { FunctionsDirectoryError } from "./LocalFunctionInvoker.js"
import { HANDLER_FILE } from "./localRuntime.mjs"

export type { FunctionOutputLine } from "./Environments.js"

export interface WorkerInvokerOptions {
  /** Per invocation, unless the call names its own. Default `INVOKE_TIMEOUT_SECONDS`, as on Lambda. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Where ARNs without a local function go; by default they fail with FunctionNotFound. */
  readonly fallback?: ToolInvokerShape | undefined
  /** The heap each environment may use, in MB (a function's memory size). Default 256. */
  readonly memoryLimitMb?: number | undefined
  /** Invocations of one function that run at once (environments); more wait their turn. Default 8. */
  readonly concurrency?: number | undefined
  /**
   * How long an environment may sit idle before it is stopped, as Lambda reclaims idle ones
   * (each function keeps its last one warm). Default 5 minutes.
   */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /**
   * Where a function's console output goes, a line at a time (as Lambda keeps each function's
   * log apart). Default: this process's stdout and stderr, each line after the function's name.
   */
  readonly output?: ((line: FunctionOutputLine) => void) | undefined
}

/** The local functions of `dir`: `<name>.{js,mjs,cjs}` → its path. Loading each is checked in a worker. */
export const listFunctions = (dir: string) =>
  Effect.gen(function* () {
    const root = resolve(dir)
    const files = yield* Effect.tryPromise({
      try: () => readdir(root),
      catch: (error) => new FunctionsDirectoryError({ path: root, reason: error instanceof Error ? error.message : String(error) })
    })
    const functions = new Map<string, string>()
    for (const file of files.sort()) {
      const match = HANDLER_FILE.exec(file)
      if (match !== null) functions.set(match[1]!, join(root, file))
    }
    const problems = yield* Effect.async<ReadonlyArray<{ readonly path: string; readonly reason: string }>, FunctionsDirectoryError>((resume) => {
      const worker = new Worker(WORKER, { workerData: { check: [...functions.values()], memoryLimitInMB: 0, path: "" } })
      let settled = false
      const settle = (outcome: Effect.Effect<ReadonlyArray<{ readonly path: string; readonly reason: string }>, FunctionsDirectoryError>) => {
        if (settled) return
        settled = true
        resume(outcome)
        void worker.terminate()
      }
      const failed = (reason: string) => settle(Effect.fail(new FunctionsDirectoryError({ path: root, reason: `checking the functions failed: ${reason}` })))
      worker.once("message", (message: { readonly problems: ReadonlyArray<{ readonly path: string; readonly reason: string }> }) => settle(Effect.succeed(message.problems)))
      // Kept after the answer: a function's top level may still throw while the worker ends.
      worker.on("error", (error) => failed(error.message))
      // A file that exits the process (or never finishes loading) ends the check too.
      worker.once("exit", (code) => failed(`a function file ended the check (exit code ${code})`))
      return Effect.promise(() => worker.terminate())
    })
    const first = problems[0]
    if (first !== undefined) return yield* new FunctionsDirectoryError(first)
    return functions
  })
/**
 * An invoker over the functions `listFunctions` found. Its environments end with the scope.
 */
export const makeWorkers = (functions: ReadonlyMap<string, string>, options: WorkerInvokerOptions = {}) =>
  Effect.gen(function* () {
    const defaultTimeout = Duration.decode(options.timeout ?? Duration.seconds(DEFAULTS.INVOKE_TIMEOUT_SECONDS))
    const environments = yield* makeEnvironments(functions, {
      memoryLimitMb: options.memoryLimitMb ?? 256,
      concurrency: options.concurrency ?? 8,
      idleTimeout: Duration.decode(options.idleTimeout ?? Duration.minutes(5)),
      output: options.output ?? printLine
    })

    const prepare = (invocation: Invocation) => {
      const functionName = functionNameOf(invocation.lambdaArn)
      const timeout = invocation.timeout === undefined ? defaultTimeout : Duration.decode(invocation.timeout)
      return { functionName, timeout, local: environments.has(functionName) }
    }

    const failed = (functionName: string, error: NonNullable<Outcome["error"]>) =>
      new FunctionError({ functionName, errorType: error.errorType, errorMessage: error.errorMessage })

    const invoke = Effect.fn("ToolInvoker.invoke")(function* (invocation: Invocation) {
      const { functionName, local, timeout } = prepare(invocation)
      yield* Effect.annotateCurrentSpan("functionName", functionName)
      if (!local) {
        if (options.fallback !== undefined) return yield* options.fallback.invoke(invocation)
        return yield* new FunctionNotFound({ functionName })
      }
      return yield* Effect.async<unknown, InvocationError>((resume) => {
        const chunks: Array<Uint8Array> = []
        const leave = environments.dispatch(functionName, invocation, timeout, {
          chunk: (bytes) => chunks.push(bytes),
          lost: (error) => resume(Effect.fail(error)),
          done: (outcome) => {
            if (outcome.error !== undefined) return resume(Effect.fail(failed(functionName, outcome.error)))
            // A streaming handler called without streaming: the whole stream is the answer, as Lambda's Invoke returns it.
            const text = outcome.json ?? Buffer.concat(chunks).toString("utf8")
            try {
              resume(Effect.succeed(text === "" ? null : JSON.parse(text) as unknown))
            } catch {
              resume(Effect.fail(new FunctionError({ functionName, errorType: "Runtime.MarshalError", errorMessage: "The answer is not JSON" })))
            }
          }
        })
        return Effect.sync(leave)
      })
    })

    const invokeStream = (invocation: Invocation): Stream.Stream<Uint8Array, InvocationError> => {
      const { functionName, local, timeout } = prepare(invocation)
      if (!local) {
        return options.fallback !== undefined ? options.fallback.invokeStream(invocation) : Stream.fail(new FunctionNotFound({ functionName }))
      }
      return Stream.async<Uint8Array, InvocationError>((emit) => {
        let ended = false
        const leave = environments.dispatch(functionName, invocation, timeout, {
          chunk: (bytes) => void emit.single(bytes),
          lost: (error) => {
            ended = true
            void emit.fail(error)
          },
          done: (outcome) => {
            ended = true
            if (outcome.error !== undefined) return void emit.fail(failed(functionName, outcome.error))
            // A buffered function streams its whole answer at once, as Lambda does.
            if (outcome.json !== undefined) void emit.single(new TextEncoder().encode(outcome.json))
            void emit.end()
          }
        })
        return Effect.sync(() => {
          if (!ended) leave()
        })
      }, "unbounded")
    }

    return { invoke, invokeStream } satisfies ToolInvokerShape
  })

/** The functions of `dir`, each run in worker threads of its own. */
export const layerWorkers = (dir: string, options: WorkerInvokerOptions = {}): Layer.Layer<ToolInvoker, FunctionsDirectoryError> =>
  Layer.scoped(ToolInvoker, Effect.flatMap(listFunctions(dir), (functions) => makeWorkers(functions, options)))
