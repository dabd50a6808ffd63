// Node 20 lacks fs.globSync, which the conformance CLI imports (only its tier-check command
// calls it); this loader hook gives that one import a stand-in, so the CLI runs on Node 20.
import { register } from "node:module"

register("./hooks.mjs", import.meta.url)
