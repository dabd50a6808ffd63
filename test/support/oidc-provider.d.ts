/** The few parts of `oidc-provider` (no bundled types) the test authorization server uses. */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http"

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (request: IncomingMessage, response: ServerResponse) => void
    on(event: string, listener: (...args: ReadonlyArray<unknown>) => void): this
  }

  export const errors: { readonly InvalidTarget: new (description?: string) => Error }
}
