/** Registrations loaded from a JSON file at start (the dev server's `--seed`). */
import { readFile } from "node:fs/promises"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type Registration } from "../domain/Registration.js"
import { decodeRegistrationInput } from "../domain/RegistrationInput.js"
import { Registry } from "../services/Registry.js"

export class SeedError extends Data.TaggedError("SeedError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

/**
 * Reads an array of registration bodies (the Registration API's format) and creates each;
 * one that already exists (a persistent store, a restart) is left as it is.
 */
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
      const stored = yield* registry.create(spec).pipe(
        Effect.map(Option.some),
        Effect.catchTag("RegistrationConflict", () => Effect.succeed(Option.none())),
        Effect.mapError((error) => new SeedError({ path, reason: `registration ${index}: ${error.message}` }))
      )
      if (Option.isSome(stored)) created.push(stored.value)
    }
    return created as ReadonlyArray<Registration>
  })
