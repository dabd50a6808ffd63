/**
 * Where the proxy keeps what OAuth sign-ins leave: per server, its client registration and tokens,
 * in the user's config dir, readable by the user only (a 0600 file in a 0700 directory).
 */
import { createHash } from "node:crypto"
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { join } from "node:path"
import {
  type OAuthClientInformationMixed,
  OAuthClientInformationFullSchema,
  OAuthClientInformationSchema,
  type OAuthTokens,
  OAuthTokensSchema
} from "@modelcontextprotocol/sdk/shared/auth.js"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { decodeUnknownEither } from "../domain/Decode.js"

/** Where the CLI keeps what it remembers: `$MCP_LAMBDA_SAM_CONFIG_DIR`, else the XDG config dir. */
export const configDir = (env: NodeJS.ProcessEnv = process.env) =>
  env["MCP_LAMBDA_SAM_CONFIG_DIR"] ??
    join(env["XDG_CONFIG_HOME"] !== undefined && env["XDG_CONFIG_HOME"] !== "" ? env["XDG_CONFIG_HOME"] : join(homedir(), ".config"), "mcp-lambda-sam")

/** The file that holds one server's client registration and tokens. */
export const credentialsFile = (directory: string, serverUrl: URL) =>
  join(directory, "oauth", `${createHash("sha256").update(serverUrl.href).digest("hex").slice(0, 24)}.json`)

export const Stored = Schema.Struct({
  server: Schema.String,
  client: Schema.optional(Schema.Unknown),
  tokens: Schema.optional(Schema.Unknown)
})
export type Stored = typeof Stored.Type

export const clientOf = (value: unknown): OAuthClientInformationMixed | undefined => {
  const full = OAuthClientInformationFullSchema.safeParse(value)
  if (full.success) return full.data
  const plain = OAuthClientInformationSchema.safeParse(value)
  return plain.success ? plain.data : undefined
}

export const tokensOf = (value: unknown): OAuthTokens | undefined => {
  const parsed = OAuthTokensSchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

const readStored = async (file: string, server: string): Promise<Stored> => {
  const text = await readFile(file, "utf8").catch(() => undefined)
  if (text === undefined) return { server }
  const decoded = decodeUnknownEither(Schema.parseJson(Stored))(text)
  return Either.isRight(decoded) && decoded.right.server === server ? decoded.right : { server }
}

/** Written whole and renamed into place: 0600 from the start, in a 0700 directory. */
const writeStored = async (file: string, directory: string, stored: Stored) => {
  await mkdir(directory, { recursive: true, mode: 0o700 })
  await chmod(directory, 0o700)
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify(stored, null, 2), { mode: 0o600 })
  await chmod(temporary, 0o600)
  await rename(temporary, file)
}

/** One server's stored credentials, and how to write them back. */
export const openCredentials = async (configDirectory: string, serverUrl: URL) => {
  const server = serverUrl.href
  const file = credentialsFile(configDirectory, serverUrl)
  const stored = await readStored(file, server)
  return { file, stored, save: (next: Stored) => writeStored(file, join(configDirectory, "oauth"), next) }
}
