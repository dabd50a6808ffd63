/**
 * What every ToolInvoker must do on the wire path: deliver the event as JSON and bring back
 * the answer; name a missing function. `echoArn` names a function that answers with its event
 * (a local echo here; moto's docker-less Lambda echoes every payload).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { LambdaArn } from "../../src/domain/LambdaArn.js"
import { ToolInvoker } from "../../src/services/ToolInvoker.js"

export const toolInvokerContract = <E>(
  name: string,
  setup: {
    readonly layer: () => Layer.Layer<ToolInvoker, E>
    readonly echoArn: string
    /** A function that does not exist; moto echoes every ARN, so its suite names none. */
    readonly missingArn: string | undefined
  }
) =>
  describe(`ToolInvoker contract / ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, ToolInvoker>) => Effect.provide(effect, setup.layer())

    it.effect("delivers the payload and returns the JSON answer", () =>
      run(Effect.gen(function* () {
        const invoker = yield* ToolInvoker
        const payload = { args: { city: "Paris", days: 3, nested: { ok: true, list: [1, "two", null] } }, extra: {} }
        const answer = yield* invoker.invoke({ lambdaArn: setup.echoArn as LambdaArn, payload })
        expect(answer).toEqual(payload)
      })))

    it.effect.skipIf(setup.missingArn === undefined)("a function that does not exist fails with FunctionNotFound", () =>
      run(Effect.gen(function* () {
        const invoker = yield* ToolInvoker
        const error = yield* Effect.flip(invoker.invoke({ lambdaArn: setup.missingArn! as LambdaArn, payload: {} }))
        expect(error._tag).toBe("FunctionNotFound")
      })))
  })
