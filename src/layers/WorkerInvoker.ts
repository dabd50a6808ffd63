/**
 * `dev`'s local functions, each run the way Lambda runs a function: in execution environments
 * of its own (worker threads, `localWorker.mjs`), one invocation at a time each, kept warm
 * between invocations, with a heap limit and a timeout that ends the environment. A function
 * that loops, exhausts its memory or throws where nobody catches fails its own invocation
 * (`InvocationTimeout`, or `FunctionError` `Runtime.OutOfMemory` / `Runtime.ExitError`); the
 * server, its other clients and the function's next invocation go on. `loadDirectory` in
 * `LocalFunctionInvoker.ts` is the in-process variant (tests, and handlers given as values).
 */
import { randomUUID } from "node:crypto"
import { readdir } from "node:fs/promises"
import { join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { Worker } from "node:worker_threads"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { FunctionError, FunctionNotFound, type InvocationError, InvocationTimeout } from "../domain/errors.js"
import { functionNameOf } from "../domain/LambdaArn.js"
import { type Invocation, ToolInvoker, type ToolInvokerShape } from "../services/ToolInvoker.js"
import { DEFAULTS } from "../Settings.js"
import { FunctionsDirectoryError } from "./LocalFunctionInvoker.js"
import { HANDLER_FILE } from "./localRuntime.mjs"

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

export interface FunctionOutputLine {
  readonly functionName: string
  readonly stream: "stdout" | "stderr"
  readonly text: string
}

const printLine = ({ functionName, stream, text }: FunctionOutputLine) => {
  process[stream].write(`${functionName} | ${text}\n`)
}

const WORKER = new URL("./localWorker.mjs", import.meta.url)

type Outcome = { readonly type: "done"; readonly id: number; readonly json?: string; readonly error?: { readonly errorType: string; readonly errorMessage: string } }

/** Who hears an environment's invocation: the caller while it waits, or nobody once it left. */
interface Listener {
  readonly id: number
  readonly chunk: (bytes: Uint8Array) => void
  readonly done: (outcome: Outcome) => void
  readonly lost: (error: InvocationError) => void
}

interface Environment {
  readonly worker: Worker
  listener: Listener | undefined
  /** Ends the environment when the running invocation overstays its timeout. */
  deadline: ReturnType<typeof setTimeout> | undefined
  /** Why the worker stopped, once it did. */
  stopped: InvocationError | undefined
  /** Called once, when the invocation that holds this environment is over (or the worker stopped). */
  free: (() => void) | undefined
  /** Stops the environment once it has been idle `idleTimeout`, unless it is its function's last. */
  retire: ReturnType<typeof setTimeout> | undefined
}

interface Pool {
  readonly functionName: string
  readonly path: string
  /** Environments that have loaded the function and run nothing. */
  readonly idle: Array<Environment>
  /** Environments starting or running an invocation (at most `concurrency`). */
  busy: number
  /** Callers waiting for an environment, in order. */
  readonly waiting: Array<() => void>
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

const stoppedError = (functionName: string, memoryLimitMb: number, error: Error & { readonly code?: string }) =>
  error.code === "ERR_WORKER_OUT_OF_MEMORY"
    ? new FunctionError({ functionName, errorType: "Runtime.OutOfMemory", errorMessage: `The function ran out of its ${memoryLimitMb} MB of memory; its environment was stopped` })
    : new FunctionError({ functionName, errorType: "Runtime.ExitError", errorMessage: `The function's environment stopped: ${error.name}: ${error.message}` })

/**
 * An invoker over the functions `listFunctions` found. Its environments end with the scope.
 */
export const makeWorkers = (functions: ReadonlyMap<string, string>, options: WorkerInvokerOptions = {}) =>
  Effect.gen(function* () {
    const defaultTimeout = Duration.decode(options.timeout ?? Duration.seconds(DEFAULTS.INVOKE_TIMEOUT_SECONDS))
    const memoryLimitMb = options.memoryLimitMb ?? 256
    const concurrency = options.concurrency ?? 8
    const output = options.output ?? printLine
    const idleMillis = Duration.toMillis(Duration.decode(options.idleTimeout ?? Duration.minutes(5)))
    const running = new Set<Worker>()
    let closed = false
    let nextId = 0
    const pools = new Map<string, Pool>()
    for (const [functionName, path] of functions) pools.set(functionName, { functionName, path, idle: [], busy: 0, waiting: [] })
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        closed = true
        return Promise.all([...running].map((worker) => worker.terminate()))
      })
    )

    /** The invocation holding `environment` is over: it comes free, once. */
    const free = (environment: Environment) => {
      const release = environment.free
      environment.free = undefined
      release?.()
    }

    const stopping = (functionName: string) =>
      new FunctionError({ functionName, errorType: "Runtime.ExitError", errorMessage: "The server is stopping" })

    /** `environment` waits for the next invocation; after `idleTimeout` without one it is stopped, unless it is its function's last. */
    const idle = (pool: Pool, environment: Environment) => {
      pool.idle.push(environment)
      environment.retire = setTimeout(() => {
        environment.retire = undefined
        const index = pool.idle.indexOf(environment)
        if (index < 0 || pool.idle.length <= 1) return
        pool.idle.splice(index, 1)
        void environment.worker.terminate()
      }, idleMillis).unref()
    }

    /** The pool has room again: the next waiting caller tries. */
    const vacate = (pool: Pool) => {
      pool.busy--
      pool.waiting.shift()?.()
    }

    /** A new environment for `pool`'s function; `ready` or `failed` hears once it has loaded the file, or could not. */
    const start = (pool: Pool, ready: (environment: Environment) => void, failed: (error: FunctionError) => void) => {
      const worker = new Worker(WORKER, {
        workerData: { path: pool.path, memoryLimitInMB: memoryLimitMb },
        resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb },
        stdout: true,
        stderr: true
      })
      for (const stream of ["stdout", "stderr"] as const) {
        createInterface({ input: worker[stream], crlfDelay: Infinity }).on("line", (text) => output({ functionName: pool.functionName, stream, text }))
      }
      // The server's lifetime is its own: a function's environment never keeps the process up.
      worker.unref()
      running.add(worker)
      const environment: Environment = { worker, listener: undefined, deadline: undefined, stopped: undefined, free: undefined, retire: undefined }
      let loaded = false
      worker.on("message", (message: { readonly type: string; readonly id: number; readonly bytes?: Uint8Array; readonly reason?: string }) => {
        if (!loaded) {
          loaded = true
          if (message.type === "ready") return ready(environment)
          void worker.terminate()
          return failed(new FunctionError({ functionName: pool.functionName, errorType: "Runtime.ImportModuleError", errorMessage: message.reason ?? "failed to load" }))
        }
        const listener = environment.listener
        if (listener === undefined || listener.id !== message.id) return
        if (message.type === "chunk") listener.chunk(message.bytes!)
        else if (message.type === "done") {
          clearTimeout(environment.deadline)
          environment.listener = undefined
          listener.done(message as Outcome)
          free(environment)
        }
      })
      worker.on("error", (error) => {
        environment.stopped ??= stoppedError(pool.functionName, memoryLimitMb, error)
        const index = pool.idle.indexOf(environment)
        if (index >= 0) pool.idle.splice(index, 1)
      })
      worker.on("exit", () => {
        running.delete(worker)
        clearTimeout(environment.deadline)
        clearTimeout(environment.retire)
        const index = pool.idle.indexOf(environment)
        if (index >= 0) pool.idle.splice(index, 1)
        const error = environment.stopped ?? new FunctionError({ functionName: pool.functionName, errorType: "Runtime.ExitError", errorMessage: "The function's environment stopped" })
        environment.stopped = error
        if (!loaded) {
          loaded = true
          failed(error instanceof FunctionError ? error : new FunctionError({ functionName: pool.functionName, errorType: "Runtime.ExitError", errorMessage: error.message }))
        }
        const listener = environment.listener
        environment.listener = undefined
        listener?.lost(error)
        free(environment)
      })
    }

    /**
     * An environment of `pool` for one invocation: a warm one, a new one while the pool has
     * room, or the next to come free. `use` gets it; `failed` hears when none could start.
     * Returns what cancels the wait (once `use` has the environment, the invocation's own
     * `leave` is what the caller calls).
     */
    const lease = (pool: Pool, use: (environment: Environment) => void, failed: (error: FunctionError) => void) => {
      let cancelled = false
      const hold = (environment: Environment) => {
        environment.free = () => {
          if (closed || environment.stopped !== undefined) void environment.worker.terminate()
          else idle(pool, environment)
          vacate(pool)
        }
        if (cancelled || closed) {
          free(environment)
          if (!cancelled) failed(stopping(pool.functionName))
        } else use(environment)
      }
      const attempt = () => {
        if (cancelled) return
        if (closed) return failed(stopping(pool.functionName))
        const warm = pool.idle.pop()
        if (warm !== undefined) {
          clearTimeout(warm.retire)
          pool.busy++
          return hold(warm)
        }
        if (pool.busy >= concurrency) return void pool.waiting.push(attempt)
        pool.busy++
        start(pool, hold, (error) => {
          vacate(pool)
          if (!cancelled) failed(error)
        })
      }
      attempt()
      return () => {
        cancelled = true
        const index = pool.waiting.indexOf(attempt)
        if (index >= 0) pool.waiting.splice(index, 1)
      }
    }

    /**
     * Sends the invocation; `listener` hears it. The environment is stopped if it is still
     * running at the deadline, whether or not anyone still listens.
     */
    const send = (environment: Environment, invocation: Invocation, event: string, functionName: string, timeout: Duration.Duration, listener: Listener) => {
      environment.listener = listener
      const millis = Duration.toMillis(timeout)
      environment.deadline = setTimeout(() => {
        environment.stopped = new InvocationTimeout({ functionName, timeoutMillis: millis })
        void environment.worker.terminate()
      }, millis)
      environment.worker.postMessage({
        type: "invoke",
        id: listener.id,
        event,
        context: { awsRequestId: randomUUID(), deadline: Date.now() + millis, functionName, invokedFunctionArn: invocation.lambdaArn }
      })
    }

    /** The caller left: a streaming handler sees its stream destroyed; the environment comes free once the invocation ends. */
    const leave = (environment: Environment, id: number) => {
      if (environment.listener?.id !== id) return
      environment.listener = { id, chunk: () => undefined, done: () => undefined, lost: () => undefined }
      environment.worker.postMessage({ type: "abort", id })
    }

    /** Runs `invocation` in an environment of `pool`, `listener` hearing it; returns what the caller calls when it leaves. */
    const dispatch = (pool: Pool, invocation: Invocation, timeout: Duration.Duration, listener: Omit<Listener, "id">) => {
      const id = nextId++
      // JSON in, as the runtime serialises events: checked before an environment is taken.
      let event: string
      try {
        event = JSON.stringify(invocation.payload ?? null)
      } catch (error) {
        listener.lost(new FunctionError({ functionName: pool.functionName, errorType: "Runtime.MarshalError", errorMessage: `The event is not JSON: ${error instanceof Error ? error.message : String(error)}` }))
        return () => undefined
      }
      let leased: Environment | undefined
      const cancel = lease(pool, (environment) => {
        leased = environment
        send(environment, invocation, event, pool.functionName, timeout, { id, ...listener })
      }, listener.lost)
      return () => (leased === undefined ? cancel() : leave(leased, id))
    }

    const prepare = (invocation: Invocation) => {
      const functionName = functionNameOf(invocation.lambdaArn)
      const timeout = invocation.timeout === undefined ? defaultTimeout : Duration.decode(invocation.timeout)
      return { functionName, timeout, pool: pools.get(functionName) }
    }

    const failed = (functionName: string, error: NonNullable<Outcome["error"]>) =>
      new FunctionError({ functionName, errorType: error.errorType, errorMessage: error.errorMessage })

    const invoke = Effect.fn("ToolInvoker.invoke")(function* (invocation: Invocation) {
      const { functionName, pool, timeout } = prepare(invocation)
      yield* Effect.annotateCurrentSpan("functionName", functionName)
      if (pool === undefined) {
        if (options.fallback !== undefined) return yield* options.fallback.invoke(invocation)
        return yield* new FunctionNotFound({ functionName })
      }
      return yield* Effect.async<unknown, InvocationError>((resume) => {
        const chunks: Array<Uint8Array> = []
        const leave = dispatch(pool, invocation, timeout, {
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
      const { functionName, pool, timeout } = prepare(invocation)
      if (pool === undefined) {
        return options.fallback !== undefined ? options.fallback.invokeStream(invocation) : Stream.fail(new FunctionNotFound({ functionName }))
      }
      return Stream.async<Uint8Array, InvocationError>((emit) => {
        let ended = false
        const leave = dispatch(pool, invocation, timeout, {
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
