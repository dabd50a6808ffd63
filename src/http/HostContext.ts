/**
 * What a host (the Lambda handler, the dev server) tells the apps about a request: who is
 * calling, when the invocation must end, and when the server is stopping.
 *
 * Who is calling: a required service. On Lambda the adapter provides it per request from the
 * Function URL's IAM authorizer; locally there is no authentication and every caller is
 * `local` (`Caller.local`). The MCP API's `Authenticator` decides what the apps see: the
 * host's caller (IAM) or the bearer token's (OAuth).
 */
import * as Context from "effect/Context"
import type * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export interface CallerIdentity {
  /**
   * The IAM principal ARN (`requestContext.authorizer.iam.userArn`), or for a bearer token its
   * issuer and subject (`<iss>#<sub>`).
   */
  readonly principal: string
  readonly accountId?: string | undefined
  /** A bearer token's granted scopes. */
  readonly scopes?: ReadonlyArray<string> | undefined
}

export const LOCAL_PRINCIPAL = "local"

export class Caller extends Context.Tag("mcp-lambda-sam/Caller")<Caller, CallerIdentity>() {
  /** Every request comes from `local` (the dev server, tests). */
  static readonly local: Layer.Layer<Caller> = Layer.succeed(Caller, { principal: LOCAL_PRINCIPAL })
}

export const currentPrincipal = Effect.map(Caller, (caller) => caller.principal)

/**
 * When the current invocation must end (Lambda's deadline), so streams can close cleanly
 * before it. Absent on a long-running server.
 */
export class InvocationDeadline extends Context.Tag("mcp-lambda-sam/InvocationDeadline")<
  InvocationDeadline,
  { readonly remainingMillis: () => number }
>() {}

/**
 * Work a request leaves running after its response has ended (a call whose POST stream was
 * cut goes on, so the client can resume it). On Lambda the invocation waits for it before
 * returning, or a frozen container would lose it. Absent on a long-running server.
 */
export class BackgroundWork extends Context.Tag("mcp-lambda-sam/BackgroundWork")<
  BackgroundWork,
  { readonly keep: (work: Promise<unknown>) => void }
>() {}

/**
 * Completed when a long-running server stops, so open SSE streams end cleanly instead of
 * holding the server open. Absent on Lambda, where the invocation deadline plays that part.
 */
export class ServerShutdown extends Context.Tag("mcp-lambda-sam/ServerShutdown")<
  ServerShutdown,
  Deferred.Deferred<void>
>() {}
