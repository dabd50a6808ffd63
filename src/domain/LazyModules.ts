/**
 * Modules loaded on first use: JSON Schema checks (Ajv, ajv-formats) and RE2 patterns (re2js)
 * are a sixth of a Lambda bundle, and `/health`, `initialize` or a `resources/read` by URI need
 * none of them; jose only checks bearer tokens. The bundler puts what `import()` names in chunks of their own, compiled only
 * when a request first needs them (issue 13).
 */
import * as Effect from "effect/Effect"

/** `load()` once; afterwards the module without another turn of the event loop. */
export const lazyModule = <M>(load: () => Promise<M>): Effect.Effect<M> => {
  let loaded: M | undefined
  const first = Effect.tap(Effect.promise(load), (module) => {
    loaded = module
  })
  return Effect.suspend(() => (loaded === undefined ? first : Effect.succeed(loaded)))
}

/** `checkSchema`, `validate`, `formatIssues`: Ajv on RE2. */
export const JsonSchema = lazyModule(() => import("./JsonSchema.js"))

/** Bearer-token verification (jose): only a deployment with `MCP_AUTH=OAUTH` loads it. */
export const JoseTokenVerifier = lazyModule(() => import("../layers/JoseTokenVerifier.js"))
