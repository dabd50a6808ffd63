/**
 * Bundles the yardstick (`handler.ts`) as `scripts/bundle.mjs` bundles our Lambda handlers,
 * with its options.
 */
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { bundleOptions } from "../../scripts/bundle.mjs"

const ENTRY = fileURLToPath(new URL("handler.ts", import.meta.url))

/** Builds the yardstick into a fresh temporary directory: its path and size in bytes. */
export const buildYardstick = async () => {
  const outdir = mkdtempSync(join(tmpdir(), "yardstick-"))
  await build(bundleOptions(ENTRY, outdir))
  const file = join(outdir, "index.mjs")
  return { file, size: statSync(file).size }
}
