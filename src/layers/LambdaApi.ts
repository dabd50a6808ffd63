/**
 * The Lambda client, loaded on first use: `/health`, `initialize` and the list methods never
 * invoke a function, so a cold start need not compile it (issue 13). The bundler puts what
 * `import()` names in a chunk of its own.
 */
import type { LambdaClient, LambdaClientConfig } from "@aws-sdk/client-lambda"
import { lazyModule } from "../domain/LazyModules.js"

// Bundled, the package is CommonJS behind `import()`: its exports come as the default export.
const importLambda = () =>
  import("@aws-sdk/client-lambda").then((module) =>
    "LambdaClient" in module ? module : (module as unknown as { readonly default: typeof module }).default
  )
let loading: ReturnType<typeof importLambda> | undefined
const load = () => (loading ??= importLambda())

/** `@aws-sdk/client-lambda`, once. */
export const LambdaApi = lazyModule(load)

/** Only `send` is used, so tests can hand in a client that fails on purpose. */
export type LambdaSend = Pick<LambdaClient, "send">

/**
 * A client made on its first `send` (the module loaded then); `destroy` ends it if it was made.
 */
export const lazyLambdaClient = (config: LambdaClientConfig): LambdaSend & { readonly destroy: () => void } => {
  let made: Promise<LambdaClient> | undefined
  let client: LambdaClient | undefined
  const get = () =>
    made ??= load().then((api) => {
      client = new api.LambdaClient(config)
      return client
    })
  return {
    send: ((command: Parameters<LambdaClient["send"]>[0], options?: Parameters<LambdaClient["send"]>[1]) =>
      get().then((ready) => ready.send(command, options))) as LambdaSend["send"],
    destroy: () => client?.destroy()
  }
}
