/**
 * The step primitives every deployment module shares: `DeployError`, the failure of a named
 * step, and `call`, which runs one AWS (or file system) promise as such a step.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

export class DeployError extends Data.TaggedError("DeployError")<{
  readonly step: string
  readonly message: string
  /** Each failing resource and why (from the stack events). */
  readonly failures?: ReadonlyArray<{ readonly resource: string; readonly reason: string }> | undefined
  readonly cause?: unknown
}> {}

const describeCause = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))

/** One AWS call as a step of a deployment: its failure is a DeployError naming the step. */
export const call = <A>(step: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new DeployError({ step, message: describeCause(cause), cause }) })
