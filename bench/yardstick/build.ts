/**
 * Bundles the yardstick (`handler.ts`) as `scripts/bundle.mjs` bundles our Lambda handlers. That
 * script does not export its esbuild options, so they are repeated here; keep the two in step
 * (or export them there and import them here).
 */
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const ENTRY = fileURLToPath(new URL("handler.ts", import.meta.url))

/** The options of `scripts/bundle.mjs`, for `entry` into `outfile`. */
export const bundleOptions = (entry: string, outfile: string) => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node" as const,
  target: "node22",
  format: "esm" as const,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: "none" as const,
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: "warning" as const
})

/** Builds the yardstick into a fresh temporary directory: its path and size in bytes. */
export const buildYardstick = async () => {
  const outfile = join(mkdtempSync(join(tmpdir(), "yardstick-")), "index.mjs")
  await build(bundleOptions(ENTRY, outfile))
  return { file: outfile, size: statSync(outfile).size }
}
