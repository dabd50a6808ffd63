/**
 * The execution environments of `dev`'s local functions, as Lambda keeps a function's: per
 * function, worker threads (`localWorker.mjs`) that load the file once and run one invocation
 * at a time, started while the function has room (`concurrency`), kept warm, stopped after
 * `idleTimeout` idle (all but each function's last one), at an invocation's deadline, or when
 * the worker fails (its heap limit, an uncaught throw). `WorkerInvoker.ts` turns invocations
 * into what `dispatch` takes and its callbacks into effects and streams.
 */
import { randomUUID } from "node:crypto"
import { createInterface } from "node:readline"
import { Worker } from "node:worker_threads"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { FunctionError, type InvocationError, InvocationTimeout } from "../domain/errors.js"
import type { Invocation } from "../services/ToolInvoker.js"

export interface FunctionOutputLine {
  readonly functionName: string
  readonly stream: "stdout" | "stderr"
  readonly text: string
}

export const printLine = ({ functionName, stream, text }: FunctionOutputLine) => {
  process[stream].write(`${functionName} | ${text}\n`)
}

/** The worker entry: one function's environment, or (with `check`) the start-up check of a directory. */
export const WORKER = new URL("./localWorker.mjs", import.meta.url)

export type Outcome = { readonly type: "done"; readonly id: number; readonly json?: string; readonly error?: { readonly errorType: string; readonly errorMessage: string } }

/** Who hears an environment's invocation: the caller while it waits, or nobody once it left. */
export interface Listener {
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
const stoppedError = (functionName: string, memoryLimitMb: number, error: Error & { readonly code?: string }) =>
  error.code === "ERR_WORKER_OUT_OF_MEMORY"
    ? new FunctionError({ functionName, errorType: "Runtime.OutOfMemory", errorMessage: `The function ran out of its ${memoryLimitMb} MB of memory; its environment was stopped` })
    : new FunctionError({ functionName, errorType: "Runtime.ExitError", errorMessage: `The function's environment stopped: ${error.name}: ${error.message}` })
export interface EnvironmentOptions {
  readonly memoryLimitMb: number
  readonly concurrency: number
  readonly idleTimeout: Duration.Duration
  readonly output: (line: FunctionOutputLine) => void
}

/** The environments of `functions` (name → file). They all stop with the scope. */
export const makeEnvironments = (functions: ReadonlyMap<string, string>, { concurrency, idleTimeout, memoryLimitMb, output }: EnvironmentOptions) =>
  Effect.gen(function* () {
    const idleMillis = Duration.toMillis(idleTimeout)
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

    return {
      /** Whether `functionName` is one of these functions. */
      has: (functionName: string) => pools.has(functionName),
      /** Runs `invocation` of `functionName` (one of these), `listener` hearing it; returns what the caller calls when it leaves. */
      dispatch: (functionName: string, invocation: Invocation, timeout: Duration.Duration, listener: Omit<Listener, "id">) =>
        dispatch(pools.get(functionName)!, invocation, timeout, listener)
    }
  })
