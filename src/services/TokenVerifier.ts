/**
 * Bearer access tokens (OAuth 2.1 resource-server mode): a token in, the verified claims out,
 * or the reason it was refused. The reason goes to the log only; the client learns no more
 * than `invalid_token`.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

/** What a verified token says about its bearer. */
export interface VerifiedToken {
  /** `iss`: the authorization server that issued it. */
  readonly issuer: string
  /** `sub`: the user or (client credentials) the client it stands for. */
  readonly subject: string
  /** Granted scopes (`scope`, space-separated, or `scp`). */
  readonly scopes: ReadonlyArray<string>
  readonly clientId?: string | undefined
}

/** The principal a token stands for: issuer and subject, together (one issuer's `sub` means nothing to another). */
export const principalOf = (token: Pick<VerifiedToken, "issuer" | "subject">) => `${token.issuer}#${token.subject}`

/** A token that does not authenticate. `reason` is for the log: never the token itself. */
export class InvalidToken extends Data.TaggedError("InvalidToken")<{ readonly reason: string }> {
  override get message() {
    return `Invalid token: ${this.reason}`
  }
}

/** The issuer could not be asked (discovery, keys or introspection unreachable): not the client's fault. */
export class IssuerUnavailable extends Data.TaggedError("IssuerUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `Token issuer unavailable: ${this.reason}`
  }
}

export interface TokenVerifierShape {
  readonly verify: (token: string) => Effect.Effect<VerifiedToken, InvalidToken | IssuerUnavailable>
}

export class TokenVerifier extends Context.Tag("mcp-lambda-sam/TokenVerifier")<TokenVerifier, TokenVerifierShape>() {}
