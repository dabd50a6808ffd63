/** The spans an effect opens, recorded by a tracer wrapped around the current one. */
import { Effect, Tracer } from "effect"

/** Runs `effect` and returns the names of the spans it opened, in order. */
export const spansOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const names: Array<string> = []
    const base = yield* Effect.tracer
    const recording = Tracer.make({
      span: (name, ...rest) => {
        names.push(name)
        return base.span(name, ...rest)
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    yield* Effect.withTracer(effect, recording)
    return names
  })
