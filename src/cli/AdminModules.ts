/**
 * What the admin and client commands run on, loaded when one of them runs rather than at every
 * start: src/admin/RegistrationClient.ts imports CloudFormation and the deploy module (S3, STS)
 * at its top, SigV4 the credential providers, and `dev` needs none of it, nor the MCP SDK client.
 */
import * as Effect from "effect/Effect"

export const registrationClient = Effect.promise(() => import("../admin/RegistrationClient.js"))

export const sigV4 = Effect.promise(() => import("../admin/SigV4.js"))

export const remote = Effect.promise(async () => {
  const [sdk, types, transports, proxy, login] = await Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/types.js"),
    import("../admin/Remote.js"),
    import("../admin/Proxy.js"),
    import("../admin/OAuthLogin.js")
  ])
  return {
    Client: sdk.Client,
    CallToolResultSchema: types.CallToolResultSchema,
    ...transports,
    runProxy: proxy.runProxy,
    makeOAuthLogin: login.makeOAuthLogin
  }
})

/** Fails with an AdminError saying `message` (the class is in the lazily loaded module). */
export const adminFailure = (message: string) =>
  Effect.flatMap(registrationClient, ({ AdminError }) => Effect.fail(new AdminError({ message })))
