/** Registration specs used across the suites. */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { JsonSchema } from "../../src/domain/LazyModules.js"
import { type RegistrationSpec } from "../../src/domain/Registration.js"
import { decodeRegistrationInput } from "../../src/domain/RegistrationInput.js"

// A tool's schemas are checked by a module loaded on first use (an `import()`): loaded once here,
// the specs below decode synchronously.
await Effect.runPromise(JsonSchema)

export const arn = (name: string, region = "us-east-1") => `arn:aws:lambda:${region}:123456789012:function:${name}`

export const spec = (input: Record<string, unknown>): RegistrationSpec =>
  Effect.runSync(decodeRegistrationInput(input))

export const toolSpec = (name: string, extra: Record<string, unknown> = {}): RegistrationSpec =>
  spec({ type: "tool", name, description: `The ${name} tool`, lambdaArn: arn(name), ...extra })

export const promptSpec = (name: string, extra: Record<string, unknown> = {}): RegistrationSpec =>
  spec({ type: "prompt", name, description: `The ${name} prompt`, lambdaArn: arn(name), ...extra })

export const resourceSpec = (name: string, extra: Record<string, unknown> = {}): RegistrationSpec =>
  spec({ type: "resource", name, description: `The ${name} resource`, lambdaArn: arn(name), ...extra })

/** A temporary directory holding `files` (name → text), removed with the scope. */
export const tempFiles = (files: Record<string, string>, prefix = "functions-") =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(join(tmpdir(), prefix))
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
      return dir
    }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )
