/** Registrations loaded from a JSON file at start (the dev server's `--seed`). */
import { readFile } from "node:fs/promises"
import { Data, Effect } from "effect"
import { decodeRegistrationInput, type Registration } from "../domain/Registration.js"
import { Registry } from "../services/Registry.js"

export class SeedError extends Data.TaggedError("SeedError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

/** Reads an array of registration bodies (the Registration API's format) and creates each. */
export const loadSeed = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (error) => new SeedError({ path, reason: error instanceof Error ? error.message : String(error) })
    })
    const parsed = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new SeedError({ path, reason: "is not valid JSON" })
    })
    if (!Array.isArray(parsed)) return yield* new SeedError({ path, reason: "must hold a JSON array of registrations" })
    const registry = yield* Registry
    const created: Array<Registration> = []
    for (const [index, body] of parsed.entries()) {
      const spec = yield* decodeRegistrationInput(body).pipe(
        Effect.mapError((error) => new SeedError({ path, reason: `registration ${index}: ${error.message}` }))
      )
      created.push(
        yield* registry.create(spec).pipe(
          Effect.mapError((error) => new SeedError({ path, reason: `registration ${index}: ${error.message}` }))
        )
      )
    }
    return created as ReadonlyArray<Registration>
  })
