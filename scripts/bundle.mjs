// Builds one Lambda bundle per handler: dist/lambda/<name>/index.mjs (ESM, minified, with a
// source map), AWS SDK clients included — smaller and faster to load than the runtime's copy —
// and, beside it, chunks: those index.mjs imports (code it shares with the others), loaded at
// init, and those it loads with import() when a request first needs them (JSON Schema checks,
// RE2), which init does not compile. The Lambda zip takes the whole directory.
import { copyFile, mkdir, readdir, rm, stat } from "node:fs/promises"
import { build } from "esbuild"

export const HANDLERS = {
  mcp: "src/handlers/mcp.ts",
  registration: "src/handlers/registration.ts",
  "task-runner": "src/handlers/taskRunner.ts"
}

/** The esbuild options of every bundle (the benchmarks' yardstick is built with them too). */
export const esbuildOptions = {
  bundle: true,
  platform: "node",
  // The ES module builds of the AWS SDK (its packages' `module` field) before the CommonJS ones:
  // esbuild can drop what a client never calls, and the SDK's own lazy `import()`s (the credential
  // providers a Lambda function never uses: SSO, INI files, web identity, …) become chunks loaded
  // on first use, not code compiled at every cold start.
  mainFields: ["module", "main"],
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
}

/** `entry` into `outdir`/index.mjs, its lazily loaded chunks beside it (flat: the deploy zips one directory level). */
export const bundleOptions = (entry, outdir) => ({
  ...esbuildOptions,
  entryPoints: [entry],
  outdir,
  splitting: true,
  entryNames: "index",
  chunkNames: "chunk-[hash]",
  outExtension: { ".js": ".mjs" }
})

export const bundle = async () => {
  const sizes = {}
  for (const [name, entry] of Object.entries(HANDLERS)) {
    const outdir = `dist/lambda/${name}`
    await rm(outdir, { recursive: true, force: true })
    await mkdir(outdir, { recursive: true })
    const { metafile } = await build({ ...bundleOptions(entry, outdir), metafile: true })
    const atInit = loadedAtInit(metafile, `${outdir}/index.mjs`)
    let init = 0
    let later = 0
    for (const file of await readdir(outdir)) {
      if (!file.endsWith(".mjs")) continue
      const size = (await stat(`${outdir}/${file}`)).size
      if (atInit.has(`${outdir}/${file}`)) init += size
      else later += size
    }
    sizes[name] = { init, later }
  }
  return sizes
}

/**
 * The CLI as one module (and the chunks it imports on demand: deploy, the admin commands, the
 * proxy, the AWS SDK's own lazy parts), `dist/bin/cli.mjs`, which `dist/cli/bin.js` runs: Node
 * then resolves and compiles one file at start, not the hundreds the unbundled modules take
 * (`mcp-lambda-sam --help` ≈ 3× less CPU). Two levels under the package root, as the modules it
 * holds were, so that paths from `import.meta.url` (the package root, the examples) still hold;
 * `dev`'s function worker and the runtime code it loads are copied beside it.
 */
export const bundleCli = async () => {
  const outdir = "dist/bin"
  await rm(outdir, { recursive: true, force: true })
  await build({
    ...esbuildOptions,
    entryPoints: ["src/cli/main.ts"],
    outdir,
    splitting: true,
    entryNames: "cli",
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
    target: "node20",
    // Names kept: a defect's stack trace should still say where.
    minify: false,
    sourcemap: false
  })
  for (const file of ["localWorker.mjs", "localRuntime.mjs"]) await copyFile(`src/layers/${file}`, `${outdir}/${file}`)
  let size = 0
  for (const file of await readdir(outdir)) if (file.endsWith(".mjs") && !file.startsWith("local")) size += (await stat(`${outdir}/${file}`)).size
  return size
}

/** `entry` and every chunk it imports statically, directly or not: what importing it loads. */
const loadedAtInit = (metafile, entry) => {
  const loaded = new Set([entry])
  for (const file of loaded) {
    for (const { kind, path } of metafile.outputs[file]?.imports ?? []) {
      if (kind === "import-statement" && path.endsWith(".mjs")) loaded.add(path)
    }
  }
  return loaded
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await bundle()
  for (const [name, { init, later }] of Object.entries(sizes)) {
    console.log(`dist/lambda/${name}/  ${(init / 1024).toFixed(0)} KiB loaded at init, ${(later / 1024).toFixed(0)} KiB on first use`)
  }
  console.log(`dist/bin/cli.mjs  ${((await bundleCli()) / 1024).toFixed(0)} KiB with its chunks`)
}
