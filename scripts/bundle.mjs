// Builds one Lambda bundle per handler: dist/lambda/<name>/index.mjs (ESM, minified, with a
// source map), AWS SDK clients included — smaller and faster to load than the runtime's copy.
import { mkdir, rm, stat } from "node:fs/promises"
import { build } from "esbuild"

export const HANDLERS = {
  mcp: "src/handlers/mcp.ts",
  registration: "src/handlers/registration.ts",
  "task-runner": "src/handlers/taskRunner.ts"
}

export const bundle = async () => {
  const sizes = {}
  for (const [name, entry] of Object.entries(HANDLERS)) {
    const outdir = `dist/lambda/${name}`
    await rm(outdir, { recursive: true, force: true })
    await mkdir(outdir, { recursive: true })
    await build({
      entryPoints: [entry],
      outfile: `${outdir}/index.mjs`,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      minify: true,
      sourcemap: true,
      // Names and mappings only: the sources are in the package already.
      sourcesContent: false,
      legalComments: "none",
      // Some dependencies are CommonJS and call require(): give ESM output one.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: "warning"
    })
    sizes[name] = (await stat(`${outdir}/index.mjs`)).size
  }
  return sizes
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await bundle()
  for (const [name, size] of Object.entries(sizes)) console.log(`dist/lambda/${name}/index.mjs  ${(size / 1024).toFixed(0)} KiB`)
}
