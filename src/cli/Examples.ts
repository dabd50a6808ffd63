/**
 * Where `dev` finds its functions and registrations when `--functions` and `--seed` are not
 * given: `examples/` of the current directory (a clone of this repository), else the examples
 * this package ships — so `npx mcp-lambda-sam dev` in an empty directory has tools to show.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Option from "effect/Option"

/** `examples/` beside `src/` and `dist/`: this module is `src/cli/Examples.ts` or `dist/cli/Examples.js`. */
export const PACKAGED_EXAMPLES = fileURLToPath(new URL("../../examples", import.meta.url))

export interface LocalSources {
  readonly functionsDir: string | undefined
  readonly seedFile: string | undefined
  /** A banner line saying where the examples come from, when they are the packaged ones. */
  readonly bannerNote: string | undefined
}

const FUNCTIONS = "examples/functions"
const SEED = "examples/registrations.json"

/**
 * Flags first. Without either flag, the current directory's examples when it has any, else the
 * packaged ones; with one flag, the other is only ever looked up here (the packaged registrations
 * name the packaged functions, and would be dead tools beside someone else's).
 */
export const localSources = (
  functions: Option.Option<string>,
  seed: Option.Option<string>,
  cwd: string = process.cwd()
): LocalSources => {
  const here = (path: string) => (existsSync(join(cwd, path)) ? path : undefined)
  if (Option.isSome(functions) || Option.isSome(seed)) {
    return {
      functionsDir: Option.getOrElse(functions, () => here(FUNCTIONS)),
      seedFile: Option.getOrElse(seed, () => here(SEED)),
      bannerNote: undefined
    }
  }
  if (here(FUNCTIONS) !== undefined || here(SEED) !== undefined) {
    return { functionsDir: here(FUNCTIONS), seedFile: here(SEED), bannerNote: undefined }
  }
  return {
    functionsDir: join(PACKAGED_EXAMPLES, "functions"),
    seedFile: join(PACKAGED_EXAMPLES, "registrations.json"),
    bannerNote: `  examples:   packaged with mcp-lambda-sam (${PACKAGED_EXAMPLES}): none here; ` +
      "serve your own with --functions DIR --seed FILE (`mcp-lambda-sam init` starts one)"
  }
}
